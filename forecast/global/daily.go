package global

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/forecast"
	"github.com/shelfwise/shelfwise/ml/gbdt"
)

// Daily is the global boosted-tree model for daily product x store unit
// sales (the M5 shape): one Tweedie ensemble trained across every series on
// a sample of recent origins, with the step of the horizon as a feature, so
// that a single model forecasts every step directly. Features are lags and
// rolling statistics before the origin (never after it), the target day's
// calendar, events and SNAP-like days, its price relative to the last and
// the year's price, promotions, and the department, category and store.
//
// Prices, promotions and availability of the forecast days are taken as
// known in advance (planned, as M5's sell prices are): Forecast reads them
// from the cut steps of the series, or from Future beyond the series' end;
// it never reads the values or stockout flags of the cut steps.
type Daily struct {
	// Calendar holds events and SNAP-like days (nil: none).
	Calendar *DailyCalendar
	// Products and Stores give the department, category and region codes
	// (missing entries share one code).
	Products map[shelfwise.SKU]shelfwise.Product
	Stores   map[shelfwise.StoreID]shelfwise.Store
	// Window is the number of days before the origin whose sales train the
	// model (default 364).
	Window int
	// Origins is the number of training origins drawn per series within
	// Window (default: enough for about 250,000 training rows, at least 10
	// and at most Window) and Steps the number of horizon steps drawn per
	// origin (default 8).
	Origins, Steps int
	// Params are the boosting parameters; zero fields take
	// DailyDefaultParams (the objective is Tweedie unless set).
	Params gbdt.Params
	// Future gives the price and promotion of step t beyond the series'
	// end and whether the product is on sale then (nil: the last known
	// price, no promotion, on sale).
	Future func(s *shelfwise.Series, t int) (price, promo float64, onSale bool)
	// Explain splits each forecast into level, seasonality, event, price
	// and promotion components by TreeSHAP (slower: for serving, not for
	// backtests at scale). Without it the only component is the level.
	Explain bool
	// Seed makes the sample of origins and the boosting deterministic.
	Seed    uint64
	Workers int
}

// DailyDefaultParams are the boosting parameters used where Daily.Params
// leaves a field zero.
var DailyDefaultParams = gbdt.Params{
	Objective:            gbdt.Tweedie,
	TweedieVariancePower: 1.2,
	NumTrees:             100,
	LearningRate:         0.12,
	Growth:               gbdt.LeafWise,
	MaxLeaves:            31,
	MaxDepth:             -1,
	MinSamplesLeaf:       100,
	Lambda:               1,
	RowSubsample:         0.7,
	ColSubsample:         0.8,
	MaxBins:              127,
}

// Name implements forecast.Forecaster.
func (d *Daily) Name() string { return "gbdt-daily" }

func (d *Daily) params() gbdt.Params {
	p, def := d.Params, DailyDefaultParams
	if p.Objective == "" {
		p.Objective, p.TweedieVariancePower = def.Objective, def.TweedieVariancePower
	}
	if p.Growth == "" {
		p.Growth, p.MaxLeaves, p.MaxDepth = def.Growth, def.MaxLeaves, def.MaxDepth
	}
	setI := func(v *int, dv int) {
		if *v == 0 {
			*v = dv
		}
	}
	setF := func(v *float64, dv float64) {
		if *v == 0 {
			*v = dv
		}
	}
	setI(&p.NumTrees, def.NumTrees)
	setF(&p.LearningRate, def.LearningRate)
	setI(&p.MinSamplesLeaf, def.MinSamplesLeaf)
	setF(&p.Lambda, def.Lambda)
	setF(&p.RowSubsample, def.RowSubsample)
	setF(&p.ColSubsample, def.ColSubsample)
	setI(&p.MaxBins, def.MaxBins)
	p.Categorical = []int{dfDow, dfEvent, dfNextEvent, dfDept, dfCat, dfStore}
	p.Workers = d.Workers
	return p
}

func (d *Daily) window() int {
	if d.Window <= 0 {
		return 364
	}
	return d.Window
}

