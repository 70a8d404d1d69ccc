package global

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/forecast"
	"github.com/shelfwise/shelfwise/ml/gbdt"
)

// Model is the global boosted-tree forecaster. The zero value works on
// weekly data with defaults tuned on windows before the scored ones.
type Model struct {
	// Period is the season length in steps (default 52 for weekly data).
	Period int
	// Params are the boosting parameters; zero fields take DefaultParams.
	Params gbdt.Params
	// Holiday reports whether a step starting at the given date holds a
	// holiday (nil: no holiday features).
	Holiday func(time.Time) bool
	// Stores supplies store type and size features (optional).
	Stores map[shelfwise.StoreID]shelfwise.Store
	// OriginStride uses every OriginStride-th training origin (default 4)
	// and MaxOrigins the most recent ones only (0 = all). OriginPhase
	// starts OriginPhase steps before the latest origin (0..stride-1):
	// members with the same stride and different phases train on disjoint
	// origins.
	OriginStride, MaxOrigins, OriginPhase int
	// HolidayWeight multiplies the training weight of holiday targets
	// (default 1; 5 matches a WMAE with holiday weeks x5).
	HolidayWeight float64
	// TargetClip bounds the scaled target |change|/level (default 4).
	TargetClip float64
	// Rank is the number of directions kept when denoising a
	// department's series across stores (default 5; -1 disables).
	Rank int
	// LevelShift is the share of the year-on-year level change added to
	// the seasonal base (default 0.5; -1 for none).
	LevelShift float64
	// Explain splits each forecast's change from its base into level,
	// trend, seasonality and event components by path attribution of the
	// trees (see pathExplainer: exact in sum, O(depth) per tree). Without
	// it the components are the seasonal base and the model's change
	// ("level"). Count targets (TargetCounts) report their mean as "level".
	Explain bool
	// Target chooses what the trees learn; the zero value TargetAuto picks
	// TargetCounts when every value before the origin is a non-negative
	// integer (unit sales) and TargetChange otherwise (revenue, which can
	// be negative, as Walmart's).
	Target Target
	// Covariates, if set, add known-in-advance drivers per store and week
	// as features (nil: none, the default).
	Covariates *Covariates
	// Seed makes training deterministic.
	Seed    uint64
	Workers int
	// share, if set, is where members of a blend that train on the same
	// rows take their binned matrix from (see Default).
	share *trainShare
}

// Target is what the global model's trees learn.
type Target int

// Targets.
const (
	// TargetAuto picks TargetCounts for non-negative integer series and
	// TargetChange otherwise.
	TargetAuto Target = iota
	// TargetChange learns the change from the seasonal base divided by
	// the series' level, with Params.Objective (default L1): the form that
	// works on revenue, negatives included.
	TargetChange
	// TargetCounts learns the sales divided by the level with the Tweedie
	// objective (log link, Params.TweedieVariancePower, default 1.5),
	// whatever Params.Objective says: forecasts are never negative and
	// zeros are modelled rather than averaged away.
	TargetCounts
)

// counts reports whether the model learns TargetCounts on series cut at
// cut: every value before each origin is a non-negative integer.
func (m *Model) counts(series []*shelfwise.Series, cut int) bool {
	switch m.Target {
	case TargetChange:
		return false
	case TargetCounts:
		return true
	}
	for _, s := range series {
		for _, v := range s.Values[:max(len(s.Values)-cut, 0)] {
			if v < 0 || v != math.Trunc(v) {
				return false
			}
		}
	}
	return true
}

// maxCountRatio bounds a count target's sales/level ratio.
const maxCountRatio = 50

// DefaultParams are the boosting parameters used where Model.Params leaves
// a field zero.
var DefaultParams = gbdt.Params{
	Objective:      gbdt.Quantile,
	Alpha:          0.5,
	NumTrees:       100,
	LearningRate:   0.08,
	MaxDepth:       8,
	MinSamplesLeaf: 50,
	Lambda:         1,
	RowSubsample:   0.7,
	ColSubsample:   0.9,
}

