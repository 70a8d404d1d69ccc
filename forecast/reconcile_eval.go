package forecast

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/shelfwise/shelfwise"
)

// Reconciliation methods of BacktestHierarchy.
const (
	ReconcileNone     = "none"
	ReconcileBottomUp = "bottomup"
	ReconcileMinT     = "mint"
	ReconcileWLS      = "wls"
)

// LevelSpec is an aggregate level of a hierarchy: its name and the key of
// the aggregate each bottom series adds into (e.g. {Store: s.Key.Store}
// for store totals, {} for the chain total).
type LevelSpec struct {
	Name string
	Key  func(s *shelfwise.Series) shelfwise.SeriesKey
}

// HierarchyLevel is one level of a built hierarchy: its series and their
// rows in the Hierarchy's row order (aggregates first, bottom last).
type HierarchyLevel struct {
	Name   string
	Series []*shelfwise.Series
	Rows   []int
}

// BuildHierarchy sums bottom series (same grain, start and length) into the
// aggregate levels of specs, in order, and returns every level (the specs'
// then the bottom one, named bottomName) with the Hierarchy whose
// aggregates are the specs' series in that order. An aggregate is
// available where any of its bottom series is.
func BuildHierarchy(bottom []*shelfwise.Series, specs []LevelSpec, bottomName string) ([]HierarchyLevel, Hierarchy, error) {
	if len(bottom) == 0 {
		return nil, Hierarchy{}, fmt.Errorf("forecast: hierarchy without bottom series")
	}
	b0 := bottom[0]
	for _, s := range bottom {
		if s.Grain != b0.Grain || len(s.Values) != len(b0.Values) || !s.Start.Equal(b0.Start) || s.StartPeriod != b0.StartPeriod {
			return nil, Hierarchy{}, fmt.Errorf("forecast: hierarchy needs aligned bottom series; %s and %s differ in grain, start or length", b0.Key, s.Key)
		}
	}
	h := Hierarchy{Bottom: len(bottom)}
	var levels []HierarchyLevel
	for _, sp := range specs {
		lv := HierarchyLevel{Name: sp.Name}
		byKey := map[shelfwise.SeriesKey]int{}
		for j, s := range bottom {
			k := sp.Key(s)
			a, ok := byKey[k]
			if !ok {
				a = len(lv.Series)
				byKey[k] = a
				lv.Series = append(lv.Series, &shelfwise.Series{Key: k, Grain: b0.Grain, Start: b0.Start,
					StartPeriod: b0.StartPeriod, Values: make([]float64, len(b0.Values))})
				lv.Rows = append(lv.Rows, len(h.Aggregates))
				h.Aggregates = append(h.Aggregates, nil)
			}
			agg := lv.Series[a]
			for t, v := range s.Values {
				agg.Values[t] += v
			}
			row := lv.Rows[a]
			h.Aggregates[row] = append(h.Aggregates[row], j)
		}
		levels = append(levels, lv)
	}
	for _, lv := range levels {
		for a, agg := range lv.Series {
			agg.Available = anyAvailable(bottom, h.Aggregates[lv.Rows[a]])
		}
	}
	bl := HierarchyLevel{Name: bottomName, Series: bottom}
	for j := range bottom {
		bl.Rows = append(bl.Rows, len(h.Aggregates)+j)
	}
	return append(levels, bl), h, nil
}

// anyAvailable is true at steps where any of the bottom series idx is
// available (nil when all are always available).
func anyAvailable(bottom []*shelfwise.Series, idx []int) []bool {
	var out []bool
	for _, j := range idx {
		if bottom[j].Available == nil {
			return nil
		}
	}
	for _, j := range idx {
		if out == nil {
			out = make([]bool, len(bottom[j].Values))
		}
		for t, a := range bottom[j].Available {
			out[t] = out[t] || a
		}
	}
	return out
}