// prepare resolves the hierarchy codes and first sale step of every series.
func (d *Daily) prepare(series []*shelfwise.Series) []dailySeries {
	codes := func(name func(*shelfwise.Series) string) map[string]float64 {
		var names []string
		seen := map[string]bool{}
		for _, s := range series {
			if n := name(s); !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
		slices.Sort(names)
		m := make(map[string]float64, len(names))
		for i, n := range names {
			m[n] = float64(i % 250)
		}
		return m
	}
	dept := func(s *shelfwise.Series) string {
		if s.Key.Department != "" {
			return s.Key.Department
		}
		return d.Products[s.Key.SKU].Department
	}
	cat := func(s *shelfwise.Series) string {
		if s.Key.Category != "" {
			return s.Key.Category
		}
		return dept(s) + "/" + d.Products[s.Key.SKU].Category
	}
	store := func(s *shelfwise.Series) string { return string(s.Key.Store) }
	dc, cc, sc := codes(dept), codes(cat), codes(store)
	out := make([]dailySeries, len(series))
	for i, s := range series {
		first := 0
		if s.Available != nil {
			for first < len(s.Values) && !s.Available[first] {
				first++
			}
		}
		out[i] = dailySeries{s: s, dept: dc[dept(s)], cat: cc[cat(s)], store: sc[store(s)],
			region: strings.ToUpper(d.Stores[s.Key.Store].Region), first: first}
	}
	return out
}

// usable reports whether step t of a series is a demand observation: on
// sale and not censored by a stockout.
func usable(s *shelfwise.Series, t int) bool {
	return (s.Available == nil || s.Available[t]) && (s.Censored == nil || !s.Censored[t])
}

// dailyMinHistory is the fewest days on sale before a training origin.
const dailyMinHistory = 14

// samplePairs draws the (origin, step) training pairs of a series whose
// history ends at o: origins uniform over the last Window days, steps
// uniform over those whose target falls before o.
func (d *Daily) samplePairs(ds *dailySeries, o, h, nO int, r *rand.Rand) [][2]int {
	nK := min(d.steps(), h)
	lo := max(o-d.window(), ds.first+dailyMinHistory)
	if lo >= o {
		return nil
	}
	var out [][2]int
	for range nO {
		op := lo + r.IntN(o-lo)
		kmax := min(h, o-op)
		for _, k := range r.Perm(kmax)[:min(nK, kmax)] {
			if usable(ds.s, op+k) {
				out = append(out, [2]int{op, k + 1})
			}
		}
	}
	slices.SortFunc(out, func(a, b [2]int) int {
		if a[0] != b[0] {
			return a[0] - b[0]
		}
		return a[1] - b[1]
	})
	return out
}

func (d *Daily) steps() int {
	if d.Steps <= 0 {
		return 8
	}
	return d.Steps
}

// origins is the number of training origins per series in a batch of n.
func (d *Daily) origins(n int) int {
	if d.Origins > 0 {
		return d.Origins
	}
	const rows = 250_000
	return max(10, min(d.window(), rows/max(1, n*d.steps())))
}

// Train fits the model on every series' sales before len(Values)-cut
// (targets strictly before that origin, h the longest step trained).
func (d *Daily) Train(ctx context.Context, series []*shelfwise.Series, cut, h int) (*gbdt.Model, error) {
	return d.train(ctx, d.prepare(series), cut, h)
}

func (d *Daily) train(ctx context.Context, dss []dailySeries, cut, h int) (*gbdt.Model, error) {
	X, Y, err := d.rows(ctx, dss, cut, h)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(d.Seed, 0xda117))
	m, err := gbdt.Train(ctx, gbdt.Dataset{X: X, Y: Y}, nil, d.params(), rng)
	if err != nil {
		return nil, fmt.Errorf("global: daily train: %w", err)
	}
	return m, nil
}

