package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/shelfwise/shelfwise"
	shelfhttp "github.com/shelfwise/shelfwise/http"
	"github.com/shelfwise/shelfwise/ml/metrics"
	"github.com/shelfwise/shelfwise/propensity"
	"github.com/shelfwise/shelfwise/registry"
)

var _ shelfhttp.PropensityScorer = (*propensityCap)(nil)

// propensityCap scores sessions with the promoted propensity model,
// swapped atomically on promotion.
type propensityCap struct {
	db shelfwise.DB
	// cfg is the training configuration (the zero Model means boosted
	// trees with all features).
	cfg    propensity.Config
	served atomic.Pointer[servedPropensity]
}

// servedPropensity is one loaded version.
type servedPropensity struct {
	version int
	model   *propensity.Model
	summary shelfhttp.PropensitySummary
	// numeric and categorical are the feature names a request may send.
	numeric, categorical map[string]bool
}

const propensityFormat = "shelfwise-propensity/1"

// propensityArtifact is the registry artifact of a propensity version: the
// model as propensity.Model.MarshalBinary writes it (versioned and
// checksummed on its own) with the held-out summary the dashboard shows.
type propensityArtifact struct {
	Format  string                      `json:"format"`
	Trained time.Time                   `json:"trained"`
	Summary shelfhttp.PropensitySummary `json:"summary"`
	Model   []byte                      `json:"model"`
}

// propensityHoldout is the share of the latest sessions held out to
// evaluate a new model.
const propensityHoldout = 0.2

// explainSample bounds the held-out sessions explained for the summary's
// top features (TreeSHAP per session is the costly part).
const explainSample = 1000

func (pc *propensityCap) task() registry.Task {
	return registry.Task{Name: shelfwise.TaskPropensity, Train: pc.train, Load: pc.load}
}

func (pc *propensityCap) config() propensity.Config {
	c := pc.cfg
	if c.Model == "" {
		c.Model, c.Features, c.Seed = propensity.GBDT, propensity.AllFeatures, 1
	}
	if c.Workers == 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	return c
}

// sessions reads the stored sessions in time order.
func (pc *propensityCap) sessions(ctx context.Context) ([]shelfwise.Session, error) {
	var ss []shelfwise.Session
	if err := pc.db.Sessions(ctx, func(s shelfwise.Session) error {
		ss = append(ss, s)
		return nil
	}); err != nil {
		return nil, err
	}
	sort.SliceStable(ss, func(i, j int) bool { return ss[i].Start.Before(ss[j].Start) })
	return ss, nil
}

// train evaluates a model trained on the earlier 80% of the sessions on
// the later 20% (ROC-AUC and the rest, against the best single feature
// chosen on the training sessions), then trains the served model on every
// session.
func (pc *propensityCap) train(ctx context.Context, progress shelfwise.Progress) (registry.Candidate, error) {
	progress(0.02, "reading sessions")
	ss, err := pc.sessions(ctx)
	if err != nil {
		return registry.Candidate{}, err
	}
	cut := int(float64(len(ss)) * (1 - propensityHoldout))
	if len(ss) < 100 || !bothClasses(ss[:cut]) || !bothClasses(ss[cut:]) {
		return registry.Candidate{}, shelfwise.Errorf(shelfwise.EINVALID,
			"the store holds %d sessions: purchase propensity needs at least 100, with purchases and non-purchases both before and after the latest %d%%",
			len(ss), int(100*propensityHoldout))
	}
	train, hold := ss[:cut], ss[cut:]
	cfg := pc.config()
	progress(0.05, fmt.Sprintf("training on the earlier %d sessions", len(train)))
	evalModel, err := propensity.Train(ctx, train, cfg)
	if err != nil {
		return registry.Candidate{}, err
	}
	progress(0.4, fmt.Sprintf("scoring the later %d sessions", len(hold)))
	p, err := evalModel.ScoreBatch(ctx, hold)
	if err != nil {
		return registry.Candidate{}, err
	}
	y := make([]bool, len(hold))
	for i, s := range hold {
		y[i] = s.Purchased
	}
	sum := holdoutSummary(p, y, evalModel.Threshold)
	feat, base := bestSingleFeature(train, evalModel.Schema)
	if feat != "" {
		sum.Metrics["baseline_auc"] = singleFeatureAUC(hold, feat, y)
	}
	sum.Metrics["train_sessions"] = float64(len(train))
	progress(0.45, fmt.Sprintf("training the served model on all %d sessions", len(ss)))
	model, err := propensity.Train(ctx, ss, cfg)
	if err != nil {
		return registry.Candidate{}, err
	}
	progress(0.85, "explaining held-out sessions")
	sum.TopFeatures = topFeatures(model, hold, explainSample)
	sum.Model = string(model.Kind)
	blob, err := model.MarshalBinary()
	if err != nil {
		return registry.Candidate{}, err
	}
	art, err := json.Marshal(propensityArtifact{Format: propensityFormat, Trained: time.Now().UTC(), Summary: sum, Model: blob})
	if err != nil {
		return registry.Candidate{}, err
	}
	snapshot := fmt.Sprintf("sessions=%d purchased=%d until=%s", len(ss), countPurchased(ss),
		ss[len(ss)-1].Start.UTC().Format(time.RFC3339))
	if feat != "" {
		snapshot += fmt.Sprintf(" baseline=%s (train AUC %.3f)", feat, base)
	}
	return registry.Candidate{
		Model: string(model.Kind), Metrics: sum.Metrics, PrimaryMetric: "auc", HigherIsBetter: true,
		DataSnapshot: snapshot, Artifact: art,
	}, nil
}

