package propensity

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"time"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/ml/gbdt"
	"github.com/shelfwise/shelfwise/ml/linear"
	"github.com/shelfwise/shelfwise/ml/metrics"
	"github.com/shelfwise/shelfwise/ml/mlp"
)

// ModelKind names a propensity model.
type ModelKind string

// Model kinds.
const (
	MLP      ModelKind = "mlp"
	GBDT     ModelKind = "gbdt"
	LogReg   ModelKind = "logreg"
	Ensemble ModelKind = "ensemble"
)

// Config configures Train. Zero fields take the defaults noted.
type Config struct {
	Model    ModelKind  // default Ensemble
	Features FeatureSet // default AllFeatures
	// Seed makes training reproducible.
	Seed uint64
	// HoldoutFraction of the training sessions (stratified) is held out to
	// stop boosting, stack the ensemble and choose the thresholds; default
	// 0.2.
	HoldoutFraction float64
	// MLP overrides the seed's network (10 -> 64 -> 32 -> 1 ReLU, Adam
	// 1e-3, batch 32, early stopping).
	MLP *mlp.Config
	// GBDT overrides the boosted trees' parameters.
	GBDT *gbdt.Params
	// Workers bounds parallelism inside one training (default 1: callers
	// such as CrossValidate run trainings in parallel instead).
	Workers int
	// Mean averages the components' logits with equal weights instead of
	// choosing the weights on the holdout.
	Mean bool
	// Bags is the number of boosted-tree models averaged, default 1.
	Bags int
	// NoRefit keeps the components fitted without the holdout. By default,
	// once the holdout has fixed the boosting rounds, the network's epochs,
	// the stacking weights and the thresholds, the components are refitted
	// on all training sessions with those sizes.
	NoRefit bool
}

func (c Config) withDefaults() (Config, error) {
	if c.Model == "" {
		c.Model = Ensemble
	}
	switch c.Model {
	case MLP, GBDT, LogReg, Ensemble:
	default:
		return c, fmt.Errorf("propensity: unknown model %q (want mlp, gbdt, logreg or ensemble)", c.Model)
	}
	if c.Features == "" {
		c.Features = AllFeatures
	}
	if c.HoldoutFraction == 0 {
		c.HoldoutFraction = 0.2
	}
	if !(c.HoldoutFraction > 0 && c.HoldoutFraction < 0.5) {
		return c, fmt.Errorf("propensity: HoldoutFraction %v not in (0, 0.5)", c.HoldoutFraction)
	}
	if c.Workers == 0 {
		c.Workers = 1
	}
	if c.Bags == 0 {
		c.Bags = 1
	}
	return c, nil
}

// SeedMLP is the seed's network: 64 and 32 ReLU units, Adam at 1e-3,
// batches of 32, binary cross-entropy, early stopping on 15% of the rows.
func SeedMLP() mlp.Config {
	return mlp.Config{Hidden: []int{64, 32}, Activation: mlp.ReLU, Loss: mlp.BinaryCrossEntropy,
		Optimizer: mlp.Adam, LearningRate: 1e-3, BatchSize: 32, Epochs: 60,
		Patience: 8, ValidationFraction: 0.15, Workers: 1}
}

// DefaultGBDT are the boosted trees' defaults for sessions: small leaf-wise
// trees, shrinkage 0.01, row and column sampling, one-vs-rest category
// splits, early stopping on the holdout.
func DefaultGBDT() gbdt.Params {
	return gbdt.Params{Objective: gbdt.Logistic, NumTrees: 5000, LearningRate: 0.01,
		Growth: gbdt.LeafWise, MaxLeaves: 15, MaxDepth: -1, MinSamplesLeaf: 20, Lambda: 1,
		RowSubsample: 0.8, ColSubsample: 0.8, MaxCatOneHot: 64, EarlyStoppingRounds: 300, Workers: 1}
}

