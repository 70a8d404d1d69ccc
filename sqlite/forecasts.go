package sqlite

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/shelfwise/shelfwise"
)

// forecastLevels are the key fields a forecast run may be grouped by.
var forecastLevels = []string{"sku", "store", "department", "category", "subcategory"}

// levelCode normalises a level to its stored form: the lower-cased fields,
// sorted and comma-joined without duplicates ("" = chain total).
func levelCode(level []string) (string, error) {
	var out []string
	for _, l := range level {
		l = strings.ToLower(strings.TrimSpace(l))
		known := false
		for _, f := range forecastLevels {
			known = known || f == l
		}
		if !known {
			return "", invalid("unknown series level %q (want sku, store, department, category or subcategory)", l)
		}
		out = append(out, l)
	}
	sort.Strings(out)
	uniq := out[:0]
	for i, l := range out {
		if i == 0 || l != out[i-1] {
			uniq = append(uniq, l)
		}
	}
	return strings.Join(uniq, ","), nil
}

func checkGrain(g shelfwise.Grain) error {
	if g != shelfwise.GrainDay && g != shelfwise.GrainWeek && g != shelfwise.GrainPeriod {
		return invalid("unknown grain %q (want day, week or period)", g)
	}
	return nil
}

var forecastCols = []string{"run", "sku", "store", "department", "category", "subcategory",
	"origin", "origin_period", "model", "mean", "levels", "quantiles", "components"}

