package main

import (
	"math"
	"strings"
	"testing"

	"github.com/shelfwise/shelfwise/internal/realdata"
)

// TestEvalForecastReconcileM5 runs "eval forecast --reconcile" on the M5
// subset, one method and a list of them: every level of the hierarchy is scored, the reconciled forecasts
// are coherent (unreconciled ones are not), the bottom level of bottom-up
// equals the unreconciled bottom level, and a format without a hierarchy is
// refused.
func TestEvalForecastReconcileM5(t *testing.T) {
	data := realdata.Path(t, "m5_walmart_subset")
	run := func(method string) map[string]any {
		t.Helper()
		return runJSON(t, "eval", "forecast", "--format", "m5", "--data", data,
			"--model", "theta", "--reconcile", method, "--json")
	}
	levels := func(m map[string]any) map[string]map[string]any {
		out := map[string]map[string]any{}
		for _, l := range m["levels"].([]any) {
			lm := l.(map[string]any)
			out[lm["level"].(string)] = lm
		}
		return out
	}
	all := run("none,bottomup,mint")
	by := all["reconciliations"].(map[string]any)
	none, bu := by["none"].(map[string]any), by["bottomup"].(map[string]any)
	mint := run("mint")
	// One set of base forecasts serves every method: the list's MinT is
	// the single run's.
	if a, b := levels(by["mint"].(map[string]any))["store"]["mase"], levels(mint)["store"]["mase"]; a != b {
		t.Errorf("store MASE: MinT in a list %v, alone %v", a, b)
	}
	want := map[string]float64{"total": 1, "state": 3, "store": 5, "category": 3, "department": 4, "item x store": 10}
	for name, m := range map[string]map[string]any{"none": none, "bottomup": bu, "mint": mint} {
		lv := levels(m)
		for l, n := range want {
			if lv[l] == nil || lv[l]["series"].(float64) != n {
				t.Fatalf("%s: level %s = %v, want %v series", name, l, lv[l], n)
			}
			for _, k := range []string{"mase", "wape", "rmsse", "wrmsse", "coverage_80", "coverage_95"} {
				if _, ok := lv[l][k].(float64); !ok {
					t.Errorf("%s: level %s has no %s", name, l, k)
				}
			}
		}
		if m["series"].(float64) != 26 {
			t.Errorf("%s: series %v, want 26", name, m["series"])
		}
		inc := m["max_incoherence"].(float64)
		if (name == "none") != (inc > 1e-6) {
			t.Errorf("%s: max incoherence %g", name, inc)
		}
	}
	if a, b := levels(none)["item x store"]["mase"].(float64), levels(bu)["item x store"]["mase"].(float64); math.Abs(a-b) > 1e-12 {
		t.Errorf("bottom-up changed the bottom level: MASE %v vs %v", b, a)
	}
	if l := mint["mint_lambda"].([]any); len(l) != 1 {
		t.Errorf("mint_lambda %v, want one per window", l)
	}
	_, errOut, code := runImportCLI(t, t.TempDir(), "eval", "forecast", "--format", "m4", "--data",
		realdata.Path(t, "m4_weekly/Weekly-train.csv.gz"), "--model", "naive", "--reconcile", "mint")
	if code == 0 || !strings.Contains(errOut, "no hierarchy") {
		t.Errorf("m4 --reconcile: exit %d, stderr %q", code, errOut)
	}
}
