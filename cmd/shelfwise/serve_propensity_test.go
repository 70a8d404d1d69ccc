package main

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"

	"github.com/shelfwise/shelfwise"
	shelfhttp "github.com/shelfwise/shelfwise/http"
	"github.com/shelfwise/shelfwise/propensity"
)

func TestHoldoutSummary(t *testing.T) {
	p := []float64{0.05, 0.15, 0.12, 0.85, 0.95, 0.55}
	y := []bool{false, false, true, true, true, false}
	sum := holdoutSummary(p, y, 0.5)
	// Positives 0.12, 0.85, 0.95 against negatives 0.05, 0.15, 0.55: of the
	// 9 pairs only (0.12 vs 0.15) and (0.12 vs 0.55) are misordered.
	if got, want := sum.Metrics["auc"], 7.0/9; math.Abs(got-want) > 1e-12 {
		t.Errorf("auc %v, want %v", got, want)
	}
	// At 0.5: TP 2 (0.85, 0.95), FP 1 (0.55), FN 1 (0.12): F1 = 4/6.
	if got, want := sum.Metrics["f1"], 4.0/6; math.Abs(got-want) > 1e-12 {
		t.Errorf("f1 %v, want %v", got, want)
	}
	if got := sum.Metrics["holdout_purchase_rate"]; got != 0.5 {
		t.Errorf("purchase rate %v, want 0.5", got)
	}
	counts := map[float64]int{}
	total := 0
	for _, b := range sum.Distribution {
		counts[math.Round(b.Lo*10)/10] = b.Count
		total += b.Count
	}
	if len(sum.Distribution) != 10 || total != 6 || counts[0.1] != 2 || counts[0.5] != 1 || counts[0.9] != 1 {
		t.Errorf("distribution %+v", sum.Distribution)
	}
	// Calibration keeps the 5 non-empty bins; bin [0.1,0.2) holds 0.15
	// (no purchase) and 0.12 (purchase).
	if len(sum.Calibration) != 5 {
		t.Fatalf("calibration %+v, want 5 bins", sum.Calibration)
	}
	if c := sum.Calibration[1]; c.Count != 2 || math.Abs(c.Predicted-0.135) > 1e-12 || c.Observed != 0.5 {
		t.Errorf("bin 2 = %+v, want 2 sessions, predicted 0.135, observed 0.5", c)
	}
}

func TestSingleFeatureBaseline(t *testing.T) {
	// "pages" ranks purchases perfectly the wrong way round, "noise" not
	// at all: the baseline is -pages with AUC 1.
	var ss []shelfwise.Session
	for i := range 40 {
		buy := i%2 == 0
		pages := float64(i % 7)
		if buy {
			pages += 10
		}
		ss = append(ss, shelfwise.Session{Features: map[string]float64{"pages": -pages, "noise": float64(i % 3)}, Purchased: buy})
	}
	sc, err := propensity.NewSchema(ss, propensity.NumericFeatures)
	if err != nil {
		t.Fatal(err)
	}
	f, auc := bestSingleFeature(ss, sc)
	if f != "-pages" || auc != 1 {
		t.Fatalf("baseline %q with AUC %v, want -pages with 1", f, auc)
	}
	y := make([]bool, len(ss))
	for i, s := range ss {
		y[i] = s.Purchased
	}
	if got := singleFeatureAUC(ss, "pages", y); got != 0 {
		t.Errorf("AUC of pages the right way round = %v, want 0", got)
	}
}