// PutForecasts stores a run of forecasts in one transaction and deletes the
// previous run of the same grain and level. Numbers are kept per series as
// blobs of little-endian float64s.
func (db *DB) PutForecasts(ctx context.Context, run shelfwise.ForecastRun, fcs []shelfwise.Forecast) error {
	if run.ID == "" {
		return invalid("forecast run: missing id")
	}
	if err := checkGrain(run.Grain); err != nil {
		return fmt.Errorf("forecast run %s: %w", run.ID, err)
	}
	level, err := levelCode(run.Level)
	if err != nil {
		return fmt.Errorf("forecast run %s: %w", run.ID, err)
	}
	if run.Horizon < 0 {
		return invalid("forecast run %s: negative horizon %d", run.ID, run.Horizon)
	}
	seen := make(map[shelfwise.SeriesKey]bool, len(fcs))
	for i := range fcs {
		f := &fcs[i]
		if err := checkForecast(run.Grain, f); err != nil {
			return fmt.Errorf("forecast run %s: forecast %d (%s): %w", run.ID, i, f.Key, err)
		}
		if seen[f.Key] {
			return invalid("forecast run %s: forecast %d: series %s appears twice", run.ID, i, f.Key)
		}
		seen[f.Key] = true
	}
	created := run.Created
	if created.IsZero() {
		created = db.Now()
	}
	return db.write(ctx, func(w *writer) error {
		var other string
		err := w.c.QueryRowContext(ctx, `SELECT grain || '/' || level FROM forecast_runs
			WHERE id = ? AND NOT (grain = ? AND level = ?)`, run.ID, string(run.Grain), level).Scan(&other)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		default:
			return shelfwise.Errorf(shelfwise.ECONFLICT, "forecast run %s already exists for %s", run.ID, other)
		}
		// The rows of the replaced run go with it (ON DELETE CASCADE).
		if _, err := w.exec(ctx, `DELETE FROM forecasts WHERE run IN
			(SELECT rid FROM forecast_runs WHERE grain = ? AND level = ?)`, string(run.Grain), level); err != nil {
			return fmt.Errorf("replace forecast run: %w", err)
		}
		if _, err := w.exec(ctx, `DELETE FROM forecast_runs WHERE grain = ? AND level = ?`, string(run.Grain), level); err != nil {
			return fmt.Errorf("replace forecast run: %w", err)
		}
		res, err := w.exec(ctx, `INSERT INTO forecast_runs(id, model, grain, level, origin, horizon, created)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, run.ID, run.Model, string(run.Grain), level,
			nullMS(run.Origin), int64(run.Horizon), toMS(created))
		if err != nil {
			return fmt.Errorf("store forecast run: %w", err)
		}
		rid, err := res.LastInsertId()
		if err != nil {
			return err
		}
		b := w.inserter("forecasts", forecastCols...)
		for i := range fcs {
			f := &fcs[i]
			k := f.Key
			b.buf = append(b.buf, rid, string(k.SKU), string(k.Store), k.Department, k.Category, k.Subcategory,
				nullMS(f.Origin), int64(f.OriginPeriod), f.Model,
				appendFloats(nil, f.Mean), appendFloats(nil, f.Levels),
				appendMatrix(f.Quantiles), appendComponents(f.Components))
			if err := b.add(ctx); err != nil {
				return err
			}
		}
		return nil
	})
}

// checkForecast rejects a forecast whose grain differs from the run's or
// whose numbers are not finite or do not line up with its mean.
func checkForecast(g shelfwise.Grain, f *shelfwise.Forecast) error {
	if f.Grain != "" && f.Grain != g {
		return invalid("grain %q in a %q run", f.Grain, g)
	}
	h := len(f.Mean)
	if err := finite("mean", f.Mean...); err != nil {
		return err
	}
	if len(f.Levels) != len(f.Quantiles) {
		return invalid("%d quantile levels but %d quantile vectors", len(f.Levels), len(f.Quantiles))
	}
	for i, l := range f.Levels {
		if !(l > 0 && l < 1) || (i > 0 && l <= f.Levels[i-1]) {
			return invalid("quantile levels %v must be ascending in (0,1)", f.Levels)
		}
		if len(f.Quantiles[i]) != h {
			return invalid("quantile %g has %d steps, the mean %d", l, len(f.Quantiles[i]), h)
		}
		if err := finite(fmt.Sprintf("quantile %g", l), f.Quantiles[i]...); err != nil {
			return err
		}
	}
	for name, c := range f.Components {
		if len(c) != h {
			return invalid("component %q has %d steps, the mean %d", name, len(c), h)
		}
		if err := finite("component "+name, c...); err != nil {
			return err
		}
	}
	return nil
}

// Forecasts returns the forecasts of the latest run for q.Grain and q.Level,
// ordered by key fields (SKU, store, department, category, subcategory).
func (db *DB) Forecasts(ctx context.Context, q shelfwise.ForecastQuery) ([]shelfwise.Forecast, error) {
	if err := checkGrain(q.Grain); err != nil {
		return nil, err
	}
	level, err := levelCode(q.Level)
	if err != nil {
		return nil, err
	}
	var rid int64
	err = db.r.QueryRowContext(ctx, `SELECT rid FROM forecast_runs WHERE grain = ? AND level = ?
		ORDER BY created DESC, rid DESC LIMIT 1`, string(q.Grain), level).Scan(&rid)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, shelfwise.Errorf(shelfwise.ENOTFOUND, "no stored forecasts for grain %s and level %q; run shelfwise forecast", q.Grain, level)
	}
	if err != nil {
		return nil, err
	}
	query := `SELECT sku, store, department, category, subcategory, origin, origin_period, model,
		mean, levels, quantiles, components FROM forecasts WHERE run = ?`
	args := []any{rid}
	if k := q.Key; k != nil {
		query += ` AND sku = ? AND store = ? AND department = ? AND category = ? AND subcategory = ?`
		args = append(args, string(k.SKU), string(k.Store), k.Department, k.Category, k.Subcategory)
	}
	query += ` ORDER BY sku, store, department, category, subcategory`
	rows, err := db.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []shelfwise.Forecast
	for rows.Next() {
		var (
			f                       shelfwise.Forecast
			sku, store              string
			origin                  sql.NullInt64
			period                  int64
			mean, levels, qs, comps []byte
		)
		if err := rows.Scan(&sku, &store, &f.Key.Department, &f.Key.Category, &f.Key.Subcategory,
			&origin, &period, &f.Model, &mean, &levels, &qs, &comps); err != nil {
			return nil, err
		}
		f.Key.SKU, f.Key.Store = shelfwise.SKU(sku), shelfwise.StoreID(store)
		f.Grain, f.Origin, f.OriginPeriod = q.Grain, fromNullMS(origin), int(period)
		if f.Mean, err = readVector(mean); err == nil {
			if f.Levels, err = readVector(levels); err == nil {
				if f.Quantiles, err = readMatrix(qs); err == nil {
					f.Components, err = readComponents(comps)
				}
			}
		}
		if err != nil {
			return nil, fmt.Errorf("stored forecast of %s: %w", f.Key, err)
		}
		out = append(out, f)
		if len(out)%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if q.Key != nil && len(out) == 0 {
		return nil, shelfwise.Errorf(shelfwise.ENOTFOUND, "no stored forecast of %s at grain %s", *q.Key, q.Grain)
	}
	return out, nil
}

// Blob encoding: a vector is a uvarint count then that many little-endian
// float64s; a matrix a uvarint count of vectors; components a uvarint count
// of (uvarint name length, name, vector) in name order. An empty vector,
// matrix or map decodes as nil.

func appendFloats(b []byte, xs []float64) []byte {
	b = binary.AppendUvarint(b, uint64(len(xs)))
	for _, x := range xs {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
	}
	return b
}

func appendMatrix(m [][]float64) []byte {
	b := binary.AppendUvarint(nil, uint64(len(m)))
	for _, row := range m {
		b = appendFloats(b, row)
	}
	return b
}

func appendComponents(cs map[string][]float64) []byte {
	names := make([]string, 0, len(cs))
	for n := range cs {
		names = append(names, n)
	}
	sort.Strings(names)
	b := binary.AppendUvarint(nil, uint64(len(names)))
	for _, n := range names {
		b = binary.AppendUvarint(b, uint64(len(n)))
		b = append(b, n...)
		b = appendFloats(b, cs[n])
	}
	return b
}

var errBlob = errors.New("corrupt forecast blob")

// count reads a uvarint count bounded by what the rest of b can hold at
// minBytes per element.
func count(b []byte, minBytes int) (int, []byte, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k)/uint64(minBytes) {
		return 0, nil, errBlob
	}
	return int(n), b[k:], nil
}

func readFloats(b []byte) ([]float64, []byte, error) {
	n, b, err := count(b, 8)
	if err != nil || n == 0 {
		return nil, b, err
	}
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return xs, b[8*n:], nil
}

// readVector reads a blob holding exactly one vector.
func readVector(b []byte) ([]float64, error) {
	xs, rest, err := readFloats(b)
	if err == nil && len(rest) != 0 {
		err = errBlob
	}
	return xs, err
}

func readMatrix(b []byte) ([][]float64, error) {
	n, b, err := count(b, 1)
	if err != nil || n == 0 {
		return nil, err
	}
	m := make([][]float64, n)
	for i := range m {
		if m[i], b, err = readFloats(b); err != nil {
			return nil, err
		}
	}
	if len(b) != 0 {
		return nil, errBlob
	}
	return m, nil
}

func readComponents(b []byte) (map[string][]float64, error) {
	n, b, err := count(b, 2)
	if err != nil || n == 0 {
		return nil, err
	}
	cs := make(map[string][]float64, n)
	for range n {
		var l int
		if l, b, err = count(b, 1); err != nil {
			return nil, err
		}
		name := string(b[:l])
		if cs[name], b, err = readFloats(b[l:]); err != nil {
			return nil, err
		}
	}
	if len(b) != 0 {
		return nil, errBlob
	}
	return cs, nil
}