// HierarchyOptions configure BacktestHierarchy.
type HierarchyOptions struct {
	Horizon int
	// Windows is the number of scored windows of Horizon steps at the end.
	Windows int
	// CalibrationWindows before each scored window give MinT its error
	// covariance and every row its conformal quantiles (MinT needs >= 1).
	CalibrationWindows int
	// Levels are the quantile levels (default DefaultLevels).
	Levels []float64
	// ScaleLag is the lag of the MASE/RMSSE scale (default 1).
	ScaleLag int
	// NonNegative clips bottom forecasts at zero and re-sums the
	// aggregates, so reconciled forecasts stay coherent.
	NonNegative bool
	// Reconcile is ReconcileNone, ReconcileBottomUp, ReconcileMinT or
	// ReconcileWLS.
	Reconcile string
	// StepWeight gives the WMAE weight of step t of a series (nil = 1).
	StepWeight func(s *shelfwise.Series, t int) float64
	// BottomWeight gives the WRMSSE weight of bottom series j at a cut;
	// an aggregate weighs the sum of its bottoms' weights (nil = none).
	BottomWeight func(j, cut int) float64
}

// LevelMetrics are the pooled metrics of one level of a hierarchy.
type LevelMetrics struct {
	Name    string  `json:"level"`
	Series  int     `json:"series"`
	Metrics Metrics `json:"metrics"`
}

// HierarchyResult is the outcome of BacktestHierarchy.
type HierarchyResult struct {
	// Levels holds every level's metrics, top first, bottom last.
	Levels []LevelMetrics
	// Pooled pools every series of every level.
	Pooled Metrics
	// WRMSSE is the mean of the levels' WRMSSE (the M5 score over the
	// levels present); NaN without weights.
	WRMSSE float64
	// Lambda is MinT's shrinkage intensity per scored window.
	Lambda []float64
	// MaxIncoherence is the largest |aggregate - sum of its bottoms| of the
	// scored forecasts relative to the aggregate's mean absolute actual
	// (0 when coherent).
	MaxIncoherence float64
}

// BacktestHierarchy backtests forecasts of every level of a hierarchy by
// rolling origin, reconciles them, and scores each level. Base forecasts of
// level l come from forecaster(l) run on that level's series (each level
// its own batch). Reconciliation at each scored window uses only the
// errors of its CalibrationWindows earlier windows (MinT's covariance), and
// the reconciled forecasts of those windows calibrate the conformal
// quantiles, so nothing tuned sees the scored steps.
func BacktestHierarchy(ctx context.Context, forecaster func(level int) Forecaster, levels []HierarchyLevel, hier Hierarchy, o HierarchyOptions) (*HierarchyResult, error) {
	h := o.Horizon
	if h <= 0 || o.Windows <= 0 {
		return nil, fmt.Errorf("forecast: hierarchy backtest needs a positive horizon and windows")
	}
	switch o.Reconcile {
	case ReconcileNone, ReconcileBottomUp:
	case ReconcileMinT, ReconcileWLS:
		if o.CalibrationWindows < 1 {
			return nil, fmt.Errorf("forecast: %s needs at least one calibration window for its error covariance", o.Reconcile)
		}
	default:
		return nil, fmt.Errorf("forecast: unknown reconciliation %q (none, bottomup, mint, wls)", o.Reconcile)
	}
	if o.Levels == nil {
		o.Levels = DefaultLevels
	}
	o.ScaleLag = max(o.ScaleLag, 1)
	rows, rowSeries := hier.Rows(), make([]*shelfwise.Series, hier.Rows())
	for _, lv := range levels {
		for i, r := range lv.Rows {
			rowSeries[r] = lv.Series[i]
		}
	}
	need := map[int]bool{}
	for w := 1; w <= o.Windows; w++ {
		for k := 0; k <= o.CalibrationWindows; k++ {
			need[(w+k)*h] = true
		}
	}
	// Base forecasts per cut, by row.
	base := map[int][][]float64{}
	for cut := range need {
		base[cut] = make([][]float64, rows)
	}
	for li, lv := range levels {
		f := forecaster(li)
		for cut := range need {
			ps, err := f.Forecast(ctx, lv.Series, cut, h)
			if err != nil {
				return nil, fmt.Errorf("forecast: level %s: %w", lv.Name, err)
			}
			for i, r := range lv.Rows {
				base[cut][r] = ps[i].Mean
			}
		}
	}
	res := &HierarchyResult{}
	accs := make([]Accumulator, len(levels))
	var pooled Accumulator
	for w := o.Windows; w >= 1; w-- {
		c := w * h
		rec, lambda, err := reconcileCuts(hier, rowSeries, base, c, o)
		if err != nil {
			return nil, err
		}
		if o.Reconcile == ReconcileMinT {
			res.Lambda = append(res.Lambda, lambda)
		}
		res.MaxIncoherence = math.Max(res.MaxIncoherence, incoherence(hier, rowSeries, rec[c], c))
		for li, lv := range levels {
			scoreLevel(lv, rec, c, hier, o, &accs[li], &pooled)
		}
	}
	wr, nw := 0.0, 0
	for li, lv := range levels {
		m := accs[li].Metrics()
		res.Levels = append(res.Levels, LevelMetrics{Name: lv.Name, Series: len(lv.Series), Metrics: m})
		if !math.IsNaN(m.WRMSSE) {
			wr += m.WRMSSE
			nw++
		}
	}
	res.Pooled = pooled.Metrics()
	res.WRMSSE = math.NaN()
	if nw > 0 {
		res.WRMSSE = wr / float64(nw)
	}
	return res, nil
}

