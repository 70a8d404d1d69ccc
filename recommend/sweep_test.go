package recommend

import (
	"context"
	"os"
	"testing"
)

// TestSweepValidation explores hyper-parameters on the validation period
// only (the last 30 days before the test cut). Run with SWEEP=1.
func TestSweepValidation(t *testing.T) {
	if os.Getenv("SWEEP") == "" {
		t.Skip("set SWEEP=1")
	}
	all := PurchasesFromLines(loadOnlineRetail(t))
	ps, _ := SplitAt(all, CutTime(all, 30))
	ctx := context.Background()
	for _, cfg := range []ALSConfig{
		DefaultALS,
		{Factors: 64, Iterations: 15, Reg: 0.1, Alpha: 10, Eps: 1, CGSteps: 3, Seed: 1, HalfLifeDays: 90},
		{Factors: 64, Iterations: 15, Reg: 0.1, Alpha: 10, Eps: 1, CGSteps: 3, Seed: 1, HalfLifeDays: 30},
		{Factors: 64, Iterations: 15, Reg: 1, Alpha: 20, Eps: 1, CGSteps: 3, Seed: 1},
		{Factors: 64, Iterations: 15, Reg: 0.1, Alpha: 3, Eps: 1, CGSteps: 3, Seed: 1},
		{Factors: 64, Iterations: 15, Reg: 10, Alpha: 40, Eps: 1, CGSteps: 3, Seed: 1},
		{Factors: 128, Iterations: 15, Reg: 1, Alpha: 20, Eps: 1, CGSteps: 3, Seed: 1},
	} {
		for _, newItems := range []bool{false, true} {
			res, err := Evaluate(ctx, ps, Protocol{TestDays: 30, K: 10, NewItems: newItems}, func(ctx context.Context, lg *Log) (Scorer, error) { return NewALS(ctx, lg, cfg) })
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("als %+v new=%v: %v", cfg, newItems, res.Metrics)
		}
	}
}
