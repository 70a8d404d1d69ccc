package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeShoppersFixture writes n generated sessions in the UCI Online
// Shoppers layout; the purchase probability rises with PageValues.
func writeShoppersFixture(t *testing.T, path string, n int) {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	b.WriteString("Administrative,Administrative_Duration,Informational,Informational_Duration,ProductRelated," +
		"ProductRelated_Duration,BounceRates,ExitRates,PageValues,SpecialDay,Month,OperatingSystems,Browser," +
		"Region,TrafficType,VisitorType,Weekend,Revenue\r\n")
	months := []string{"Feb", "Mar", "May", "Nov", "Dec"}
	for range n {
		pv := 0.0
		if r.Float64() < 0.3 {
			pv = r.Float64() * 60
		}
		buy := r.Float64() < 0.05+pv/80
		fmt.Fprintf(&b, "%d,%.1f,%d,%.1f,%d,%.1f,%.3f,%.3f,%.2f,0,%s,%d,%d,%d,%d,Returning_Visitor,%s,%s\r\n",
			r.IntN(5), r.Float64()*100, r.IntN(2), r.Float64()*20, 1+r.IntN(40), r.Float64()*2000,
			r.Float64()*0.05, r.Float64()*0.1, pv, months[r.IntN(len(months))], 1+r.IntN(3), 1+r.IntN(4),
			1+r.IntN(9), 1+r.IntN(10), strings.ToUpper(fmt.Sprint(r.IntN(2) == 0)), strings.ToUpper(fmt.Sprint(buy)))
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestPropensityCommands(t *testing.T) {
	dir, data := t.TempDir(), t.TempDir()
	csv := filepath.Join(data, "online_shoppers_intention.csv")
	writeShoppersFixture(t, csv, 600)
	t.Run("EvalJSON", func(t *testing.T) {
		out, errOut, code := runImportCLI(t, dir, "eval", "propensity", "--format", "shoppers", "--data", csv,
			"--folds", "3", "--model", "logreg", "--features", "numeric", "--json")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var res map[string]any
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("not one JSON object: %v\n%s", err, out)
		}
		for _, k := range []string{"auc", "pr_auc", "accuracy", "f1", "logloss", "brier", "train_samples_per_s", "seconds", "rows"} {
			if _, ok := res[k]; !ok {
				t.Errorf("missing %q", k)
			}
		}
		if res["rows"].(float64) != 600 || res["auc"].(float64) < 0.6 {
			t.Fatalf("rows %v auc %v", res["rows"], res["auc"])
		}
	})
	t.Run("BadModelFlag", func(t *testing.T) {
		_, errOut, code := runImportCLI(t, dir, "eval", "propensity", "--format", "shoppers", "--data", csv, "--model", "svm")
		if code != 2 || !strings.Contains(errOut, "svm") {
			t.Fatalf("exit %d, stderr %q", code, errOut)
		}
	})
	model := filepath.Join(data, "p.swm")
	t.Run("TrainScore", func(t *testing.T) {
		if _, errOut, code := runImportCLI(t, dir, "train", "propensity", "--format", "shoppers", "--data", csv,
			"--model", "logreg", "--out", model); code != 0 {
			t.Fatalf("train exit %d: %s", code, errOut)
		}
		out, errOut, code := runImportCLI(t, dir, "score", "propensity", "--model-file", model, "--format", "shoppers",
			"--data", csv, "--limit", "2", "--json")
		if code != 0 {
			t.Fatalf("score exit %d: %s", code, errOut)
		}
		var res struct {
			Rows     int `json:"rows"`
			Sessions []struct {
				Probability float64 `json:"probability"`
				Reasons     []any   `json:"reasons"`
			} `json:"sessions"`
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil || res.Rows != 600 || len(res.Sessions) != 2 || len(res.Sessions[0].Reasons) != 3 {
			t.Fatalf("score output %v: %s", err, out)
		}
	})
	t.Run("CorruptModel", func(t *testing.T) {
		data, err := os.ReadFile(model)
		if err != nil {
			t.Skip("no model from TrainScore")
		}
		bad := filepath.Join(t.TempDir(), "bad.swm")
		os.WriteFile(bad, data[:len(data)/2], 0o600)
		_, errOut, code := runImportCLI(t, dir, "score", "propensity", "--model-file", bad, "--format", "shoppers", "--data", csv)
		if code != 2 || !strings.Contains(errOut, "bad.swm") || !strings.Contains(errOut, "truncated") {
			t.Fatalf("exit %d, stderr %q", code, errOut)
		}
	})
}