// TrainStats describe a training run.
type TrainStats struct {
	Rows int `json:"rows"`
	// Samples counts rows times passes (MLP epochs, boosting rounds,
	// Newton steps) over all components.
	Samples int64   `json:"samples"`
	Seconds float64 `json:"seconds"`
	// MLPSamples and MLPSeconds isolate the network's training.
	MLPSamples int64   `json:"mlp_samples"`
	MLPSeconds float64 `json:"mlp_seconds"`
	// CPUSeconds and MLPCPUSeconds are the same spans in CPU time of the
	// training thread (0 where not measurable): on a shared machine they
	// give the throughput the code reaches when it has a core.
	CPUSeconds    float64 `json:"cpu_seconds"`
	MLPCPUSeconds float64 `json:"mlp_cpu_seconds"`
}

// Model is a trained propensity model. It is safe for concurrent use.
type Model struct {
	Kind     ModelKind
	Features FeatureSet
	Schema   *Schema
	// Boosted are bagged boosted-tree models (different seeds and row
	// samples) whose raw scores are averaged.
	Boosted []*gbdt.Model
	Net     *mlp.Net
	LogReg  *linear.Logistic
	// Stack combines the components' logits (ensemble only).
	Stack *linear.Logistic
	// Threshold is the F1-optimal decision threshold, chosen on the
	// training holdout; AccuracyThreshold is 0.5, the accuracy-optimal
	// decision for calibrated probabilities.
	Threshold, AccuracyThreshold float64
	Stats                        TrainStats

	// quant, when set, replaces Net in scoring (see Quantized).
	quant *mlp.Quantized
}

// Train fits a propensity model on sessions.
func Train(ctx context.Context, sessions []shelfwise.Session, cfg Config) (*Model, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	if c.Workers == 1 {
		// Everything runs on this goroutine: its thread's CPU time is the
		// training's.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
	}
	cpu0, cpuOK := threadCPU()
	sc, err := NewSchema(sessions, c.Features)
	if err != nil {
		return nil, err
	}
	t := newTable(sc, sessions)
	if t.pos == 0 || t.pos == t.rows {
		return nil, shelfwise.Errorf(shelfwise.EINVALID, "propensity: training sessions need both purchases and non-purchases (%d of %d purchased)", t.pos, t.rows)
	}
	rng := rand.New(rand.NewPCG(c.Seed, 0x9e3779b97f4a7c15))
	isHold := holdoutMask(t.y, c.HoldoutFraction, rng)
	fit, hold := t.subset(isHold, false), t.subset(isHold, true)
	m := &Model{Kind: c.Model, Features: c.Features, Schema: sc}
	if err := m.fitComponents(ctx, c, fit, hold, rng); err != nil {
		return nil, err
	}
	logits := m.componentLogits(hold)
	if c.Model == Ensemble {
		st, err := blend(ctx, logits, hold.y, hold.labels(), c.Mean)
		if err != nil {
			return nil, err
		}
		m.Stack = st
	}
	p := make([]float64, hold.rows)
	for i := range p {
		p[i] = m.combine(logits[i])
	}
	yb := hold.labels()
	m.Threshold, _ = metrics.BestF1Threshold(p, yb)
	// Every model here minimises log loss (and the ensemble is
	// Platt-scaled), so its probabilities are calibrated and 0.5 is the
	// Bayes decision for accuracy; an accuracy-optimal threshold picked on
	// the small holdout was noisier (worse out of fold).
	m.AccuracyThreshold = 0.5
	if !c.NoRefit {
		if err := m.refit(ctx, c, t, rng); err != nil {
			return nil, err
		}
	}
	m.Stats.Rows = t.rows
	m.Stats.Seconds = time.Since(start).Seconds()
	if cpu1, ok := threadCPU(); ok && cpuOK && c.Workers == 1 {
		m.Stats.CPUSeconds = (cpu1 - cpu0).Seconds()
	}
	return m, nil
}

