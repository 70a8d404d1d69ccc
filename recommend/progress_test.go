package recommend

import (
	"context"
	"math"
	"strings"
	"testing"
)

// TestTrainProgress: TrainHybrid and TrainHybridPair report each stage
// through WithProgress in order, with fractions that start at 0, never
// fall and end at 1, one report per stage and a last one when done.
func TestTrainProgress(t *testing.T) {
	ps, _ := synth(11, 90, 300, 3, 120, 14)
	lg := NewLog(ps)
	cfg := DefaultHybrid
	cfg.ValidationDays = 14
	cfg.ALS.Iterations, cfg.ALS.Factors = 3, 8
	type report struct {
		f   float64
		msg string
	}
	for _, c := range []struct {
		name  string
		train func(ctx context.Context) error
		// stages: 2 per validation window, 2 per blend (weights,
		// reranker), the final components; plus the closing report.
		want int
	}{
		{"TrainHybrid", func(ctx context.Context) error { _, err := TrainHybrid(ctx, lg, cfg); return err }, 2*2 + 2 + 1 + 1},
		{"TrainHybridPair", func(ctx context.Context) error { _, _, err := TrainHybridPair(ctx, lg, cfg); return err }, 2*2 + 2*2 + 1 + 1},
	} {
		var got []report
		ctx := WithProgress(context.Background(), func(f float64, msg string) { got = append(got, report{f, msg}) })
		if err := c.train(ctx); err != nil {
			t.Fatal(err)
		}
		if len(got) != c.want {
			t.Fatalf("%s: %d reports, want %d: %v", c.name, len(got), c.want, got)
		}
		if got[0].f != 0 || got[len(got)-1].f != 1 || got[len(got)-1].msg != "hybrid trained" {
			t.Errorf("%s: first %v, last %v", c.name, got[0], got[len(got)-1])
		}
		for k := 1; k < len(got); k++ {
			if got[k].f < got[k-1].f || got[k].f > 1 {
				t.Errorf("%s: fraction %v after %v", c.name, got[k].f, got[k-1].f)
			}
		}
		if !strings.HasPrefix(got[0].msg, "validation window 1 of 2: fitting the components") || !strings.Contains(got[len(got)-2].msg, "on all purchases") {
			t.Errorf("%s: stages %v", c.name, got)
		}
		// Each report's fraction is the work of the stages before it over
		// the work of all: hybridStages' total is what the stages add up
		// to. The cheap window stages take a small share of the bar and
		// tuning and the rerankers the rest, as their time does.
		total, before := 0.0, make([]float64, len(got))
		for k, r := range got[:len(got)-1] {
			before[k] = total
			total += stageWork(t, r.msg)
		}
		for k, r := range got[:len(got)-1] {
			if math.Abs(r.f-before[k]/total) > 1e-12 {
				t.Errorf("%s: %q reported at %v, want %v of the work", c.name, r.msg, r.f, before[k]/total)
			}
		}
		if tune := got[4]; !strings.HasPrefix(tune.msg, "tuning the all-items blend") || tune.f > 0.25 {
			t.Errorf("%s: the validation windows take %v of the bar (%q next)", c.name, tune.f, tune.msg)
		}
	}
	// Without WithProgress nothing is reported and training still runs.
	if _, err := TrainHybrid(context.Background(), lg, cfg); err != nil {
		t.Fatal(err)
	}
}

// stageWork is the work of the training stage msg reports.
func stageWork(t *testing.T, msg string) float64 {
	t.Helper()
	switch {
	case strings.Contains(msg, "fitting the components"):
		return stageFit
	case strings.Contains(msg, "scoring the customers"):
		return stageScore
	case strings.HasPrefix(msg, "tuning the"):
		return stageTune
	case strings.HasSuffix(msg, "reranker"):
		return stageRerank
	}
	t.Fatalf("unknown stage %q", msg)
	return 0
}
