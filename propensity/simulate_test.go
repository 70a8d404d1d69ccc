package propensity

import (
	"context"
	"math"
	"testing"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/ingest"
	"github.com/shelfwise/shelfwise/ml/metrics"
	"github.com/shelfwise/shelfwise/simulate"
)

// TestSimulatedSessionsKnownAnswer trains on the simulator's web sessions,
// whose true purchase probabilities are known, and checks that held-out
// scores rank almost as well as the truth and sit close to it.
func TestSimulatedSessionsKnownAnswer(t *testing.T) {
	cfg := simulate.Demo()
	cfg.Pseudonymizer = shelfwise.NewPseudonymizer([]byte("propensity-test-key-0123456789ab"))
	var mem ingest.Memory
	truth, err := simulate.Run(context.Background(), cfg, &mem)
	if err != nil {
		t.Fatal(err)
	}
	if len(mem.Sessions) < 30000 {
		t.Fatalf("only %d simulated sessions", len(mem.Sessions))
	}
	train, test := mem.Sessions[:20000], mem.Sessions[20000:30000]
	y := make([]bool, len(test))
	oracle := make([]float64, len(test))
	for i, s := range test {
		y[i] = s.Purchased
		oracle[i], _ = truth.SessionProbability(s.ID)
	}
	best := metrics.ROCAUC(oracle, y)
	for _, kind := range []ModelKind{LogReg, GBDT} {
		g := DefaultGBDT()
		g.LearningRate, g.EarlyStoppingRounds = 0.05, 50
		m, err := Train(context.Background(), train, Config{Model: kind, Features: NumericFeatures, GBDT: &g, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		p, err := m.ScoreBatch(context.Background(), test)
		if err != nil {
			t.Fatal(err)
		}
		var mad float64
		for i := range p {
			mad += math.Abs(p[i]-oracle[i]) / float64(len(p))
		}
		auc := metrics.ROCAUC(p, y)
		t.Logf("%s: AUC %.4f (truth %.4f), mean |p - p_true| %.4f", kind, auc, best, mad)
		if auc < best-0.01 || mad > 0.04 {
			t.Errorf("%s: AUC %.4f vs truth %.4f, mean abs error %.4f", kind, auc, best, mad)
		}
	}
}