func bothClasses(ss []shelfwise.Session) bool {
	n := countPurchased(ss)
	return n > 0 && n < len(ss)
}

func countPurchased(ss []shelfwise.Session) int {
	n := 0
	for _, s := range ss {
		if s.Purchased {
			n++
		}
	}
	return n
}

// holdoutSummary computes the held-out metrics, the score histogram (ten
// bins) and the calibration table (ten bins, empty ones left out).
func holdoutSummary(p []float64, y []bool, threshold float64) shelfhttp.PropensitySummary {
	conf := metrics.NewConfusion(p, y, threshold)
	cal := metrics.Calibration(p, y, 10)
	pos := 0
	for _, v := range y {
		if v {
			pos++
		}
	}
	sum := shelfhttp.PropensitySummary{Metrics: map[string]float64{
		"auc": metrics.ROCAUC(p, y), "pr_auc": metrics.PRAUC(p, y), "log_loss": metrics.LogLoss(p, y),
		"brier": metrics.Brier(p, y), "ece": metrics.ExpectedCalibrationError(cal),
		"f1": conf.F1(), "accuracy": metrics.Accuracy(p, y, 0.5), "threshold": threshold,
		"holdout_sessions": float64(len(y)), "holdout_purchase_rate": float64(pos) / float64(len(y)),
	}}
	for _, b := range cal {
		sum.Distribution = append(sum.Distribution, shelfhttp.HistogramBin{Lo: b.Lo, Hi: b.Hi, Count: b.Count})
		if b.Count > 0 {
			sum.Calibration = append(sum.Calibration, shelfhttp.CalibrationPoint{Predicted: b.MeanScore, Observed: b.FracPositive, Count: b.Count})
		}
	}
	return sum
}

// bestSingleFeature is the baseline a shop has without a model: rank
// sessions by one numeric feature (e.g. pages viewed). It picks the
// feature, and its direction, with the highest ROC-AUC on the training
// sessions.
func bestSingleFeature(train []shelfwise.Session, sc *propensity.Schema) (string, float64) {
	y := make([]bool, len(train))
	for i, s := range train {
		y[i] = s.Purchased
	}
	best, bestAUC := "", 0.5
	for _, f := range sc.Numeric[:len(sc.Numeric)-sc.Derived] {
		auc := singleFeatureAUC(train, f, y)
		if a := math.Max(auc, 1-auc); a > bestAUC {
			best, bestAUC = f, a
			if auc < 0.5 {
				best = "-" + f
			}
		}
	}
	return best, bestAUC
}

// singleFeatureAUC is the ROC-AUC of ranking sessions by feature f ("-f":
// ranked the other way; missing values rank lowest).
func singleFeatureAUC(ss []shelfwise.Session, f string, y []bool) float64 {
	sign := 1.0
	if name, ok := strings.CutPrefix(f, "-"); ok {
		f, sign = name, -1
	}
	x := make([]float64, len(ss))
	for i, s := range ss {
		v, ok := s.Features[f]
		if !ok || math.IsNaN(v) {
			x[i] = math.Inf(-1)
			continue
		}
		x[i] = sign * v
	}
	return metrics.ROCAUC(x, y)
}