// Name implements forecast.Forecaster.
func (m *Model) Name() string { return "gbdt" }

// base is the seasonal baseline the model corrects: the denoised value one
// season before the target plus half the change in level between the last
// 13 steps and the same steps a season earlier (shrunk by half, which
// backtests better than the full shift).
func (m *Model) base(y, den []float64, o, t int, when time.Time) float64 {
	p := m.period()
	b := den[t-m.lagAt(t, o, when)]
	if o-13-p >= 0 {
		b += m.shift() * (meanRange(y, o-13, o) - meanRange(y, o-13-p, o-p))
	}
	return b
}

func (m *Model) shift() float64 {
	if m.LevelShift == 0 {
		return 0.5
	}
	return max(m.LevelShift, 0)
}

func (m *Model) rank() int {
	if m.Rank == 0 {
		return 5
	}
	return max(m.Rank, 0)
}

func (m *Model) period() int {
	if m.Period <= 0 {
		return 52
	}
	return m.Period
}

func (m *Model) params() gbdt.Params {
	p := m.Params
	d := DefaultParams
	if p.Objective == "" {
		p.Objective = d.Objective
		p.Alpha = d.Alpha
	}
	if p.NumTrees == 0 {
		p.NumTrees = d.NumTrees
	}
	if p.LearningRate == 0 {
		p.LearningRate = d.LearningRate
	}
	if p.MaxDepth == 0 {
		p.MaxDepth = d.MaxDepth
	}
	if p.MinSamplesLeaf == 0 {
		p.MinSamplesLeaf = d.MinSamplesLeaf
	}
	if p.RowSubsample == 0 {
		p.RowSubsample = d.RowSubsample
	}
	if p.ColSubsample == 0 {
		p.ColSubsample = d.ColSubsample
	}
	p.Categorical = []int{fStoreType, fDept, fStore}
	p.Workers = m.Workers
	return p
}

// minHistory is the fewest points before an origin the model forecasts
// from; shorter series fall back to the seasonal naive.
func (m *Model) minHistory() int { return m.period() + 1 }

// minTrainOrigin is the earliest training origin: features need some
// recent history; last-year features are missing (NaN) before a season.
const minTrainOrigin = 26

// trainPairs lists the (origin, step) training pairs of a series whose
// history ends at o: every target strictly before o with a value one
// season earlier.
func (m *Model) trainPairs(o, h int) [][2]int {
	stride := m.OriginStride
	if stride <= 0 {
		stride = 4
	}
	p := m.period()
	var out [][2]int
	n := 0
	for op := o - 1 - m.OriginPhase%stride; op >= minTrainOrigin; op -= stride {
		for k := 1; k <= h && op+k-1 < o; k++ {
			if op+k-1 >= p {
				out = append(out, [2]int{op, k})
			}
		}
		n++
		if m.MaxOrigins > 0 && n >= m.MaxOrigins {
			break
		}
	}
	return out
}

// Forecast implements forecast.Forecaster: it trains one model on all
// series' histories before the origin and forecasts h steps of each.
// Series too short for the features fall back to the seasonal naive.
func (m *Model) Forecast(ctx context.Context, series []*shelfwise.Series, cut, h int) ([]forecast.Prediction, error) {
	p := m.period()
	if h > p {
		return nil, fmt.Errorf("global: horizon %d exceeds the season %d", h, p)
	}
	infos := m.infos(series)
	den := denoise(series, cut, m.rank())
	counts := m.counts(series, cut)
	params := m.params()
	if counts {
		params.Objective = gbdt.Tweedie
	}
	ts, err := m.binnedTrainingSet(ctx, series, den, infos, cut, h, counts, params)
	if err != nil {
		return nil, err
	}
	// Targets are shared unclipped: each member clips its own copy.
	Y := ts.Y
	if !counts {
		clip := m.TargetClip
		if clip <= 0 {
			clip = 4
		}
		Y = make([]float64, len(ts.Y))
		for r, v := range ts.Y {
			Y[r] = math.Max(-clip, math.Min(clip, v))
		}
	}
	rng := rand.New(rand.NewPCG(m.Seed, 0x5eed))
	model, err := gbdt.TrainBinned(ctx, gbdt.BinnedDataset{B: ts.B, Y: Y, W: ts.W}, nil, params, rng)
	if err != nil {
		return nil, fmt.Errorf("global: train: %w", err)
	}
	ts, Y = nil, nil
	return m.predict(ctx, model, series, den, infos, cut, h, counts)
}

