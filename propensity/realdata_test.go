package propensity

import (
	"context"
	"testing"

	"github.com/shelfwise/shelfwise/ingest"
	"github.com/shelfwise/shelfwise/internal/realdata"
)

// loadShoppers reads the UCI Online Shoppers sessions through ingest.
func loadShoppers(t testing.TB) *ingest.Memory {
	t.Helper()
	path := realdata.Path(t, "online_shoppers_intention/online_shoppers_intention.csv")
	var mem ingest.Memory
	if _, err := ingest.Read(context.Background(), "shoppers", path, ingest.Options{}, &mem); err != nil {
		t.Fatal(err)
	}
	if len(mem.Sessions) != 12330 {
		t.Fatalf("read %d sessions, want 12330", len(mem.Sessions))
	}
	return &mem
}

func TestShoppersCrossValidation(t *testing.T) {
	mem := loadShoppers(t)
	tests := []struct {
		model               ModelKind
		features            FeatureSet
		auc, acc, prAUC, f1 float64
	}{
		// Issue 3 targets: the seed's MLP AUC >= 0.91, accuracy >= 0.895;
		// the ensemble AUC >= 0.935, PR-AUC >= 0.75, accuracy >= 0.905,
		// F1 >= 0.66.
		{MLP, NumericFeatures, 0.91, 0.895, 0, 0},
		{LogReg, NumericFeatures, 0.88, 0.88, 0, 0},
		{Ensemble, AllFeatures, 0.935, 0.905, 0.75, 0.66},
	}
	for _, tt := range tests {
		t.Run(string(tt.model)+"/"+string(tt.features), func(t *testing.T) {
			if testing.Short() && tt.model != LogReg { // ~1 min of CPU
				t.Skip("slow in -short mode")
			}
			// The three cross-validations overlap: each keeps at most
			// GOMAXPROCS folds training, and a lone last fold would leave
			// the other cores idle.
			t.Parallel()
			r, err := CrossValidate(context.Background(), mem.Sessions, Config{Model: tt.model, Features: tt.features}, 5, 1)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s/%s: AUC %.4f PR-AUC %.4f acc %.4f F1 %.4f logloss %.4f brier %.4f ECE %.4f %.0f samples/s %.1fs",
				tt.model, tt.features, r.AUC, r.PRAUC, r.Accuracy, r.F1, r.LogLoss, r.Brier, r.ECE, r.TrainSamplesPerS, r.Seconds)
			if r.Rows != 12330 || r.Positives != 1908 {
				t.Fatalf("rows %d positives %d", r.Rows, r.Positives)
			}
			if r.AUC < tt.auc || r.Accuracy < tt.acc || r.PRAUC < tt.prAUC || r.F1 < tt.f1 {
				t.Errorf("AUC %.4f accuracy %.4f PR-AUC %.4f F1 %.4f, want >= %.3f, %.3f, %.2f and %.2f",
					r.AUC, r.Accuracy, r.PRAUC, r.F1, tt.auc, tt.acc, tt.prAUC, tt.f1)
			}
		})
	}
}
