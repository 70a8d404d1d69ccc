package propensity

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/ml/metrics"
	"github.com/shelfwise/shelfwise/ml/modelio"
)

// synthSessions draws sessions whose purchase probability is
// sigmoid(-2 + 1.5*log1p(pages) - 3*exit + (channel == "ads" ? 1 : 0)).
func synthSessions(n int, seed uint64) []shelfwise.Session {
	r := rand.New(rand.NewPCG(seed, 5))
	channels := []string{"direct", "ads", "mail", "social"}
	out := make([]shelfwise.Session, n)
	for i := range out {
		pages := float64(r.IntN(40))
		exit := r.Float64() * 0.3
		ch := channels[r.IntN(len(channels))]
		z := -2 + 1.5*math.Log1p(pages)*0.5 - 3*exit
		if ch == "ads" {
			z++
		}
		out[i] = shelfwise.Session{
			ID:          shelfwise.SessionID("s" + strconv.Itoa(i)),
			Features:    map[string]float64{"pages": pages, "exit": exit, "noise": r.NormFloat64()},
			Categorical: map[string]string{"channel": ch},
			Purchased:   r.Float64() < 1/(1+math.Exp(-z)),
		}
	}
	return out
}

func TestTrainScoreSynthetic(t *testing.T) {
	train, test := synthSessions(3000, 1), synthSessions(2000, 2)
	y := make([]bool, len(test))
	for i, s := range test {
		y[i] = s.Purchased
	}
	// The true model's AUC on the test set bounds what any model reaches.
	for _, kind := range []ModelKind{LogReg, GBDT, MLP, Ensemble} {
		t.Run(string(kind), func(t *testing.T) {
			cfg := Config{Model: kind, Features: AllFeatures, Seed: 3}
			if kind == GBDT || kind == Ensemble {
				g := DefaultGBDT()
				g.LearningRate, g.NumTrees, g.EarlyStoppingRounds = 0.1, 300, 30
				cfg.GBDT = &g
			}
			m, err := Train(context.Background(), train, cfg)
			if err != nil {
				t.Fatal(err)
			}
			p, err := m.ScoreBatch(context.Background(), test)
			if err != nil {
				t.Fatal(err)
			}
			if p[7] != m.Score(test[7]) {
				t.Fatal("ScoreBatch and Score disagree")
			}
			if auc := metrics.ROCAUC(p, y); auc < 0.66 {
				t.Fatalf("test AUC %.3f", auc)
			}
			if m.Threshold <= 0 || m.Threshold >= 1 {
				t.Fatalf("threshold %v", m.Threshold)
			}
		})
	}
}

func TestSchema(t *testing.T) {
	ss := synthSessions(200, 3)
	sc, err := NewSchema(ss, AllFeatures)
	if err != nil {
		t.Fatal(err)
	}
	if got := sc.FeatureNames(); len(got) != 4 || got[0] != "exit" || got[3] != "channel" {
		t.Fatalf("features %v", got)
	}
	raw := make([]float64, sc.RawCols())
	sc.Raw(shelfwise.Session{Features: map[string]float64{"pages": 3}, Categorical: map[string]string{"channel": "tv"}}, raw)
	if !math.IsNaN(raw[0]) || raw[2] != 3 || !math.IsNaN(raw[3]) {
		t.Fatalf("raw row %v: want missing exit, pages 3, unseen channel", raw)
	}
	dense := make([]float64, sc.DenseCols())
	sc.Dense(raw, dense)
	if dense[0] != sc.Impute[0] || math.Abs(dense[2]-math.Log1p(3)) > 1e-12 {
		t.Fatalf("dense row %v", dense)
	}
	// The unseen channel lands in the "other" column, the last one.
	if dense[len(dense)-1] != 1 {
		t.Fatalf("unseen level not in the other column: %v", dense)
	}
	if _, err := NewSchema(ss, "bogus"); err == nil {
		t.Fatal("bogus feature set accepted")
	}
}

func TestTrainNeedsBothClasses(t *testing.T) {
	ss := synthSessions(100, 4)
	for i := range ss {
		ss[i].Purchased = false
	}
	if _, err := Train(context.Background(), ss, Config{Model: LogReg}); shelfwise.ErrorCode(err) != shelfwise.EINVALID {
		t.Fatalf("err=%v, want EINVALID", err)
	}
}

