package main

import (
	"io"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise/internal/realdata"
)

// TestEvalRecommendDunnhumby runs "eval recommend" unchanged on the
// dunnhumby Complete Journey sample (a grocery layout, not Online
// Retail's): the split it reports must be the protocol, counted
// here independently from the raw transactions (purchases: quantity and
// sales value > 0; cut: latest time less 30 days; test users: households in
// both periods), and the default hybrid must rank better than the most
// popular items, the household's own history by number of lines (the
// baselines the command scores beside it) and the repeat-purchase model
// (--model repeat) on both Recall@10 and NDCG@10.
func TestEvalRecommendDunnhumby(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the hybrid on the dunnhumby sample (about 40 s)")
	}
	dir := realdata.Path(t, "dunnhumby_complete_journey_sample")
	want := dunnhumbySplit(t, filepath.Join(dir, "transactions_sample.csv.gz"), 30)
	args := func(model string) []string {
		return []string{"eval", "recommend", "--format", "dunnhumby", "--data", dir, "--test-days", "30", "--k", "10", "--model", model, "--json"}
	}
	hybrid := runJSON(t, args("hybrid")...)
	for k, v := range want {
		if got, _ := hybrid[k].(float64); got != float64(v) {
			t.Errorf("%s = %v, want %d (counted from the raw transactions)", k, hybrid[k], v)
		}
	}
	// Own history and the most popular items are scored beside the hybrid
	// on its split; the repeat model takes a run of its own.
	baselines := hybrid["baselines"].(map[string]any)
	for _, base := range []string{"own", "popular", "repeat"} {
		b, ok := baselines[base].(map[string]any)
		if !ok {
			b = runJSON(t, args(base)...)
		}
		for _, metric := range []string{"recall_at_10", "ndcg_at_10"} {
			h, o := hybrid[metric].(float64), b[metric].(float64)
			t.Logf("%s: hybrid %.4f, %s %.4f", metric, h, base, o)
			if !(h > o) {
				t.Errorf("%s: hybrid %.4f is not above %s %.4f", metric, h, base, o)
			}
		}
	}
}

// dunnhumbySplit counts the evaluation protocol's split of a dunnhumby
// transactions file: train and test purchase lines, the households with
// purchases in both periods, the distinct products and households in
// train.
func dunnhumbySplit(t *testing.T, path string, testDays int) map[string]int {
	t.Helper()
	r := realdata.OpenCSV(t, path)
	head, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	type line struct {
		hh, product string
		at          time.Time
	}
	var lines []line
	var last time.Time
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		qty, _ := strconv.ParseFloat(rec[col["quantity"]], 64)
		value, _ := strconv.ParseFloat(rec[col["sales_value"]], 64)
		if !(qty > 0 && value > 0) {
			continue
		}
		at, err := time.Parse(time.DateTime, rec[col["transaction_timestamp"]])
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, line{rec[col["household_id"]], rec[col["product_id"]], at})
		if at.After(last) {
			last = at
		}
	}
	cut := last.Add(-time.Duration(testDays) * 24 * time.Hour)
	trainHH, testHH, items := map[string]bool{}, map[string]bool{}, map[string]bool{}
	out := map[string]int{}
	for _, l := range lines {
		if l.at.After(cut) {
			out["test_lines"]++
			testHH[l.hh] = true
			continue
		}
		out["train_lines"]++
		trainHH[l.hh] = true
		items[l.product] = true
	}
	for hh := range testHH {
		if trainHH[hh] {
			out["users"]++
		}
	}
	out["items"], out["train_users"] = len(items), len(trainHH)
	return out
}