// reconcileCuts reconciles the base forecasts of scored cut c and of its
// calibration cuts, MinT with the covariance of the calibration windows'
// base errors, and returns them as Predictions by cut and row.
func reconcileCuts(hier Hierarchy, rowSeries []*shelfwise.Series, base map[int][][]float64, c int, o HierarchyOptions) (map[int][]Prediction, float64, error) {
	h := o.Horizon
	var resid [][]float64
	if o.Reconcile == ReconcileMinT || o.Reconcile == ReconcileWLS {
		resid = make([][]float64, hier.Rows())
		for r, s := range rowSeries {
			for k := 1; k <= o.CalibrationWindows; k++ {
				cc := c + k*h
				n := len(s.Values) - cc
				for j := 0; j < h; j++ {
					e := 0.0
					if n >= 1 {
						e = s.Values[n+j] - base[cc][r][j]
					}
					resid[r] = append(resid[r], e)
				}
			}
		}
	}
	out := map[int][]Prediction{}
	lambda := math.NaN()
	A := len(hier.Aggregates)
	for k := 0; k <= o.CalibrationWindows; k++ {
		cc := c + k*h
		rows := base[cc]
		switch o.Reconcile {
		case ReconcileBottomUp:
			rows = hier.BottomUp(rows[A:])
		case ReconcileMinT:
			var err error
			if rows, lambda, err = hier.MinT(rows, resid); err != nil {
				return nil, 0, err
			}
		case ReconcileWLS:
			var err error
			if rows, err = hier.WLS(rows, resid); err != nil {
				return nil, 0, err
			}
		}
		if o.NonNegative {
			rows = clipCoherent(hier, rows, o.Reconcile != ReconcileNone)
		}
		ps := make([]Prediction, len(rows))
		for r, m := range rows {
			ps[r] = Prediction{Model: o.Reconcile, Mean: m}
		}
		out[cc] = ps
	}
	return out, lambda, nil
}

// clipCoherent clips negative forecasts at zero; for coherent forecasts it
// clips the bottom rows and sums the aggregates again.
func clipCoherent(hier Hierarchy, rows [][]float64, coherent bool) [][]float64 {
	out := make([][]float64, len(rows))
	for r, m := range rows {
		out[r] = slices.Clone(m)
		clipNeg(out[r])
	}
	if coherent {
		return hier.BottomUp(out[len(hier.Aggregates):])
	}
	return out
}

