package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/simulate"
)

// runSimulateCLI runs the CLI with args against the data directory dir and
// decodes its JSON output.
func runSimulateCLI(t *testing.T, dir string, args ...string) (simulateSummary, error) {
	t.Helper()
	m := NewMain()
	var out, errOut bytes.Buffer
	m.Stdout, m.Stderr = &out, &errOut
	err := m.Run(context.Background(), append([]string{"--db", dir}, args...))
	if cerr := m.Close(); err == nil {
		err = cerr
	}
	var sum simulateSummary
	if err == nil {
		if jerr := json.Unmarshal(out.Bytes(), &sum); jerr != nil {
			t.Fatalf("output is not one JSON object: %v\n%s", jerr, out.String())
		}
	}
	return sum, err
}

func TestSimulateCommand(t *testing.T) {
	dir := t.TempDir()
	args := []string{"simulate", "--seed", "3", "--stores", "1", "--products", "15", "--customers", "40", "--days", "21", "--json"}
	sum, err := runSimulateCLI(t, dir, args...)
	if err != nil {
		t.Fatal(err)
	}
	r := sum.Report
	if r.AlreadyImported || r.Format != "simulate" || r.RowsRead == 0 || r.RowsRead != r.Accepted || r.Written[simulate.KindOrderLines] == 0 {
		t.Fatalf("first run report %+v", r)
	}
	var total int64
	for _, n := range r.Written {
		total += n
	}
	if total != r.RowsRead {
		t.Errorf("rows read %d, written %d", r.RowsRead, total)
	}
	truth, err := simulate.ReadTruth(filepath.Join(dir, "truth"))
	if err != nil {
		t.Fatal(err)
	}
	if truth.Fingerprint != r.Fingerprint || truth.Seed != 3 || len(truth.Products) != 15 {
		t.Errorf("truth %s seed %d with %d products, want the run's", truth.Fingerprint, truth.Seed, len(truth.Products))
	}

	m := NewMain()
	m.DataDir = dir
	db, err := m.DB(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	st, err := db.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m.Close()
	if st.OrderLines != r.Written[simulate.KindOrderLines] || st.Products != 15 {
		t.Errorf("store holds %d order lines and %d products, report says %d and 15", st.OrderLines, st.Products, r.Written[simulate.KindOrderLines])
	}

	again, err := runSimulateCLI(t, dir, args...)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Report.AlreadyImported || again.Report.Fingerprint != r.Fingerprint {
		t.Errorf("second run of the same settings: %+v, want already imported", again.Report)
	}

	_, err = runSimulateCLI(t, dir, "simulate", "--preset", "nope")
	if shelfwise.ErrorCode(err) != shelfwise.EINVALID {
		t.Errorf("unknown preset: err=%v, want EINVALID", err)
	}
}
