package ingest

import (
	"context"
	"errors"
	"strconv"

	"github.com/shelfwise/shelfwise"
)

// Rule names of the m4 format.
const (
	RuleM4DuplicateID = "duplicate_series_id"
	RuleM4EmptySeries = "empty_series"
	RuleM4Negative    = "negative_values"
)

var m4Format = Format{
	Name: "m4",
	Description: "M4 competition series files (Weekly-train.csv and the other frequencies): a quoted header \"V1\",\"V2\",..., " +
		"one row per series (id, then its values; trailing cells empty). Stored as period-indexed sales points " +
		"(SKU = series id, Period 0..n-1). Rows read = series; written sales_points = observations",
	Read: readM4,
}

// m4Files are the M4 training files a folder is searched for.
var m4Files = []string{"Weekly-train.csv", "Daily-train.csv", "Hourly-train.csv", "Monthly-train.csv", "Quarterly-train.csv", "Yearly-train.csv"}

// readM4 reads one M4 file. A series id seen before is dropped (counted as
// an exact duplicate when its values are identical too); a row without
// values is dropped; negative values are kept and counted.
func readM4(ctx context.Context, path string, opts Options, b *Batcher, rep *Report) error {
	path, err := findFile(path, m4Files...)
	if err != nil {
		return err
	}
	for _, r := range [][2]string{
		{RuleDuplicate, "dropped"}, {RuleM4DuplicateID, "dropped"}, {RuleM4EmptySeries, "dropped"},
		{RuleM4Negative, "kept"}, {RuleUnparseable, "dropped"},
	} {
		rep.Rule(r[0], r[1])
	}
	f, err := openM4(path)
	if err != nil {
		return err
	}
	defer f.Close()
	seen := map[string][16]byte{}
	var vals []float64
	return eachRow(ctx, f, rep, opts.MaxBadRows, func(line int64) error {
		var id string
		var err error
		if id, vals, err = m4Row(f, vals[:0]); err != nil {
			return badRow(err)
		}
		fields := make([]string, 0, len(vals)+1)
		fields = append(fields, id)
		for _, v := range vals {
			fields = append(fields, formatFloat(v))
		}
		h := rowHash(fields...)
		rep.FingerprintHash(h)
		prev, dup := seen[id]
		if dup {
			rep.Hit(RuleM4DuplicateID, line)
			if prev == h {
				rep.Hit(RuleDuplicate, line)
			}
		} else {
			seen[id] = h
		}
		if len(vals) == 0 {
			rep.Hit(RuleM4EmptySeries, line)
		}
		for _, v := range vals {
			if v < 0 {
				rep.Hit(RuleM4Negative, line)
				break
			}
		}
		if dup || len(vals) == 0 {
			return nil
		}
		rep.Accept()
		for i, v := range vals {
			if err := b.SalesPoint(ctx, shelfwise.SalesPoint{
				SKU: shelfwise.SKU(id), Grain: shelfwise.GrainPeriod, Period: i, Units: v, Available: true,
			}); err != nil {
				return err
			}
		}
		return nil
	})
}

// openM4 opens an M4-layout file and checks its header.
func openM4(path string) (*csvFile, error) {
	f, err := openCSV(path, csvOptions{})
	if err != nil {
		return nil, err
	}
	if h := f.Header(); len(h) < 2 || normCol(h[0]) != "v1" {
		f.Close()
		return nil, &shelfwise.InputError{File: path, Line: 1, Field: "V1",
			Err: errors.New(`not an M4 series file: the header must be "V1","V2",... (series id, then values)`)}
	}
	return f, nil
}

// m4Row parses the current row: the series id and its values (trailing
// empty cells cut) appended to vals. A missing id, a non-number or an empty
// cell inside the series is an *shelfwise.InputError naming line and field.
func m4Row(f *csvFile, vals []float64) (string, []float64, error) {
	id := f.Str(0)
	vals, err := m4Values(f, vals)
	if err == nil && id == "" {
		err = f.Errorf(0, "missing series id")
	}
	return id, vals, err
}

// m4Values parses the values of the current row into vals: cells 1.. up to
// the last non-empty one. An empty cell before it is an error.
func m4Values(f *csvFile, vals []float64) ([]float64, error) {
	rec := f.Record()
	last := len(rec) - 1
	for last >= 1 && f.Str(last) == "" {
		last--
	}
	for i := 1; i <= last; i++ {
		s := f.Str(i)
		if s == "" {
			return vals, f.Errorf(i, "empty value inside the series (values must be contiguous)")
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return vals, f.Errorf(i, "not a number: %q", s)
		}
		vals = append(vals, v)
	}
	return vals, nil
}

// ReadM4Test reads an M4 competition file in the training layout — a header
// "V1","V2",..., then one row per series: its id and the next values (for a
// test file, the H values after the training series) — into a map from
// series id to values. It is what `eval forecast --test` scores against.
// Bad input (a non-number, a missing id, a series id given twice) is an
// *shelfwise.InputError naming the file, line and field.
func ReadM4Test(path string) (map[string][]float64, error) {
	path, err := findFile(path, "Weekly-test.csv", "Daily-test.csv", "Hourly-test.csv", "Monthly-test.csv", "Quarterly-test.csv", "Yearly-test.csv")
	if err != nil {
		return nil, err
	}
	f, err := openM4(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string][]float64{}
	err = eachCompanionRow(context.Background(), f, func(int64) error {
		id, vals, err := m4Row(f, nil)
		if err != nil {
			return err
		}
		if _, dup := out[id]; dup {
			return f.Errorf(0, "series %s given twice", id)
		}
		out[id] = vals
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