func TestExplainAndSerialise(t *testing.T) {
	train, test := synthSessions(3000, 5), synthSessions(500, 6)
	g := DefaultGBDT()
	g.LearningRate, g.NumTrees, g.EarlyStoppingRounds = 0.1, 200, 30
	m, err := Train(context.Background(), train, Config{Model: Ensemble, Features: AllFeatures, GBDT: &g, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	// Contributions add up to the score's log-odds.
	for _, s := range test[:20] {
		c, base := m.Contributions(s)
		z := base
		for _, v := range c {
			z += v
		}
		if p := m.Score(s); math.Abs(sigmoid(z)-p) > 0.01 {
			t.Fatalf("contributions give %.4f, score %.4f", sigmoid(z), p)
		}
	}
	// A session with many pages, no exits and the "ads" channel: its top
	// reasons are pages and channel, raising the score; noise is minor.
	s := shelfwise.Session{Features: map[string]float64{"pages": 39, "exit": 0, "noise": 0}, Categorical: map[string]string{"channel": "ads"}}
	ex := m.Explain(s, 2)
	if len(ex.Reasons) != 2 || ex.Probability <= ex.Baseline {
		t.Fatalf("explanation %+v", ex)
	}
	for _, r := range ex.Reasons {
		if r.Feature == "noise" || r.Direction != "raises" {
			t.Fatalf("reason %+v among the top two", r)
		}
	}
	imp, err := m.Importance(context.Background(), test, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	if imp[0].Feature == "noise" || imp[len(imp)-1].AUCDrop > imp[0].AUCDrop {
		t.Fatalf("importance %+v", imp)
	}
	data, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var m2 Model
	if err := m2.UnmarshalBinary(data); err != nil {
		t.Fatal(err)
	}
	for _, s := range test[:50] {
		if a, b := m.Score(s), m2.Score(s); a != b {
			t.Fatalf("round trip: %v vs %v", a, b)
		}
	}
	if m2.Threshold != m.Threshold {
		t.Fatal("threshold lost")
	}
	for _, bad := range [][]byte{data[:len(data)-10], append(append([]byte(nil), data[:100]...), 0)} {
		if err := m2.UnmarshalBinary(bad); !errors.Is(err, modelio.ErrCorrupt) {
			t.Fatalf("damaged model: err=%v", err)
		}
	}
}

func TestCrossFitting(t *testing.T) {
	train, test := synthSessions(1200, 7), synthSessions(1000, 8)
	g := DefaultGBDT()
	g.LearningRate, g.NumTrees, g.EarlyStoppingRounds = 0.2, 60, 10
	m, err := Train(context.Background(), train, Config{Model: Ensemble, GBDT: &g, InnerFolds: 3, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	if m.Trees == nil || m.DenseTrees == nil || m.Net == nil || m.LogReg == nil || m.Stack == nil {
		t.Fatalf("ensemble incomplete: %+v", m)
	}
	p, _ := m.ScoreBatch(context.Background(), test)
	y := make([]bool, len(test))
	for i, s := range test {
		y[i] = s.Purchased
	}
	if auc := metrics.ROCAUC(p, y); auc < 0.66 {
		t.Fatalf("AUC %.3f", auc)
	}
	if _, err := Train(context.Background(), train, Config{InnerFolds: 1}); err == nil {
		t.Fatal("InnerFolds 1 accepted")
	}
	if _, err := Train(context.Background(), train, Config{TreeBag: -1}); err == nil {
		t.Fatal("TreeBag -1 accepted")
	}
}

func TestCrossValidateSynthetic(t *testing.T) {
	ss := synthSessions(1500, 9)
	r, err := CrossValidate(context.Background(), ss, Config{Model: MLP, Features: AllFeatures}, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	if r.Rows != 1500 || len(r.Thresholds) != 3 || len(r.Predictions) != 1500 || r.Compression == nil {
		t.Fatalf("report %+v", r)
	}
	if r.AUC < 0.65 || r.Compression.Ratio < 3.5 || math.Abs(r.Compression.AUCInt8-r.AUC) > 0.01 {
		t.Fatalf("AUC %.3f, int8 AUC %.3f, ratio %.2f", r.AUC, r.Compression.AUCInt8, r.Compression.Ratio)
	}
	// Pooled metrics agree with the pooled predictions.
	y := make([]bool, len(ss))
	for i, s := range ss {
		y[i] = s.Purchased
	}
	if got := metrics.ROCAUC(r.Predictions, y); got != r.AUC {
		t.Fatalf("AUC %v from predictions, report %v", got, r.AUC)
	}
	if _, err := CrossValidate(context.Background(), ss, Config{}, 1, 1); shelfwise.ErrorCode(err) != shelfwise.EINVALID {
		t.Fatalf("1 fold: err=%v", err)
	}
}
