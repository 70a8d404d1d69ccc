// Package realdata locates the public retail datasets in ../shared/data
// (beside the repository) for tests, benchmarks and examples. The files are
// read in place and never copied into the repository.
package realdata

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Root returns the shared data folder: $SHELFWISE_DATA if set, else the
// first "shared/data" found beside the module root or one of its parents.
// It returns "" when none exists.
func Root() string {
	if d := os.Getenv("SHELFWISE_DATA"); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		cand := filepath.Join(dir, "..", "shared", "data")
		if st, err := os.Stat(cand); err == nil && st.IsDir() {
			return filepath.Clean(cand)
		}
		cand = filepath.Join(dir, "shared", "data")
		if st, err := os.Stat(cand); err == nil && st.IsDir() {
			return filepath.Clean(cand)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// Path returns the path of a dataset folder or file under the shared data
// folder, e.g. Path(t, "uci_online_retail/online_retail.csv.gz"). Where it is
// absent the test is skipped loudly with the path it looked for.
func Path(t testing.TB, rel string) string {
	t.Helper()
	root := Root()
	if root == "" {
		t.Skipf("real data not found at ../shared/data/%s (set SHELFWISE_DATA)", rel)
	}
	p := filepath.Join(root, rel)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("real data not found at %s", p)
	}
	return p
}

// OpenCSV opens the CSV file at path for reading, through gzip when its
// name ends in ".gz"; the file closes when the test ends, and any error
// fails the test.
func OpenCSV(t testing.TB, path string) *csv.Reader {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	var r io.Reader = bufio.NewReader(f)
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(r)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		r = gz
	}
	return csv.NewReader(r)
}