// topFeatures ranks the model's features by mean absolute contribution
// (log-odds) over up to n sessions spread evenly over ss; Value says how
// often the feature raised the score.
func topFeatures(m *propensity.Model, ss []shelfwise.Session, n int) []shelfhttp.Reason {
	step := max(1, len(ss)/n)
	names := m.Schema.FeatureNames()
	abs := make([]float64, len(names))
	raises := make([]int, len(names))
	count := 0
	for i := 0; i < len(ss); i += step {
		c, _ := m.Contributions(ss[i])
		for j, v := range c {
			abs[j] += math.Abs(v)
			if v > 0 {
				raises[j]++
			}
		}
		count++
	}
	out := make([]shelfhttp.Reason, len(names))
	for j, name := range names {
		out[j] = shelfhttp.Reason{Feature: name, Contribution: abs[j] / float64(count),
			Value: fmt.Sprintf("raises the score in %.0f%% of sessions", 100*float64(raises[j])/float64(count))}
	}
	slices.SortStableFunc(out, func(a, b shelfhttp.Reason) int {
		switch {
		case a.Contribution > b.Contribution:
			return -1
		case a.Contribution < b.Contribution:
			return 1
		}
		return 0
	})
	return out[:min(10, len(out))]
}

// load decodes a version's model; the swap serves it.
func (pc *propensityCap) load(ctx context.Context, v shelfwise.ModelVersion, b []byte) (func(), error) {
	var art propensityArtifact
	if err := json.Unmarshal(b, &art); err != nil || art.Format != propensityFormat {
		return nil, fmt.Errorf("propensity v%d: not a %s artifact", v.Version, propensityFormat)
	}
	var m propensity.Model
	if err := m.UnmarshalBinary(art.Model); err != nil {
		return nil, fmt.Errorf("propensity v%d: %w", v.Version, err)
	}
	sp := &servedPropensity{version: v.Version, model: &m, summary: art.Summary,
		numeric: map[string]bool{}, categorical: map[string]bool{}}
	sp.summary.Version = v.Version
	for _, f := range m.Schema.Numeric[:len(m.Schema.Numeric)-m.Schema.Derived] {
		sp.numeric[f] = true
	}
	for _, f := range m.Schema.Categorical {
		sp.categorical[f] = true
	}
	return func() { pc.served.Store(sp) }, nil
}

func (pc *propensityCap) current() (*servedPropensity, error) {
	sp := pc.served.Load()
	if sp == nil {
		return nil, shelfwise.Errorf(shelfwise.ENOTFOUND,
			"no propensity model has been promoted yet: train one with POST /v1/models/propensity/retrain")
	}
	return sp, nil
}

// Score implements shelfhttp.PropensityScorer: the session's purchase
// probability with its five strongest reasons. Features the model does not
// know are refused, so a misspelt name is not silently scored as missing;
// features left out are scored as missing.
func (pc *propensityCap) Score(ctx context.Context, s shelfwise.Session) (shelfhttp.PropensityScore, error) {
	sp, err := pc.current()
	if err != nil {
		return shelfhttp.PropensityScore{}, err
	}
	known := 0
	for k := range s.Features {
		if !sp.numeric[k] {
			return shelfhttp.PropensityScore{}, unknownFeature("features", k, sp.numeric)
		}
		known++
	}
	for k := range s.Categorical {
		if !sp.categorical[k] {
			return shelfhttp.PropensityScore{}, unknownFeature("categorical", k, sp.categorical)
		}
	}
	if known == 0 {
		return shelfhttp.PropensityScore{}, shelfwise.Errorf(shelfwise.EINVALID, "send at least one numeric feature of the session")
	}
	ex := sp.model.Explain(s, 5)
	out := shelfhttp.PropensityScore{Probability: ex.Probability, Model: string(sp.model.Kind), Version: sp.version}
	for _, r := range ex.Reasons {
		out.Reasons = append(out.Reasons, shelfhttp.Reason{Feature: r.Feature, Value: r.Value, Contribution: r.Effect})
	}
	return out, nil
}

func unknownFeature(field, name string, known map[string]bool) error {
	names := make([]string, 0, len(known))
	for k := range known {
		names = append(names, k)
	}
	sort.Strings(names)
	if len(name) > 64 {
		name = name[:64] + "…"
	}
	return shelfwise.Errorf(shelfwise.EINVALID, "%s: the model does not know %q (it knows: %s)", field, name, strings.Join(names, ", "))
}

// Summary implements shelfhttp.PropensityScorer.
func (pc *propensityCap) Summary(ctx context.Context) (shelfhttp.PropensitySummary, error) {
	sp, err := pc.current()
	if err != nil {
		return shelfhttp.PropensitySummary{}, err
	}
	return sp.summary, nil
}