// rows builds the training matrix and targets from the sampled (origin,
// step) pairs of every series before len(Values)-cut.
func (d *Daily) rows(ctx context.Context, dss []dailySeries, cut, h int) (*gbdt.Matrix, []float64, error) {
	pairs := make([][][2]int, len(dss))
	offs := make([]int, len(dss)+1)
	nO := d.origins(len(dss))
	for i := range dss {
		r := rand.New(rand.NewPCG(d.Seed, uint64(i)))
		pairs[i] = d.samplePairs(&dss[i], len(dss[i].s.Values)-cut, h, nO, r)
		offs[i+1] = offs[i] + len(pairs[i])
	}
	nRows := offs[len(dss)]
	if nRows == 0 {
		return nil, nil, fmt.Errorf("global: no series has %d days on sale before the origin: %w", dailyMinHistory+1, forecast.ErrTooShort)
	}
	X := gbdt.NewMatrix(nRows, dailyFeatures)
	Y := make([]float64, nRows)
	err := forecast.ForEach(ctx, len(dss), d.Workers, func(i int) error {
		ds := &dss[i]
		row := make([]float64, dailyFeatures)
		var st originState
		r := offs[i]
		for _, pr := range pairs[i] {
			op, k := pr[0], pr[1]
			if st.values == nil || st.o != op {
				st = newOriginState(ds, op)
			}
			price, promo, _ := knownAt(ds, &st, op+k-1, nil)
			ds.fill(row, &st, k, d.Calendar, price, promo)
			for j, v := range row {
				X.Set(r, j, v)
			}
			Y[r] = math.Max(ds.s.Values[op+k-1], 0)
			r++
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return X, Y, nil
}

// Predict forecasts h steps after len(Values)-cut of every series with a
// trained model. Steps known not to be on sale are 0.
func (d *Daily) Predict(ctx context.Context, m *gbdt.Model, series []*shelfwise.Series, cut, h int) ([]forecast.Prediction, error) {
	return d.predict(ctx, m, d.prepare(series), cut, h)
}

func (d *Daily) predict(ctx context.Context, m *gbdt.Model, dss []dailySeries, cut, h int) ([]forecast.Prediction, error) {
	X, onSale, err := d.forecastRows(ctx, dss, cut, h)
	if err != nil {
		return nil, err
	}
	out := make([]float64, X.Rows)
	if err := m.PredictBatch(ctx, X, out); err != nil {
		return nil, err
	}
	preds := make([]forecast.Prediction, len(dss))
	for i := range dss {
		mean := out[i*h : (i+1)*h : (i+1)*h]
		for k := range mean {
			if !onSale[i*h+k] || !(mean[k] > 0) {
				mean[k] = 0
			}
		}
		preds[i] = forecast.Prediction{Model: "gbdt-daily", Mean: mean,
			Components: map[string][]float64{"level": slices.Clone(mean)}}
	}
	if d.Explain {
		if err := d.explain(ctx, m, X, preds, h); err != nil {
			return nil, err
		}
	}
	return preds, nil
}

// forecastRows builds the feature rows of steps 1..h after len(Values)-cut
// of every series (row i*h+k-1 for step k) and whether each step is on sale.
func (d *Daily) forecastRows(ctx context.Context, dss []dailySeries, cut, h int) (*gbdt.Matrix, []bool, error) {
	X := gbdt.NewMatrix(len(dss)*h, dailyFeatures)
	onSale := make([]bool, len(dss)*h)
	err := forecast.ForEach(ctx, len(dss), d.Workers, func(i int) error {
		ds := &dss[i]
		o := len(ds.s.Values) - cut
		if o < 1 {
			return nil // nothing before the origin (a later launch): not on sale
		}
		row := make([]float64, dailyFeatures)
		st := newOriginState(ds, o)
		for k := 1; k <= h; k++ {
			price, promo, ok := knownAt(ds, &st, o+k-1, d.Future)
			ds.fill(row, &st, k, d.Calendar, price, promo)
			r := i*h + k - 1
			for j, v := range row {
				X.Set(r, j, v)
			}
			onSale[r] = ok && o > ds.first
		}
		return nil
	})
	return X, onSale, err
}

// Forecast implements forecast.Forecaster: it trains on the sales before
// the origin and forecasts h steps of every series.
func (d *Daily) Forecast(ctx context.Context, series []*shelfwise.Series, cut, h int) ([]forecast.Prediction, error) {
	dss := d.prepare(series)
	m, err := d.train(ctx, dss, cut, h)
	if err != nil {
		return nil, err
	}
	return d.predict(ctx, m, dss, cut, h)
}