// incoherence is the largest |aggregate - sum of its bottoms| of the
// forecasts relative to the aggregate's mean absolute history.
func incoherence(hier Hierarchy, rowSeries []*shelfwise.Series, ps []Prediction, c int) float64 {
	A, worst := len(hier.Aggregates), 0.0
	for a, idx := range hier.Aggregates {
		s := rowSeries[a]
		scale := 0.0
		for _, v := range s.Values[:len(s.Values)-c] {
			scale += math.Abs(v)
		}
		scale = math.Max(scale/float64(len(s.Values)-c), 1e-12)
		for k, v := range ps[a].Mean {
			for _, j := range idx {
				v -= ps[A+j].Mean[k]
			}
			worst = math.Max(worst, math.Abs(v)/scale)
		}
	}
	return worst
}

// minStepErrors is the fewest calibration errors per horizon step a
// level's conformal quantiles rest on before the steps are pooled.
const minStepErrors = 30

// poolSparse pools the errors of every step when some step has fewer than
// min of them (a level of one or a few series, such as the chain total,
// has one error per window and step: its quantiles would collapse onto the
// few errors there are).
func poolSparse(tab [][]float64, min int) [][]float64 {
	sparse := false
	for _, e := range tab {
		sparse = sparse || len(e) < min
	}
	if !sparse {
		return tab
	}
	var all []float64
	for _, e := range tab {
		all = append(all, e...)
	}
	slices.Sort(all)
	out := make([][]float64, len(tab))
	for k := range out {
		out[k] = all
	}
	return out
}

// scoreLevel scores the reconciled forecasts of one level at scored cut c
// with conformal quantiles from its calibration windows' reconciled errors
// (pooled over the horizon's steps where a step has few of them).
func scoreLevel(lv HierarchyLevel, rec map[int][]Prediction, c int, hier Hierarchy, o HierarchyOptions, acc, pooled *Accumulator) {
	h := o.Horizon
	bo := BacktestOptions{Horizon: h, CalibrationWindows: o.CalibrationWindows, Levels: o.Levels,
		ScaleLag: o.ScaleLag, NonNegative: o.NonNegative}
	level := map[int][]Prediction{}
	for cut, ps := range rec {
		lp := make([]Prediction, len(lv.Rows))
		for i, r := range lv.Rows {
			lp[i] = ps[r]
		}
		level[cut] = lp
	}
	var cal [][]float64
	if o.CalibrationWindows > 0 {
		cal = poolSparse(conformalTable(lv.Series, level, c, h, bo), minStepErrors)
	}
	A := len(hier.Aggregates)
	for i, s := range lv.Series {
		n := len(s.Values) - c
		if n < 2 {
			continue
		}
		hist := s.Values[:n]
		p := level[c][i]
		scale := ScaleMAE(hist, o.ScaleLag)
		sc := Scored{Actual: s.Values[n : n+h], Mean: p.Mean, Levels: o.Levels,
			Quantiles: quantilesFor(&p, scale, cal, o.Levels, o.NonNegative),
			ScaleMAE:  scale, ScaleMSE: ScaleMSE(TrimLeadingZeros(hist), o.ScaleLag)}
		if o.StepWeight != nil {
			sc.Weights = make([]float64, h)
			for k := range sc.Weights {
				sc.Weights[k] = o.StepWeight(s, n+k)
			}
		}
		if o.BottomWeight != nil {
			if r := lv.Rows[i]; r >= A {
				sc.Weight = o.BottomWeight(r-A, c)
			} else {
				for _, j := range hier.Aggregates[r] {
					sc.Weight += o.BottomWeight(j, c)
				}
			}
		}
		acc.Add(sc)
		pooled.Add(sc)
	}
}
