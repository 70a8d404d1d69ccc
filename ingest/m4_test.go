package ingest

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/internal/realdata"
)

// writeFixture writes a generated test file into dir and returns its path.
func writeFixture(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// wantInputError asserts err is an *shelfwise.InputError at line and field
// whose message contains substr.
func wantInputError(t *testing.T, err error, file string, line int, field, substr string) {
	t.Helper()
	var ie *shelfwise.InputError
	if !errors.As(err, &ie) {
		t.Fatalf("err=%v (%T), want *shelfwise.InputError", err, err)
	}
	if file != "" && filepath.Base(ie.File) != file {
		t.Errorf("file=%q, want %q (err %v)", ie.File, file, err)
	}
	if ie.Line != line || ie.Field != field {
		t.Errorf("line %d field %q, want line %d field %q (err %v)", ie.Line, ie.Field, line, field, err)
	}
	if !strings.Contains(err.Error(), substr) {
		t.Errorf("err=%q, want it to mention %q", err, substr)
	}
}

func TestM4RealCounts(t *testing.T) {
	path := realdata.Path(t, "m4_weekly/Weekly-train.csv.gz")
	var mem Memory
	rep, err := Read(context.Background(), "m4", path, Options{}, &mem)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rep.RowsRead, int64(359); got != want {
		t.Fatalf("rows read=%d, want %d", got, want)
	}
	if got, want := rep.Accepted, int64(359); got != want {
		t.Errorf("accepted=%d, want %d", got, want)
	}
	if got, want := rep.Written["sales_points"], int64(366912); got != want {
		t.Errorf("sales points written=%d, want %d", got, want)
	}
	for rule, n := range ruleCounts(rep) {
		if n != 0 {
			t.Errorf("rule %s=%d, want 0", rule, n)
		}
	}
	lengths := map[shelfwise.SKU]int{}
	var sum float64
	for _, p := range mem.SalesPoints {
		if p.Period != lengths[p.SKU] {
			t.Fatalf("%s: period %d out of order (want %d)", p.SKU, p.Period, lengths[p.SKU])
		}
		lengths[p.SKU]++
		sum += p.Units
	}
	minLen, maxLen, n80 := math.MaxInt, 0, 0
	for _, n := range lengths {
		minLen, maxLen = min(minLen, n), max(maxLen, n)
		if n == 80 {
			n80++
		}
	}
	if len(lengths) != 359 || minLen != 80 || maxLen != 2597 || n80 != 65 {
		t.Errorf("series=%d lengths %d..%d (%d of length 80), want 359 series, 80..2597, 65", len(lengths), minLen, maxLen, n80)
	}
	if lengths["W1"] != 2179 || lengths["W4"] != 2597 || lengths["W359"] != 80 {
		t.Errorf("lengths W1=%d W4=%d W359=%d, want 2179, 2597, 80", lengths["W1"], lengths["W4"], lengths["W359"])
	}
	if first := mem.SalesPoints[0]; first.SKU != "W1" || first.Units != 1089.2 || first.Grain != shelfwise.GrainPeriod {
		t.Errorf("first point=%+v, want W1 period 0 = 1089.2", first)
	}
	if want := 1399638664.718553; math.Abs(sum-want) > 1e-3 {
		t.Errorf("sum of values=%.6f, want %.6f", sum, want)
	}

	// The test-file reader reads the same layout.
	test, err := ReadM4Test(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(test) != 359 || len(test["W1"]) != 2179 || test["W359"][79] != 4410 {
		t.Errorf("ReadM4Test: %d series, W1 has %d values, W359 last=%v", len(test), len(test["W1"]), test["W359"][79])
	}
}

func TestM4Fixture(t *testing.T) {
	dir := t.TempDir()
	writeFixture(t, dir, "Weekly-train.csv",
		"\"V1\",\"V2\",\"V3\",\"V4\",\"V5\"\r\n"+
			"\"W1\",\"1\",\"2.5\",\"3\",\"\"\r\n"+
			"\"W2\",\"-4\",\"5\",\"\",\"\"\r\n"+
			"\"W1\",\"1\",\"2.5\",\"3\",\"\"\r\n"+ // exact duplicate
			"\"W1\",\"9\",\"\",\"\",\"\"\r\n"+ // same id, other values
			"\"W3\",\"\",\"\",\"\",\"\"\r\n") // empty
	var mem Memory
	rep, err := Read(context.Background(), "m4", dir, Options{}, &mem)
	if err != nil {
		t.Fatal(err)
	}
	if rep.RowsRead != 5 || rep.Accepted != 2 || len(mem.SalesPoints) != 5 {
		t.Fatalf("read %d accepted %d points %d, want 5, 2, 5", rep.RowsRead, rep.Accepted, len(mem.SalesPoints))
	}
	want := map[string]int64{RuleDuplicate: 1, RuleM4DuplicateID: 2, RuleM4EmptySeries: 1, RuleM4Negative: 1, RuleUnparseable: 0}
	got := ruleCounts(rep)
	for rule, n := range want {
		if got[rule] != n {
			t.Errorf("rule %s=%d, want %d", rule, got[rule], n)
		}
	}
	if p := mem.SalesPoints[4]; p.SKU != "W2" || p.Period != 1 || p.Units != 5 {
		t.Errorf("last point=%+v, want W2 period 1 = 5", p)
	}
	// The fingerprint does not depend on the row order.
	reordered := writeFixture(t, t.TempDir(), "Weekly-train.csv",
		"V1,V2,V3,V4,V5\n\"W3\"\n\"W1\",9\nW2,-4,5\nW1,1,2.5,3\nW1,1,2.5,3\n")
	rep2, err := Read(context.Background(), "m4", reordered, Options{}, &Memory{})
	if err != nil {
		t.Fatal(err)
	}
	if rep2.Fingerprint != rep.Fingerprint {
		t.Errorf("fingerprints differ after reordering: %s vs %s", rep.Fingerprint, rep2.Fingerprint)
	}
	test, err := ReadM4Test(writeFixture(t, t.TempDir(), "Weekly-test.csv", "V1,V2,V3\nW1,10,11\nW2,12,\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(test) != 2 || test["W1"][1] != 11 || len(test["W2"]) != 1 {
		t.Errorf("ReadM4Test=%v", test)
	}
}

func TestM4BadInput(t *testing.T) {
	tests := []struct {
		name, content string
		line          int
		field, msg    string
	}{
		{"BadNumber", "V1,V2,V3\nW1,1,x2\n", 2, "V3", `not a number: "x2"`},
		{"Gap", "V1,V2,V3,V4\nW1,1,2,3\nW2,1,,3\n", 3, "V3", "empty value inside the series"},
		{"MissingID", "V1,V2\n,1\n", 2, "V1", "missing series id"},
		{"WrongHeader", "id,value\nW1,1\n", 1, "V1", "not an M4 series file"},
		{"Empty", "", 1, "", "empty file"},
		{"BareQuote", "V1,V2\nW1,\"1\"2\n", 2, "", "extraneous"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFixture(t, t.TempDir(), "Weekly-train.csv", tt.content)
			_, err := Read(context.Background(), "m4", p, Options{}, &Memory{})
			wantInputError(t, err, "Weekly-train.csv", tt.line, tt.field, tt.msg)
			_, err = ReadM4Test(p)
			wantInputError(t, err, "Weekly-train.csv", tt.line, tt.field, tt.msg)
		})
	}
	t.Run("DuplicateTestSeries", func(t *testing.T) {
		p := writeFixture(t, t.TempDir(), "Weekly-test.csv", "V1,V2\nW1,1\nW1,2\n")
		_, err := ReadM4Test(p)
		wantInputError(t, err, "Weekly-test.csv", 3, "V1", "given twice")
	})
	t.Run("MaxBadRows", func(t *testing.T) {
		p := writeFixture(t, t.TempDir(), "Weekly-train.csv", "V1,V2\nW1,1\nW2,x\nW3,3\n")
		rep, err := Read(context.Background(), "m4", p, Options{MaxBadRows: 1}, &Memory{})
		if err != nil {
			t.Fatal(err)
		}
		if got := ruleCounts(rep)[RuleUnparseable]; got != 1 || rep.Accepted != 2 {
			t.Errorf("unparseable=%d accepted=%d, want 1, 2", got, rep.Accepted)
		}
	})
}