// fitComponents trains the models the kind needs on fit, using hold to
// stop boosting.
func (m *Model) fitComponents(ctx context.Context, c Config, fit, hold *table, rng *rand.Rand) error {
	sc := m.Schema
	if c.Model == GBDT || c.Model == Ensemble {
		p := DefaultGBDT()
		if c.GBDT != nil {
			p = *c.GBDT
		}
		p.Workers = c.Workers
		for j := range sc.Categorical {
			p.Categorical = append(p.Categorical, len(sc.Numeric)+j)
		}
		X, hX := fit.rawMatrix(), hold.rawMatrix()
		for range c.Bags {
			gm, err := gbdt.Train(ctx, gbdt.Dataset{X: X, Y: fit.y}, &gbdt.Dataset{X: hX, Y: hold.y}, p, rng)
			if err != nil {
				return fmt.Errorf("propensity: boosted trees: %w", err)
			}
			m.Boosted = append(m.Boosted, gm)
			m.Stats.Samples += int64(fit.rows) * int64(gm.Rounds)
		}
	}
	if c.Model == MLP || c.Model == Ensemble {
		mc := SeedMLP()
		if c.MLP != nil {
			mc = *c.MLP
		}
		t0 := time.Now()
		c0, _ := threadCPU()
		net, err := mlp.Train(ctx, mlp.Data{X: fit.dense, Cols: sc.DenseCols(), Y: fit.y}, mc, rng)
		if err != nil {
			return fmt.Errorf("propensity: network: %w", err)
		}
		m.Net = net
		m.Stats.MLPSeconds = time.Since(t0).Seconds()
		if c1, ok := threadCPU(); ok && c.Workers == 1 {
			m.Stats.MLPCPUSeconds = (c1 - c0).Seconds()
		}
		vf := mc.ValidationFraction
		if vf == 0 {
			vf = 0.1
		}
		if mc.Patience == 0 {
			vf = 0
		}
		m.Stats.MLPSamples = int64(float64(fit.rows)*(1-vf)) * int64(net.Epochs)
		m.Stats.Samples += m.Stats.MLPSamples
	}
	if c.Model == LogReg || c.Model == Ensemble {
		lr, err := linear.FitLogistic(ctx, fit.dense, sc.DenseCols(), fit.y, nil, linear.Options{L2: 1})
		if err != nil {
			return fmt.Errorf("propensity: logistic regression: %w", err)
		}
		m.LogReg = lr
		m.Stats.Samples += int64(fit.rows) * int64(lr.Iterations)
	}
	return nil
}

// refit retrains the components on all of t with the sizes the holdout
// chose: as many boosting rounds as kept (scaled to the larger data) and
// the network's best epoch count, without early stopping.
func (m *Model) refit(ctx context.Context, c Config, t *table, rng *rand.Rand) error {
	scale := 1 / (1 - c.HoldoutFraction)
	X := t.rawMatrix()
	for k, b := range m.Boosted {
		p := b.Params
		p.NumTrees = max(1, int(float64(b.BestIteration)*scale+0.5))
		p.EarlyStoppingRounds, p.ValidationFraction = 0, 0
		gm, err := gbdt.Train(ctx, gbdt.Dataset{X: X, Y: t.y}, nil, p, rng)
		if err != nil {
			return fmt.Errorf("propensity: boosted trees refit: %w", err)
		}
		m.Boosted[k] = gm
		m.Stats.Samples += int64(t.rows) * int64(gm.Rounds)
	}
	if m.Net != nil {
		mc := SeedMLP()
		if c.MLP != nil {
			mc = *c.MLP
		}
		mc.Epochs = max(1, m.Net.BestEpoch)
		mc.Patience = 0
		t0 := time.Now()
		c0, _ := threadCPU()
		net, err := mlp.Train(ctx, mlp.Data{X: t.dense, Cols: m.Schema.DenseCols(), Y: t.y}, mc, rng)
		if err != nil {
			return fmt.Errorf("propensity: network refit: %w", err)
		}
		m.Net = net
		m.Stats.MLPSeconds += time.Since(t0).Seconds()
		if c1, ok := threadCPU(); ok && c.Workers == 1 {
			m.Stats.MLPCPUSeconds += (c1 - c0).Seconds()
		}
		m.Stats.MLPSamples += int64(t.rows) * int64(net.Epochs)
		m.Stats.Samples += int64(t.rows) * int64(net.Epochs)
	}
	if m.LogReg != nil {
		lr, err := linear.FitLogistic(ctx, t.dense, m.Schema.DenseCols(), t.y, nil, linear.Options{L2: 1})
		if err != nil {
			return fmt.Errorf("propensity: logistic regression refit: %w", err)
		}
		m.LogReg = lr
	}
	return nil
}