// trainingSet builds the training rows of every series cut at cut: the
// features of each (origin, step) pair of trainPairs, the target (the
// scaled change from the seasonal base, not yet clipped, or the count
// ratio) and the weight (the series level, times HolidayWeight on holiday
// targets).
func (m *Model) trainingSet(ctx context.Context, series []*shelfwise.Series, den [][]float64, infos []seriesInfo, cut, h int, counts bool) (*gbdt.Matrix, []float64, []float64, error) {
	p := m.period()
	// Count rows per series to lay the matrix out without locks.
	offs := make([]int, len(series)+1)
	pairs := make([][][2]int, len(series))
	for i, s := range series {
		pairs[i] = m.trainPairs(max(len(s.Values)-cut, 0), h)
		offs[i+1] = offs[i] + len(pairs[i])
	}
	nRows := offs[len(series)]
	if nRows == 0 {
		return nil, nil, nil, fmt.Errorf("global: no series has the %d points of history the features need: %w", m.minHistory()+1, forecast.ErrTooShort)
	}
	X := gbdt.NewMatrix(nRows, m.numFeatures())
	Y := make([]float64, nRows)
	W := make([]float64, nRows)
	hw := m.HolidayWeight
	if hw <= 0 {
		hw = 1
	}
	err := forecast.ForEach(ctx, len(series), m.Workers, func(i int) error {
		s := series[i]
		y := s.Values
		row := make([]float64, m.numFeatures())
		r := offs[i]
		lastOp, lvl := -1, 0.0
		for _, pr := range pairs[i] {
			op, k := pr[0], pr[1]
			if op != lastOp {
				lvl, lastOp = level(y, op, p), op
			}
			t := op + k - 1
			m.features(row, y, den[i], op, k, lvl, targetDate(s, t), infos[i])
			m.covariateFeatures(row, s.Key.Store, targetDate(s, t), p)
			for j, v := range row {
				X.Set(r, j, v)
			}
			if counts {
				Y[r] = math.Min(y[t]/lvl, maxCountRatio)
			} else {
				Y[r] = (y[t] - m.base(y, den[i], op, t, targetDate(s, t))) / lvl
			}
			W[r] = lvl
			if row[fHoliday] == 1 {
				W[r] *= hw
			}
			r++
		}
		return nil
	})
	if err != nil {
		return nil, nil, nil, err
	}
	return X, Y, W, nil
}

func (m *Model) predict(ctx context.Context, model *gbdt.Model, series []*shelfwise.Series, den [][]float64, infos []seriesInfo, cut, h int, counts bool) ([]forecast.Prediction, error) {
	p := m.period()
	out := make([]forecast.Prediction, len(series))
	var ex *pathExplainer
	if m.Explain && !counts {
		ex = newPathExplainer(model)
	}
	err := forecast.ForEach(ctx, len(series), m.Workers, func(i int) error {
		s := series[i]
		y := s.Values
		o := len(y) - cut
		if o < m.minHistory() {
			out[i] = shortFallback(y, o, p, h)
			return nil
		}
		lvl := level(y, o, p)
		row := make([]float64, m.numFeatures())
		if counts {
			mean := make([]float64, h)
			for k := 1; k <= h; k++ {
				t := o + k - 1
				m.features(row, y, den[i], o, k, lvl, targetDate(s, t), infos[i])
				m.covariateFeatures(row, s.Key.Store, targetDate(s, t), p)
				mean[k-1] = lvl * model.Predict(row)
			}
			out[i] = forecast.Prediction{Model: "gbdt-tweedie", Mean: mean,
				Components: map[string][]float64{"level": slices.Clone(mean)}}
			return nil
		}
		var phi []float64
		if ex != nil {
			phi = make([]float64, m.numFeatures()+1)
		}
		mean := make([]float64, h)
		base := make([]float64, h)
		change := make([]float64, h)
		comps := map[string][]float64{}
		for k := 1; k <= h; k++ {
			t := o + k - 1
			m.features(row, y, den[i], o, k, lvl, targetDate(s, t), infos[i])
			m.covariateFeatures(row, s.Key.Store, targetDate(s, t), p)
			d := model.Predict(row)
			base[k-1] = m.base(y, den[i], o, t, targetDate(s, t))
			change[k-1] = lvl * d
			mean[k-1] = base[k-1] + change[k-1]
			if ex != nil {
				ex.contributions(row, phi)
				explainStep(comps, k-1, phi, lvl, h)
			}
		}
		if ex != nil {
			// The base is last season's (denoised) value: seasonality.
			for k := range base {
				comps["seasonality"][k] += base[k]
			}
		} else {
			comps = map[string][]float64{"seasonality": base, "level": change}
		}
		out[i] = forecast.Prediction{Model: "gbdt", Mean: mean, Components: comps}
		return nil
	})
	return out, err
}

