package main

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise/recommend"
)

// writeRetailFixture writes generated invoices in the Online Retail layout
// (ii = false: InvoiceNo, UnitPrice, CustomerID, "12/1/2010 8:26" dates) or
// the Online Retail II layout (ii = true: Invoice, Price, Customer ID,
// "2010-12-01 08:26:00" dates), gzipped. Customers belong to one of three
// taste groups of 20 products and buy mostly in their group; some lines are
// postage (non-product) and some invoices are cancelled ("C", negative
// quantities). It returns the number of cancellation lines.
func writeRetailFixture(t *testing.T, path string, ii bool) int {
	t.Helper()
	r := rand.New(rand.NewPCG(7, 3))
	var b strings.Builder
	if ii {
		b.WriteString("Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n")
	} else {
		b.WriteString("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n")
	}
	start := time.Date(2010, 12, 1, 8, 0, 0, 0, time.UTC)
	row := func(inv, sku string, qty int, at time.Time, price float64, cust int) {
		date := at.Format("1/2/2006 15:04")
		id := fmt.Sprint(cust)
		if ii {
			date, id = at.Format("2006-01-02 15:04:05"), fmt.Sprintf("%d.0", cust)
		}
		fmt.Fprintf(&b, "%s,%s,ITEM %s,%d,%s,%.2f,%s,United Kingdom\n", inv, sku, sku, qty, date, price, id)
	}
	invoice, returns := 536000, 0
	for c := 0; c < 40; c++ {
		g := c % 3
		for d := r.Float64() * 10; d < 120; d += 8 + r.Float64()*8 {
			invoice++
			at := start.Add(time.Duration(d * 24 * float64(time.Hour))).Truncate(time.Minute)
			inv := fmt.Sprint(invoice)
			for k := 0; k < 3; k++ {
				i := g*20 + r.IntN(20)
				if r.Float64() < 0.1 {
					i = r.IntN(60)
				}
				qty := 1 + r.IntN(6)
				row(inv, fmt.Sprintf("2%04d", i), qty, at, 1.25+float64(i%4), 12000+c)
				if r.Float64() < 0.05 {
					returns++
					row("C"+inv, fmt.Sprintf("2%04d", i), -qty, at.Add(48*time.Hour), 1.25+float64(i%4), 12000+c)
				}
			}
			row(inv, "POST", 1, at, 18, 12000+c)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	if _, err := zw.Write([]byte(b.String())); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return returns
}

// TestEvalRecommendOnlineRetailII runs "eval recommend" end to end on the
// same generated invoices written with the Online Retail header and with
// the Online Retail II header: the command must accept both unchanged and
// read the same purchases. (The metrics themselves may differ in the last
// digits: customer keys are pseudonymised with a fresh key per run, which
// reorders customers and so the latent models' starting point.)
func TestEvalRecommendOnlineRetailII(t *testing.T) {
	data := t.TempDir()
	res := map[bool]map[string]any{}
	var returns int
	for _, ii := range []bool{false, true} {
		path := filepath.Join(data, fmt.Sprintf("retail_%v.csv.gz", ii))
		returns = writeRetailFixture(t, path, ii)
		out, errOut, code := runImportCLI(t, t.TempDir(), "eval", "recommend", "--format", "online-retail", "--data", path,
			"--test-days", "30", "--k", "10", "--json")
		if code != 0 {
			t.Fatalf("II=%v: exit %d: %s", ii, code, errOut)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatalf("II=%v: not one JSON object: %v\n%s", ii, err, out)
		}
		for _, k := range []string{"k", "recall_at_10", "ndcg_at_10", "map_at_10", "hit_rate_at_10", "coverage", "users", "items", "train_seconds", "seconds"} {
			if _, ok := m[k]; !ok {
				t.Errorf("II=%v: missing %q", ii, k)
			}
		}
		res[ii] = m
	}
	a, b := res[false], res[true]
	if a["users"].(float64) < 20 || a["items"].(float64) < 50 || a["items"].(float64) > 60 {
		t.Errorf("users %v items %v: want >= 20 customers and 50..60 products (POST excluded)", a["users"], a["items"])
	}
	if a["interactions"].(float64) <= 0 || a["interactions"].(float64) > float64(returns) {
		t.Errorf("interactions %v, want the cancellation lines (1..%d)", a["interactions"], returns)
	}
	for _, k := range []string{"users", "items", "train_users", "train_pairs", "train_lines", "test_lines", "interactions", "cut"} {
		if a[k] != b[k] {
			t.Errorf("%s differs between the Online Retail (%v) and Online Retail II (%v) headers", k, a[k], b[k])
		}
	}
	// Three taste groups of 20 products: ten guesses from the customer's
	// own group hit far more often than a random 10 of 60.
	for ii, m := range res {
		if r := m["recall_at_10"].(float64); r < 0.3 {
			t.Errorf("II=%v: recall@10 %v, want >= 0.3", ii, r)
		}
	}
}

// TestEvalRecommendBaselines: eval recommend scores the baselines beside
// the model on the same split: own history, most popular and popular in
// the last 30 days for all items, without own history for new items, and
// never the model itself twice. A baseline's figures are those the same
// command gives for it as --model.
func TestEvalRecommendBaselines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "retail.csv.gz")
	writeRetailFixture(t, path, false)
	run := func(extra ...string) map[string]any {
		return runJSON(t, append([]string{"eval", "recommend", "--format", "online-retail", "--data", path, "--json"}, extra...)...)
	}
	names := func(m map[string]any) []string {
		var out []string
		for k := range m["baselines"].(map[string]any) {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	own, popular := run("--model", "own"), run("--model", "popular")
	if got := names(own); !slices.Equal(got, []string{"popular", "trending"}) {
		t.Errorf("--model own: baselines %v, want popular and trending", got)
	}
	if got := names(popular); !slices.Equal(got, []string{"own", "trending"}) {
		t.Errorf("--model popular: baselines %v, want own and trending", got)
	}
	for _, c := range []struct {
		model, base map[string]any
		name        string
	}{{own, popular, "own"}, {popular, own, "popular"}} {
		b := c.base["baselines"].(map[string]any)[c.name].(map[string]any)
		for _, metric := range []string{"recall_at_10", "ndcg_at_10", "map_at_10", "hit_rate_at_10"} {
			want := c.model[metric].(float64)
			if got := b[metric].(float64); math.Abs(got-want) > 1e-12 || want <= 0 {
				t.Errorf("baseline %s %s = %v; --model %s gives %v", c.name, metric, got, c.name, want)
			}
		}
	}
	// Intervals: each model's figure lies inside its own, and each
	// baseline's gain is the difference of the two figures, inside its
	// interval.
	for _, m := range []map[string]any{own, popular} {
		for _, metric := range []string{"recall_at_10", "ndcg_at_10"} {
			v := m[metric].(float64)
			if lo, hi := ci95(t, m, metric+"_ci95"); !(lo < v && v < hi) {
				t.Errorf("--model %s: %s %v outside its interval [%v, %v]", m["model"], metric, v, lo, hi)
			}
		}
	}
	b := own["baselines"].(map[string]any)["popular"].(map[string]any)
	for _, metric := range []string{"recall_at_10", "ndcg_at_10"} {
		gain := b["model_gain_"+metric].(float64)
		if want := own[metric].(float64) - popular[metric].(float64); math.Abs(gain-want) > 1e-12 {
			t.Errorf("own history's %s gain over most popular %v, want %v", metric, gain, want)
		}
		if lo, hi := ci95(t, b, "model_gain_"+metric+"_ci95"); !(lo < gain && gain < hi) {
			t.Errorf("%s gain %v outside its interval [%v, %v]", metric, gain, lo, hi)
		}
	}
	// The segments split the test customers: their sizes add up to them
	// and their means, weighed by size, to the overall figures.
	for _, m := range []map[string]any{own, popular} {
		var customers, recall, ndcg float64
		for _, x := range m["segments"].([]any) {
			sg := x.(map[string]any)
			c := sg["customers"].(float64)
			customers += c
			recall += c * sg["recall_at_10"].(float64)
			ndcg += c * sg["ndcg_at_10"].(float64)
		}
		users := m["users"].(float64)
		if customers != users || math.Abs(recall/users-m["recall_at_10"].(float64)) > 1e-12 || math.Abs(ndcg/users-m["ndcg_at_10"].(float64)) > 1e-12 {
			t.Errorf("--model %s: segments hold %v customers, Recall@10 %v, NDCG@10 %v; want %v, %v, %v",
				m["model"], customers, recall/users, ndcg/users, users, m["recall_at_10"], m["ndcg_at_10"])
		}
	}
	if got := names(run("--model", "popular", "--new-items")); !slices.Equal(got, []string{"trending"}) {
		t.Errorf("--new-items --model popular: baselines %v, want trending only (own history has nothing new)", got)
	}
}

// TestEvalRecommendNoPurchases: an export whose lines are all fees or
// cancellations is refused with an error naming the file and why its
// lines are not purchases, and a non-zero exit.
func TestEvalRecommendNoPurchases(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fees.csv")
	csv := "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n" +
		"536365,POST,POSTAGE,1,12/1/2010 8:26,18.00,12583,France\n" +
		"536366,POST,POSTAGE,1,12/2/2010 8:26,18.00,12583,France\n" +
		"536367,DOT,DOTCOM POSTAGE,1,12/3/2010 8:26,9.00,12583,France\n" +
		"C536368,22423,REGENCY CAKESTAND 3 TIER,-1,12/4/2010 8:26,12.75,12583,France\n"
	if err := os.WriteFile(path, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := runImportCLI(t, t.TempDir(), "eval", "recommend", "--format", "online-retail", "--data", path)
	want := path + ` has no purchases to recommend from: 4 order lines, none a purchase: 3 with a product code without a digit (postage, fees and the like), most often "POST"; 1 with a quantity of 0 or less`
	if code == 0 || !strings.Contains(errOut, want) {
		t.Fatalf("exit %d, stderr %q; want a non-zero exit and %q", code, errOut, want)
	}
}

// ci95 reads an interval [lo, hi] of eval recommend's JSON.
func ci95(t *testing.T, m map[string]any, key string) (lo, hi float64) {
	t.Helper()
	v, ok := m[key].([]any)
	if !ok || len(v) != 2 {
		t.Fatalf("%s = %v, want [lo, hi]", key, m[key])
	}
	return v[0].(float64), v[1].(float64)
}

// TestEvalRecommendNoTestCustomers: when no customer of the test period
// bought before the cut, there is nothing to score: a clear error and a
// non-zero exit, not a row of zeros.
func TestEvalRecommendNoTestCustomers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "two.csv")
	csv := "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n" +
		"536365,85123A,A,6,12/1/2010 8:26,2.55,17850,United Kingdom\n" +
		"536366,71053,B,6,12/2/2010 8:26,3.39,17850,United Kingdom\n" +
		"536367,84406B,C,8,1/31/2011 8:26,2.75,13047,United Kingdom\n"
	if err := os.WriteFile(path, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := runImportCLI(t, t.TempDir(), "eval", "recommend", "--format", "online-retail", "--data", path, "--model", "own")
	want := path + ": no customer bought in both the training and the test period (cut 2011-01-01 08:26:00, 1 test line): nothing to score"
	if code == 0 || !strings.Contains(errOut, want) {
		t.Fatalf("exit %d, stderr %q; want a non-zero exit and %q", code, errOut, want)
	}
}

// TestBasketSegments: customers fall in the segments of their baskets
// before the cut (0, 1, 2-3, 4-7, 8-15, 16+; empty ones left out), each
// with the means of its customers.
func TestBasketSegments(t *testing.T) {
	res := recommend.EvalResult{
		UserBaskets: []int{1, 2, 3, 4, 20, 0},
		UserRecall:  []float64{0.5, 0.2, 0.4, 1, 0, 0.25},
		UserNDCG:    []float64{0.6, 0.1, 0.3, 1, 0, 0.5},
	}
	base := recommend.EvalResult{UserRecall: []float64{0.5, 0, 0.2, 0, 0.1, 0}}
	segs := basketSegments(res, base, 1)
	want := []struct {
		label           string
		customers       int
		recall, ndcg, b float64
	}{{"0", 1, 0.25, 0.5, 0}, {"1", 1, 0.5, 0.6, 0.5}, {"2-3", 2, 0.3, 0.2, 0.1}, {"4-7", 1, 1, 1, 0}, {"16+", 1, 0, 0, 0.1}}
	if len(segs) != len(want) {
		t.Fatalf("%d segments, want %d: %+v", len(segs), len(want), segs)
	}
	for i, w := range want {
		sg := segs[i]
		if sg.label != w.label || sg.customers != w.customers || math.Abs(sg.recall-w.recall) > 1e-12 ||
			math.Abs(sg.ndcg-w.ndcg) > 1e-12 || math.Abs(sg.baseRecall-w.b) > 1e-12 {
			t.Errorf("segment %d: %s %d customers recall %v NDCG %v base %v; want %+v", i, sg.label, sg.customers, sg.recall, sg.ndcg, sg.baseRecall, w)
		}
	}
	// One customer: the interval is the gain itself.
	if g := segs[1].gain; g.Lo != 0 || g.Hi != 0 {
		t.Errorf("segment 1: gain interval %+v, want [0, 0]", g)
	}
}