func TestPropensityCap(t *testing.T) {
	ctx := context.Background()
	_, db := simulatedStore(t)
	// Faster-learning trees than the served default keep the test quick.
	gb := propensity.DefaultGBDT()
	gb.LearningRate, gb.NumTrees, gb.EarlyStoppingRounds = 0.1, 300, 30
	pc := &propensityCap{db: db, cfg: propensity.Config{Model: propensity.GBDT, Features: propensity.AllFeatures, Seed: 1, GBDT: &gb}}
	if _, err := pc.Summary(ctx); shelfwise.ErrorCode(err) != shelfwise.ENOTFOUND {
		t.Fatalf("summary before a version is served: %v, want ENOTFOUND", err)
	}
	c, err := pc.train(ctx, func(float64, string) {})
	if err != nil {
		t.Fatal(err)
	}
	if c.PrimaryMetric != "auc" || !c.HigherIsBetter {
		t.Fatalf("primary %s higher-is-better=%v, want auc, higher is better", c.PrimaryMetric, c.HigherIsBetter)
	}
	// The simulator's sessions carry their outcome in page value, pages
	// and durations: the model must beat the best single feature.
	if auc, base := c.Metrics["auc"], c.Metrics["baseline_auc"]; !(auc > 0.8 && auc > base) {
		t.Errorf("held-out AUC %.4f, single-feature baseline %.4f", auc, base)
	}
	swap, err := pc.load(ctx, shelfwise.ModelVersion{Task: shelfwise.TaskPropensity, Version: 2}, c.Artifact)
	if err != nil {
		t.Fatal(err)
	}
	swap()
	sum, err := pc.Summary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, b := range sum.Distribution {
		n += b.Count
	}
	if sum.Version != 2 || sum.Model != "gbdt" || float64(n) != sum.Metrics["holdout_sessions"] || len(sum.TopFeatures) == 0 {
		t.Fatalf("summary v%d %s, %d scores for %v held-out sessions, %d top features",
			sum.Version, sum.Model, n, sum.Metrics["holdout_sessions"], len(sum.TopFeatures))
	}
	t.Run("ScoreWithReasons", func(t *testing.T) {
		hi, err := pc.Score(ctx, shelfwise.Session{Features: map[string]float64{"page_value": 40, "product_pages": 20, "bounce_rate": 0}})
		if err != nil {
			t.Fatal(err)
		}
		lo, err := pc.Score(ctx, shelfwise.Session{Features: map[string]float64{"page_value": 0, "product_pages": 1, "bounce_rate": 0.2}})
		if err != nil {
			t.Fatal(err)
		}
		if !(hi.Probability > lo.Probability) || hi.Version != 2 || len(hi.Reasons) != 5 {
			t.Fatalf("engaged session %.3f (v%d, %d reasons), bounced one %.3f", hi.Probability, hi.Version, len(hi.Reasons), lo.Probability)
		}
		for i := 1; i < len(hi.Reasons); i++ {
			if math.Abs(hi.Reasons[i].Contribution) > math.Abs(hi.Reasons[i-1].Contribution) {
				t.Errorf("reasons not ordered by strength: %+v", hi.Reasons)
			}
		}
		// The reasons are log-odds shares of the score: the served
		// model's own explanation of the same session agrees.
		m := pc.served.Load().model
		ex := m.Explain(shelfwise.Session{Features: map[string]float64{"page_value": 40, "product_pages": 20, "bounce_rate": 0}}, 5)
		if ex.Probability != hi.Probability || ex.Reasons[0].Feature != hi.Reasons[0].Feature {
			t.Errorf("score %v (%s first), model says %v (%s)", hi.Probability, hi.Reasons[0].Feature, ex.Probability, ex.Reasons[0].Feature)
		}
	})
	t.Run("BadFeatures", func(t *testing.T) {
		for _, s := range []shelfwise.Session{
			{Features: map[string]float64{"pagevalue": 1}},
			{Features: map[string]float64{"page_value": 1}, Categorical: map[string]string{"nope": "x"}},
			{Categorical: map[string]string{}},
		} {
			if _, err := pc.Score(ctx, s); shelfwise.ErrorCode(err) != shelfwise.EINVALID {
				t.Errorf("session %+v: %v, want EINVALID", s, err)
			}
		}
	})
	t.Run("ConcurrentScoreAndSwap", func(t *testing.T) {
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 50 {
					s := shelfwise.Session{Features: map[string]float64{"page_value": float64(i + g), "product_pages": 3}}
					if r, err := pc.Score(ctx, s); err != nil || r.Version < 2 {
						t.Errorf("score: %v (v%d)", err, r.Version)
						return
					}
				}
			}()
		}
		for v := 3; v < 6; v++ {
			swap, err := pc.load(ctx, shelfwise.ModelVersion{Task: shelfwise.TaskPropensity, Version: v}, c.Artifact)
			if err != nil {
				t.Fatal(err)
			}
			swap()
		}
		wg.Wait()
		if sum, _ := pc.Summary(ctx); sum.Version != 5 {
			t.Errorf("serving v%d after the swaps, want v5", sum.Version)
		}
	})
}

// e2ePropensityPage checks the propensity API of a running server and
// returns the strings its dashboard page must show: the served version,
// the held-out ROC-AUC and PR-AUC as the API reports them, the strongest
// feature and both charts.
func e2ePropensityPage(t *testing.T, base, key string) []string {
	t.Helper()
	var sum shelfhttp.PropensitySummary
	apiDo(t, "GET", base+"/v1/propensity/summary", key, "", &sum)
	var sc shelfhttp.PropensityScore
	apiDo(t, "POST", base+"/v1/propensity/score", key, `{"features":{"page_value":25,"product_pages":12}}`, &sc)
	if !(sc.Probability > 0 && sc.Probability < 1) || len(sc.Reasons) == 0 || sc.Version != sum.Version {
		t.Fatalf("score %+v from v%d, summary of v%d", sc, sc.Version, sum.Version)
	}
	if len(sum.TopFeatures) == 0 || len(sum.Calibration) == 0 || len(sum.Distribution) == 0 {
		t.Fatalf("summary without top features, calibration or distribution: %+v", sum)
	}
	return []string{fmt.Sprintf("Model <strong>%s</strong>, registry version v%d", sum.Model, sum.Version),
		fmt.Sprintf(`data-kpi="auc">%s<`, trimNum(sum.Metrics["auc"])),
		fmt.Sprintf(`data-kpi="pr_auc">%s<`, trimNum(sum.Metrics["pr_auc"])),
		"<td>" + sum.TopFeatures[0].Feature + "</td>", "Score distribution on held-out sessions", "Calibration: observed purchase rate"}
}
