package main

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/shelfwise/shelfwise"
	shelfhttp "github.com/shelfwise/shelfwise/http"
	"github.com/shelfwise/shelfwise/ml/modelio"
	"github.com/shelfwise/shelfwise/recommend"
	"github.com/shelfwise/shelfwise/sqlite"
)

// retailStore is a store folder holding the generated invoices
// (writeRetailFixture).
func retailStore(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	data := filepath.Join(t.TempDir(), "retail.csv.gz")
	writeRetailFixture(t, data, false)
	if _, errOut, code := runImportCLI(t, dir, "import", "--format", "online-retail", "--data", data); code != 0 {
		t.Fatalf("import: exit %d: %s", code, errOut)
	}
	return dir
}

// recommendJSON runs "recommend --json" and decodes its answer.
func recommendJSON(t *testing.T, dir string, args ...string) (map[string]any, string, int) {
	t.Helper()
	out, errOut, code := runImportCLI(t, dir, append([]string{"recommend", "--customer", "12004", "--n", "5", "--json"}, args...)...)
	if code != 0 {
		return nil, errOut, code
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	return m, errOut, code
}

// TestRecommendSavedModel checks the life cycle of the saved recommender:
// trained and saved on first use, loaded (same answers, no training) while
// the store is unchanged, retrained when the store changes or on
// --retrain, and a damaged file is a clear error naming it.
func TestRecommendSavedModel(t *testing.T) {
	dir := retailStore(t)
	file := filepath.Join(dir, "models", "recommend.swm")

	first, errOut, code := recommendJSON(t, dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if first["model_loaded"] != false || !strings.Contains(errOut, "no saved model") {
		t.Fatalf("first call should train: loaded=%v stderr=%q", first["model_loaded"], errOut)
	}
	// Stderr is no terminal here, so the training's stages print a line
	// each (a job's log shows what the minutes went on), from the first
	// validation window to the end.
	for _, want := range []string{"training recommendations:   0% validation window 1 of ", "training recommendations: 100% hybrid trained (elapsed "} {
		if !strings.Contains(errOut, want) {
			t.Fatalf("first call's stderr lacks %q:\n%s", want, errOut)
		}
	}
	if st, err := os.Stat(file); err != nil || st.Size() == 0 {
		t.Fatalf("model file not written: %v", err)
	}
	if recs := first["recommendations"].([]any); len(recs) != 5 || first["known_customer"] != true {
		t.Fatalf("recommendations: %v", first)
	}
	// Each product carries its catalogue name (the fixture's Description).
	for _, r := range first["recommendations"].([]any) {
		rec := r.(map[string]any)
		if rec["name"] != "ITEM "+rec["sku"].(string) {
			t.Fatalf("recommendation %v: name %q, want the fixture's description", rec, rec["name"])
		}
	}

	second, errOut, _ := recommendJSON(t, dir)
	if second["model_loaded"] != true || errOut != "" {
		t.Fatalf("second call should load the saved model: loaded=%v stderr=%q", second["model_loaded"], errOut)
	}
	if !reflect.DeepEqual(first["recommendations"], second["recommendations"]) || first["model_version"] != second["model_version"] {
		t.Fatalf("loaded model answers differently:\n%v\n%v", first, second)
	}

	// Business rules: a price cap (item i of the fixture costs 1.25 + i%4)
	// and a bad combination, which names the flags.
	capped, errOut, code := recommendJSON(t, dir, "--max-price", "2.25")
	if code != 0 || len(capped["recommendations"].([]any)) != 5 {
		t.Fatalf("--max-price: exit %d %v %s", code, capped, errOut)
	}
	for _, r := range capped["recommendations"].([]any) {
		var i int
		fmt.Sscanf(r.(map[string]any)["sku"].(string), "2%04d", &i)
		if p := 1.25 + float64(i%4); p > 2.25 {
			t.Fatalf("--max-price 2.25 listed %v, priced %g", r, p)
		}
	}
	if _, errOut, code := recommendJSON(t, dir, "--price-band", "0.3"); code != 2 || !strings.Contains(errOut, "--price-band") || !strings.Contains(errOut, "--around") {
		t.Fatalf("--price-band without --around: exit %d, stderr %q", code, errOut)
	}
	// A product or category the catalogue lacks is bad input, not an
	// unfiltered or empty list (the fixture's products have no categories).
	for _, c := range []struct{ flag, value, want string }{
		{"--around", "NOPE", `--around: no product "NOPE" in the catalogue`},
		{"--category", "Nope", `--category "Nope": the catalogue has no departments, categories or subcategories`},
	} {
		if _, errOut, code := recommendJSON(t, dir, c.flag, c.value); code != 2 || !strings.Contains(errOut, c.want) {
			t.Fatalf("%s %s: exit %d, stderr %q; want exit 2 and %q", c.flag, c.value, code, errOut, c.want)
		}
	}
	if around, errOut, code := recommendJSON(t, dir, "--around", "20005"); code != 0 || len(around["recommendations"].([]any)) == 0 {
		t.Fatalf("--around a known product: exit %d %v %s", code, around, errOut)
	}

	// A truncated file is bad input naming the file (exit 2), not a silent retrain.
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, raw[:len(raw)/3], 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := recommendJSON(t, dir); code != 2 || !strings.Contains(errOut, file) || !strings.Contains(errOut, "corrupt") {
		t.Fatalf("truncated model: exit %d, stderr %q", code, errOut)
	}
	if m, errOut, code := recommendJSON(t, dir, "--retrain"); code != 0 || m["model_loaded"] != false {
		t.Fatalf("--retrain: exit %d %v %s", code, m, errOut)
	}
	if m, _, _ := recommendJSON(t, dir); m["model_loaded"] != true {
		t.Fatal("the retrained model was not saved")
	}

	// "train recommend" writes the same file.
	out, errOut, code := runImportCLI(t, dir, "train", "recommend", "--json")
	if code != 0 {
		t.Fatalf("train recommend: exit %d: %s", code, errOut)
	}
	var tr map[string]any
	if err := json.Unmarshal([]byte(out), &tr); err != nil || tr["file"] != file || tr["bytes"].(float64) <= 0 {
		t.Fatalf("train recommend: %v %s", err, out)
	}

	// New purchases make the saved model stale: the next call retrains.
	more := filepath.Join(t.TempDir(), "more.csv")
	csv := "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n" +
		"599001,20005,ITEM 20005,2,6/1/2011 10:00,2.25,12004,United Kingdom\n"
	if err := os.WriteFile(more, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := runImportCLI(t, dir, "import", "--format", "online-retail", "--data", more); code != 0 {
		t.Fatalf("import: exit %d: %s", code, errOut)
	}
	if m, errOut, _ := recommendJSON(t, dir); m["model_loaded"] != false || !strings.Contains(errOut, "changed") {
		t.Fatalf("stale model reused: %v %q", m, errOut)
	}
}

// noOrderLines is a store whose order lines cannot be read: a model that
// loads through it was not retrained.
type noOrderLines struct{ shelfwise.DB }

func (noOrderLines) OrderLines(context.Context, shelfwise.OrderFilter, func(shelfwise.OrderLine) error) error {
	return errors.New("order lines read: the model is being retrained")
}

// AuditLog forwards to the store: no erasure, so nothing to scrub on load.
func (n noOrderLines) AuditLog(ctx context.Context) ([]sqlite.AuditEntry, error) {
	return n.DB.(*sqlite.DB).AuditLog(ctx)
}

// TestServeRecommendArtifactIsModel checks that the served recommender's
// registry artifact is the saved model: after a restart (a new process has
// no trained models in memory) it is loaded without reading the purchases,
// answers as the trained one did, and a damaged artifact is refused.
func TestServeRecommendArtifactIsModel(t *testing.T) {
	dir := retailStore(t)
	ctx := context.Background()
	db, err := openStore(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rc := &recommendCap{db: db}
	cand, err := rc.train(ctx, func(float64, string) {})
	if err != nil {
		t.Fatal(err)
	}
	if modelio.Kind(cand.Artifact) != recommend.ModelKind {
		t.Fatalf("artifact kind %q, want %q", modelio.Kind(cand.Artifact), recommend.ModelKind)
	}
	// The baselines are scored on the same held-out days: the fixture's
	// customers buy mostly in one taste group of 20 of the 60 products, so
	// their own history beats the most popular items, and the hybrid
	// beats both on NDCG@10.
	for _, k := range []string{"ndcg@10", "own_history_ndcg@10", "popular_ndcg@10", "own_history_recall@10", "popular_recall@10"} {
		if v, ok := cand.Metrics[k]; !ok || !(v > 0 && v <= 1) {
			t.Errorf("metric %s = %v (present %v), want in (0, 1]", k, v, ok)
		}
	}
	if m := cand.Metrics; !(m["ndcg@10"] > m["own_history_ndcg@10"] && m["own_history_ndcg@10"] > m["popular_ndcg@10"]) {
		t.Errorf("NDCG@10: hybrid %.4f, own history %.4f, popular %.4f; want them in that order", m["ndcg@10"], m["own_history_ndcg@10"], m["popular_ndcg@10"])
	}
	// The lift's interval holds the lift.
	for _, b := range []string{"own_history", "popular"} {
		m := cand.Metrics
		gain, lo, hi := m["recall@10"]-m[b+"_recall@10"], m[b+"_recall@10_gain_lo95"], m[b+"_recall@10_gain_hi95"]
		if !(lo < gain && gain < hi) {
			t.Errorf("Recall@10 gain over %s %.4f outside its interval [%.4f, %.4f]", b, gain, lo, hi)
		}
	}
	sum := sha256.Sum256(cand.Artifact)
	v := shelfwise.ModelVersion{Task: shelfwise.TaskRecommend, Version: 1, Checksum: hex.EncodeToString(sum[:])}
	swap, err := rc.load(ctx, v, cand.Artifact)
	if err != nil {
		t.Fatal(err)
	}
	swap()
	restarted := &recommendCap{db: noOrderLines{db}}
	swap, err = restarted.load(ctx, v, cand.Artifact)
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	swap()
	ps := shelfwise.NewPseudonymizer(mustSecret(t, dir))
	q := shelfhttp.RecQuery{N: 5}
	a, err := rc.ForCustomer(ctx, ps.Key("12004"), q)
	if err != nil {
		t.Fatal(err)
	}
	b, err := restarted.ForCustomer(ctx, ps.Key("12004"), q)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Items) != 5 || !reflect.DeepEqual(a.Items, b.Items) {
		t.Fatalf("restarted server answers differently:\n%+v\n%+v", a.Items, b.Items)
	}
	bad := append([]byte(nil), cand.Artifact[:len(cand.Artifact)-10]...)
	if _, err := (&recommendCap{db: noOrderLines{db}}).load(ctx, v, bad); !errors.Is(err, modelio.ErrCorrupt) {
		t.Fatalf("truncated artifact: %v", err)
	}
}

func mustSecret(t *testing.T, dir string) []byte {
	t.Helper()
	key, err := shelfwise.LoadSecret(dir)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// TestRecommendBatch runs "recommend --customers FILE --out CSV": one row
// per product for every customer of the file, in its order, the same
// lists as --customer gives, unknown customers marked and served trending
// products, and bad input refused with the file and line, writing nothing.
func TestRecommendBatch(t *testing.T) {
	dir := retailStore(t)
	work := t.TempDir()
	ids := filepath.Join(work, "ids.txt")
	if err := os.WriteFile(ids, []byte("customer_id\n12004\n\n 12005 \n99999\n12006\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(work, "recs.csv")
	_, errOut, code := runImportCLI(t, dir, "recommend", "--customers", ids, "--n", "3", "--out", out)
	if code != 0 || !strings.Contains(errOut, "wrote 12 recommendations for 4 customers") || !strings.Contains(errOut, "1 not in the purchases") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"customer", "rank", "sku", "product", "score", "reason", "source", "known"}; !reflect.DeepEqual(rows[0], want) || len(rows) != 13 {
		t.Fatalf("header %v and %d rows, want %v and 12", rows[0], len(rows)-1, want)
	}
	for i, r := range rows[1:] {
		cust := []string{"12004", "12005", "99999", "12006"}[i/3]
		if r[0] != cust || r[1] != fmt.Sprint(i%3+1) || r[3] != "ITEM "+r[2] || r[7] != strconv.FormatBool(cust != "99999") {
			t.Fatalf("row %d: %v (customer %s)", i+1, r, cust)
		}
		if cust == "99999" && r[6] != "trending" {
			t.Fatalf("unknown customer's row %v: want trending", r)
		}
	}
	// The same list as one customer's request.
	one, _, _ := recommendJSON(t, dir, "--n", "3")
	for k, r := range one["recommendations"].([]any) {
		if sku := r.(map[string]any)["sku"]; rows[1+k][2] != sku {
			t.Fatalf("batch rank %d of 12004 is %s, --customer gives %v", k+1, rows[1+k][2], sku)
		}
	}

	bad := filepath.Join(work, "bad.txt")
	if err := os.WriteFile(bad, []byte("12004\nab\x01c\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out2 := filepath.Join(work, "never.csv")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--customers", bad, "--out", out2}, bad + " line 2"},
		{[]string{"--customers", filepath.Join(work, "missing.txt"), "--out", out2}, "missing.txt"},
		{[]string{"--customers", ids, "--customer", "12004"}, "it takes neither --customer nor --viewed"},
		{[]string{"--customer", "12004", "--out", out2}, "--out writes the lists of --customers"},
		{[]string{"--customers", ids, "--out", filepath.Join(work, "no", "such", "dir.csv")}, "--out"},
	} {
		_, errOut, code := runImportCLI(t, dir, append([]string{"recommend"}, c.args...)...)
		if code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want an error naming %q", c.args, code, errOut, c.want)
		}
	}
	if _, err := os.Stat(out2); !os.IsNotExist(err) {
		t.Fatalf("a failed run wrote %s (%v)", out2, err)
	}
}

// TestReadCustomerIDs: the identifiers of a --customers file, trimmed,
// without the header and blank lines, each with its line in the file
// (what a message about that customer names).
func TestReadCustomerIDs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ids.txt")
	if err := os.WriteFile(path, []byte("Customer_ID\n\n17850\n  13047 \n\n12583\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ids, lines, err := readCustomerIDs(path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids, []string{"17850", "13047", "12583"}) || !slices.Equal(lines, []int{3, 4, 6}) {
		t.Fatalf("ids %q on lines %v, want 17850, 13047, 12583 on lines 3, 4, 6", ids, lines)
	}
}

// linesForbidden is a sqlite store whose order lines cannot be read (its
// version can): a recommender it yields was neither retrained nor checked
// against the purchases.
type linesForbidden struct{ *sqlite.DB }

func (linesForbidden) OrderLines(context.Context, shelfwise.OrderFilter, func(shelfwise.OrderLine) error) error {
	return errors.New("order lines read")
}

// TestRecommendStamp: while the store's version is the one stamped
// beside the saved model, the model is used without reading the
// purchases; any write (even one that leaves the purchases as they were)
// or a model other than the stamped one sends the check the long way,
// which stamps the model again when it still fits.
func TestRecommendStamp(t *testing.T) {
	dir := retailStore(t)
	if _, errOut, code := recommendJSON(t, dir); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	ctx := context.Background()
	db, err := openStore(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m := NewMain()
	m.DataDir = dir
	m.Stderr = io.Discard
	quick := func() error {
		t.Helper()
		_, info, err := m.recommender(ctx, linesForbidden{db.(*sqlite.DB)}, false)
		if err == nil && !info.Loaded {
			t.Fatal("a model was trained without reading the purchases")
		}
		return err
	}
	if err := quick(); err != nil {
		t.Fatalf("stamped model, unchanged store: %v", err)
	}
	// A write that changes no purchase still changes the version.
	prods, err := db.Products(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.PutProducts(ctx, prods[:1]); err != nil {
		t.Fatal(err)
	}
	if err := quick(); err == nil {
		t.Fatal("after a write, the model was used without checking it")
	}
	if _, info, err := m.recommender(ctx, db, false); err != nil || !info.Loaded {
		t.Fatalf("the long check: loaded %v, %v; want the unchanged data's model loaded", info.Loaded, err)
	}
	if err := quick(); err != nil {
		t.Fatalf("after the long check stamped it again: %v", err)
	}
	// A stamp for another model is not this model's.
	file := m.recommendModelFile()
	st, ok := readModelStamp(file)
	if !ok {
		t.Fatal("no stamp beside the model after the long check")
	}
	m.stampModel(file, true, st.Version, st.Data+" (another model)")
	if err := quick(); err == nil {
		t.Fatal("a stamp of another model let this one skip the check")
	}
}
