package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shelfwise/shelfwise/internal/realdata"
)

// splitM4 writes the M4 weekly training file as the competition ships it
// (a training file and a test file with the next h values of every series,
// both in the quoted "V1","V2",… layout) by moving the last h values of each
// series of src into the test file. The files go to dir, never the repo.
func splitM4(t *testing.T, src, dir string, h int, drop string) (train, test string) {
	t.Helper()
	r := realdata.OpenCSV(t, src)
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var tr, te strings.Builder
	quote := func(b *strings.Builder, cells []string) {
		for i, c := range cells {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(b, "%q", c)
		}
		b.WriteByte('\n')
	}
	header := func(n int) []string {
		hs := make([]string, n)
		for i := range hs {
			hs[i] = fmt.Sprintf("V%d", i+1)
		}
		return hs
	}
	quote(&tr, rows[0])
	quote(&te, header(h+1))
	for _, row := range rows[1:] {
		n := len(row)
		for n > 1 && row[n-1] == "" {
			n--
		}
		cut := n - h
		cells := append([]string(nil), row[:cut]...)
		for len(cells) < len(rows[0]) {
			cells = append(cells, "")
		}
		quote(&tr, cells)
		if row[0] != drop {
			quote(&te, append([]string{row[0]}, row[cut:n]...))
		}
	}
	train, test = filepath.Join(dir, "Weekly-train.csv"), filepath.Join(dir, "Weekly-test.csv")
	if err := os.WriteFile(train, []byte(tr.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(test, []byte(te.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return train, test
}

// TestEvalForecastM4TestFile checks that --test scores a model fitted on all
// of --data against the competition-layout test file: moving the last 13
// weeks of each real M4 series into a test file must give exactly the
// figures of the holdout backtest on the full file. A test file missing a
// series is an error naming the file and the series.
func TestEvalForecastM4TestFile(t *testing.T) {
	src := realdata.Path(t, "m4_weekly/Weekly-train.csv.gz")
	dir := t.TempDir()
	train, test := splitM4(t, src, dir, 13, "")
	eval := func(args ...string) map[string]any {
		t.Helper()
		return runJSON(t, append([]string{"eval", "forecast", "--format", "m4",
			"--horizon", "13", "--model", "ets", "--json"}, args...)...)
	}
	hold := eval("--data", src)
	withTest := eval("--data", train, "--test", test)
	if withTest["test"] != true || hold["test"] != false {
		t.Fatalf("test flags: holdout %v, --test %v", hold["test"], withTest["test"])
	}
	for _, k := range []string{"mase", "smape", "rmsse", "pinball", "coverage_80", "coverage_95", "series"} {
		a, b := hold[k].(float64), withTest[k].(float64)
		if d := a - b; d > 1e-9 || d < -1e-9 {
			t.Errorf("%s: holdout %v, --test %v", k, a, b)
		}
	}
	if s := hold["series"].(float64); s != 359 {
		t.Errorf("series %v, want 359", s)
	}

	bad := t.TempDir()
	train, test = splitM4(t, src, bad, 13, "W7")
	_, errOut, code := runImportCLI(t, t.TempDir(), "eval", "forecast", "--format", "m4", "--horizon", "13",
		"--model", "naive", "--data", train, "--test", test)
	if code == 0 || !strings.Contains(errOut, test) || !strings.Contains(errOut, "W7") {
		t.Fatalf("missing test row: exit %d, stderr %q; want an error naming %s and W7", code, errOut, test)
	}
}