// infos encodes the static features of each series: store type, size,
// department and store as category codes in sorted order.
func (m *Model) infos(series []*shelfwise.Series) []seriesInfo {
	code := func(vals []string) map[string]float64 {
		slices.Sort(vals)
		vals = slices.Compact(vals)
		c := make(map[string]float64, len(vals))
		for i, v := range vals {
			c[v] = float64(i)
		}
		return c
	}
	var skus, stores, types []string
	for _, s := range series {
		skus = append(skus, string(s.Key.SKU)+"|"+s.Key.Department)
		stores = append(stores, string(s.Key.Store))
		if st, ok := m.Stores[s.Key.Store]; ok {
			types = append(types, st.Type)
		}
	}
	skuC, storeC, typeC := code(skus), code(stores), code(types)
	storeAgg := aggregate(series, func(s *shelfwise.Series) string { return string(s.Key.Store) })
	deptAgg := aggregate(series, func(s *shelfwise.Series) string { return string(s.Key.SKU) + "|" + s.Key.Department })
	out := make([]seriesInfo, len(series))
	for i, s := range series {
		inf := seriesInfo{storeType: math.NaN(), storeSize: math.NaN(),
			dept: skuC[string(s.Key.SKU)+"|"+s.Key.Department], store: storeC[string(s.Key.Store)],
			storeAgg: storeAgg[string(s.Key.Store)], deptAgg: deptAgg[string(s.Key.SKU)+"|"+s.Key.Department]}
		if st, ok := m.Stores[s.Key.Store]; ok {
			inf.storeType = typeC[st.Type]
			if st.Size > 0 {
				inf.storeSize = st.Size
			}
		}
		out[i] = inf
	}
	return out
}

// aggregate sums the series of each group (by key) step by step; a group
// whose series differ in length gets no aggregate.
func aggregate(series []*shelfwise.Series, key func(*shelfwise.Series) string) map[string][]float64 {
	out := map[string][]float64{}
	bad := map[string]bool{}
	for _, s := range series {
		k := key(s)
		a, ok := out[k]
		if !ok {
			a = make([]float64, len(s.Values))
			out[k] = a
		}
		if len(a) != len(s.Values) {
			bad[k] = true
			continue
		}
		for t, v := range s.Values {
			a[t] += v
		}
	}
	for k := range bad {
		delete(out, k)
	}
	return out
}

// shortFallback forecasts a series with fewer points before the origin o
// than the global features need: the seasonal naive (naive when shorter
// than a season), or zeros with nothing to go on.
func shortFallback(y []float64, o, p, h int) forecast.Prediction {
	if o < 1 {
		return forecast.Prediction{Model: "none", Mean: make([]float64, h)}
	}
	pr, err := forecast.SeasonalNaive{Period: p}.Forecast(y[:o], h)
	if err != nil {
		return forecast.Prediction{Model: "none", Mean: make([]float64, h)}
	}
	return pr
}