// logitsRow returns the logits of the present components for one session:
// boosted trees, network, logistic regression, in that order.
func (m *Model) logitsRow(raw, dense []float64, dst []float64) []float64 {
	dst = dst[:0]
	if len(m.Boosted) > 0 {
		var z float64
		for _, b := range m.Boosted {
			z += b.PredictRaw(raw)
		}
		dst = append(dst, z/float64(len(m.Boosted)))
	}
	if m.quant != nil {
		dst = append(dst, logit(m.quant.Predict(dense)))
	} else if m.Net != nil {
		dst = append(dst, m.Net.PredictRaw(dense))
	}
	if m.LogReg != nil {
		dst = append(dst, m.LogReg.Raw(dense))
	}
	return dst
}

// componentLogits returns logitsRow for every row of t.
func (m *Model) componentLogits(t *table) [][]float64 {
	out := make([][]float64, t.rows)
	for i := range out {
		out[i] = m.logitsRow(t.rawRow(i), t.denseRow(i), nil)
	}
	return out
}

// combine turns component logits into a probability.
func (m *Model) combine(logits []float64) float64 {
	if m.Stack != nil {
		return m.Stack.Predict(logits)
	}
	return sigmoid(logits[0])
}

// Score returns the probability that s ends in a purchase.
func (m *Model) Score(s shelfwise.Session) float64 {
	sc := m.Schema
	raw := make([]float64, sc.RawCols())
	dense := make([]float64, sc.DenseCols())
	sc.Raw(s, raw)
	sc.Dense(raw, dense)
	var buf [3]float64
	return m.combine(m.logitsRow(raw, dense, buf[:0]))
}

// ScoreRaw scores a raw feature row (Schema.Raw layout).
func (m *Model) ScoreRaw(raw []float64) float64 {
	dense := make([]float64, m.Schema.DenseCols())
	m.Schema.Dense(raw, dense)
	var buf [3]float64
	return m.combine(m.logitsRow(raw, dense, buf[:0]))
}

// ScoreBatch scores sessions in parallel.
func (m *Model) ScoreBatch(ctx context.Context, ss []shelfwise.Session) ([]float64, error) {
	out := make([]float64, len(ss))
	err := parallelRange(ctx, len(ss), 0, func(lo, hi int) {
		sc := m.Schema
		raw := make([]float64, sc.RawCols())
		dense := make([]float64, sc.DenseCols())
		var buf [3]float64
		for i := lo; i < hi; i++ {
			sc.Raw(ss[i], raw)
			sc.Dense(raw, dense)
			out[i] = m.combine(m.logitsRow(raw, dense, buf[:0]))
		}
	})
	return out, err
}

// Decide applies the F1-optimal threshold.
func (m *Model) Decide(p float64) bool { return p >= m.Threshold }

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

func logit(p float64) float64 {
	p = math.Min(math.Max(p, 1e-15), 1-1e-15)
	return math.Log(p / (1 - p))
}

func flatten(rows [][]float64) []float64 {
	var out []float64
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}
