package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shelfwise/shelfwise"
)

// runImportCLI runs the CLI against data directory dir and returns stdout,
// stderr and the exit code main would use.
func runImportCLI(t *testing.T, dir string, args ...string) (string, string, int) {
	t.Helper()
	m := NewMain()
	var out, errOut bytes.Buffer
	m.Stdout, m.Stderr = &out, &errOut
	err := m.Run(context.Background(), append([]string{"--db", dir}, args...))
	if cerr := m.Close(); err == nil {
		err = cerr
	}
	code := m.exitCode(err) // prints the error to m.Stderr
	return out.String(), errOut.String(), code
}

// runJSON runs the CLI in a fresh data directory, fails the test unless it
// exits 0 with one JSON object on standard output, and returns the object.
func runJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	out, errOut, code := runImportCLI(t, t.TempDir(), args...)
	if code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, errOut)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("%v: not one JSON object: %v\n%s", args, err, out)
	}
	return m
}

func storeLines(t *testing.T, dir string) shelfwise.Stats {
	t.Helper()
	db, err := openStore(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, err := db.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

const importHeader = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"

func TestImportCommand(t *testing.T) {
	dir, data := t.TempDir(), t.TempDir()
	good := importHeader +
		"536365,85123A,WHITE HANGING HEART,6,2010-12-01 08:26:00,2.55,17850,United Kingdom\n" +
		"536365,85123A,WHITE HANGING HEART,6,2010-12-01 08:26:00,2.55,17850,United Kingdom\n" +
		"C536379,D,Discount,-1,2010-12-01 09:41:00,27.5,14527,United Kingdom\n"
	goodPath := filepath.Join(data, "orders.csv")
	badPath := filepath.Join(data, "bad.csv")
	os.WriteFile(goodPath, []byte(good), 0o600)
	os.WriteFile(badPath, []byte(good+"536380,22111,X,7,2010-12-01 09:41:00,abc,14527,UK\n"), 0o600)

	t.Run("BadInput", func(t *testing.T) {
		out, errOut, code := runImportCLI(t, dir, "import", "--format", "online-retail", "--data", badPath)
		if code != 2 {
			t.Fatalf("exit=%d, want 2 (stderr %q)", code, errOut)
		}
		want := badPath + " line 5 field UnitPrice: not a number"
		if !strings.Contains(errOut, want) || out != "" {
			t.Errorf("stderr=%q, want %q", errOut, want)
		}
		if st := storeLines(t, dir); st.OrderLines != 0 || st.Imports != 0 {
			t.Errorf("failed import wrote %+v", st)
		}
	})
	t.Run("Table", func(t *testing.T) {
		out, errOut, code := runImportCLI(t, dir, "import", "--format", "online-retail", "--data", goodPath)
		if code != 0 {
			t.Fatalf("exit=%d: %s", code, errOut)
		}
		for _, want := range []string{"rows read", "accepted", "exact_duplicate", "dropped", "cancellation", "kept as return",
			"order_lines", "products"} {
			if !strings.Contains(out, want) {
				t.Errorf("report lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, "already imported") {
			t.Errorf("first import says already imported")
		}
	})
	t.Run("AgainJSON", func(t *testing.T) {
		out, errOut, code := runImportCLI(t, dir, "import", "--format", "online-retail", "--data", goodPath, "--json")
		if code != 0 {
			t.Fatalf("exit=%d: %s", code, errOut)
		}
		var rep shelfwise.ImportReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("not one JSON object: %v\n%s", err, out)
		}
		if !rep.AlreadyImported || rep.RowsRead != 3 || rep.Accepted != 2 || len(rep.Written) != 0 {
			t.Errorf("report=%+v", rep)
		}
		if st := storeLines(t, dir); st.OrderLines != 2 || st.Imports != 1 {
			t.Errorf("second import changed the store: %+v", st)
		}
	})
	t.Run("AgainTable", func(t *testing.T) {
		out, _, code := runImportCLI(t, dir, "import", "--format", "online-retail", "--data", goodPath)
		if code != 0 || !strings.Contains(out, "already imported — nothing written") {
			t.Errorf("exit=%d out=%s", code, out)
		}
	})
	t.Run("Usage", func(t *testing.T) {
		for _, args := range [][]string{
			{"import", "--data", goodPath},
			{"import", "--format", "nope", "--data", goodPath},
			{"import", "--format", "online-retail", "--data", goodPath, "--map", "sku=X"},
			{"import", "--format", "generic", "--data", goodPath, "--map", "colour=X"},
			{"import", "--format", "online-retail", "--data", filepath.Join(data, "missing.csv")},
		} {
			if _, errOut, code := runImportCLI(t, dir, args...); code != 2 || errOut == "" {
				t.Errorf("%v: exit=%d stderr=%q, want 2 and a message", args, code, errOut)
			}
		}
	})
	t.Run("GenericMap", func(t *testing.T) {
		p := filepath.Join(data, "generic.csv")
		os.WriteFile(p, []byte("When,Article,Client Id,N,Each\n2024-01-02,A1,c-9,2,1.5\n"), 0o600)
		out, errOut, code := runImportCLI(t, dir, "import", "--format", "generic", "--data", p, "--json",
			"--map", "time=When", "--map", "sku=Article", "--map", `customer="Client Id"`, "--map", "quantity=N", "--map", "price=Each")
		if code != 0 {
			t.Fatalf("exit=%d: %s", code, errOut)
		}
		var rep shelfwise.ImportReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Written["order_lines"] != 1 {
			t.Fatalf("report=%s err=%v", out, err)
		}
	})
}
