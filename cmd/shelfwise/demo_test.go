package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/shelfwise/shelfwise"
)

// TestDemo runs the main job end to end (without serving) and checks its
// claims against the simulator's ground truth: each capability beats its
// naive baseline and comes close to what the truth allows.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo trains every model (about a minute of CPU); skipped in -short")
	}
	if raceEnabled {
		t.Skip("the demo's numeric stages take over 10 minutes under the race detector; the packages' own -race tests cover their concurrency")
	}
	m := NewMain()
	var out, errOut bytes.Buffer
	m.Stdout, m.Stderr = &out, &errOut
	err := m.Run(context.Background(), []string{"--db", t.TempDir(), "demo", "--no-serve", "--json"})
	if cerr := m.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, errOut.String())
	}
	var r demoReport
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("demo --json output is not one JSON object: %v\n%s", err, out.String())
	}
	if r.Records < 100000 {
		t.Errorf("records=%d, want a chain of at least 100,000 records", r.Records)
	}
	t.Run("Propensity", func(t *testing.T) {
		if r.PropensityAUC <= r.PropensityBaselineAUC+0.05 {
			t.Errorf("AUC %.3f does not beat the pages-viewed baseline %.3f", r.PropensityAUC, r.PropensityBaselineAUC)
		}
		if r.PropensityAUC < r.PropensityCeilingAUC-0.03 {
			t.Errorf("AUC %.3f is far below the true-probability ceiling %.3f", r.PropensityAUC, r.PropensityCeilingAUC)
		}
	})
	t.Run("Forecast", func(t *testing.T) {
		if r.ForecastSeries == 0 || r.ForecastMAE >= r.SeasonalNaiveMAE {
			t.Errorf("default model MAE vs truth %.3f does not beat seasonal naive %.3f over %d series", r.ForecastMAE, r.SeasonalNaiveMAE, r.ForecastSeries)
		}
		if r.ForecastCoverage80 < 0.65 || r.ForecastCoverage80 > 0.95 {
			t.Errorf("80%% interval coverage %.3f, want near 0.8", r.ForecastCoverage80)
		}
	})
	t.Run("Recommend", func(t *testing.T) {
		if r.RecommendUsers == 0 || r.HybridNDCG <= r.PopularNDCG || r.HybridNDCG <= r.OwnHistoryNDCG {
			t.Errorf("hybrid NDCG@10 %.3f vs popular %.3f and own history %.3f over %d users", r.HybridNDCG, r.PopularNDCG, r.OwnHistoryNDCG, r.RecommendUsers)
		}
		if g := r.HybridGainCI; len(g) != 2 || !(g[0] > 0) || g[1] < g[0] {
			t.Errorf("hybrid's Recall@10 gain over own history: 95%% interval %v, want above 0", g)
		}
		if r.OracleNDCG < r.PopularNDCG {
			t.Errorf("true-preference oracle NDCG@10 %.3f below popular %.3f: the check itself is broken", r.OracleNDCG, r.PopularNDCG)
		}
		if r.ExampleCartReason != "you added this to your cart" {
			t.Errorf("example: the product added to the cart live is explained %q", r.ExampleCartReason)
		}
		if !strings.HasPrefix(r.ExampleFBTReason, "bought with ") || !strings.Contains(r.ExampleFBTReason, "(lift ") {
			t.Errorf("example: the first product bought together with the carted one is explained %q", r.ExampleFBTReason)
		}
		if !strings.HasPrefix(r.ExampleSessionReason, "often looked at after ") {
			t.Errorf("example: the visitor's session brings in a product explained %q", r.ExampleSessionReason)
		}
	})
}

// TestDemoSecret: the demo store's secret comes from the simulator's seed
// (the same seed gives the same pseudonyms, so the same report; another
// seed another secret), and the store reads it as its own.
func TestDemoSecret(t *testing.T) {
	t.Setenv(shelfwise.SecretEnv, "")
	read := func(seed int64) []byte {
		dir := t.TempDir()
		if err := writeDemoSecret(dir, seed); err != nil {
			t.Fatal(err)
		}
		key, err := shelfwise.LoadSecret(dir)
		if err != nil {
			t.Fatal(err)
		}
		return key
	}
	a, b, c := read(1), read(1), read(2)
	if len(a) != 32 || !bytes.Equal(a, b) || bytes.Equal(a, c) {
		t.Fatalf("seed 1: %x and %x, seed 2: %x", a, b, c)
	}
}
