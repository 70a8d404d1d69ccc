package forecast

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/ml/metrics"
)

// oracle forecasts every series with its true mean (truth[i][t]).
type oracle struct{ truth [][]float64 }

func (oracle) Name() string { return "oracle" }

func (o oracle) Forecast(_ context.Context, series []*shelfwise.Series, cut, h int) ([]Prediction, error) {
	out := make([]Prediction, len(series))
	for i, s := range series {
		n := len(s.Values) - cut
		out[i] = Prediction{Model: "oracle", Mean: append([]float64(nil), o.truth[i][n:n+h]...)}
	}
	return out, nil
}

// countPanel simulates daily counts of mixed levels (means 0.1 to 30 a day,
// with a strong weekly pattern): even series Poisson, odd ones
// over-dispersed (Poisson of a log-normal mean: variance about mu +
// 0.5 mu^2). Every third series sold a third of its level in its first
// half, and every third from the second twice it, so a whole history's
// lag-1 MAE misjudges its recent spread; the first series is off sale for
// its first 100 days.
func countPanel(r *rand.Rand, n, days int) ([]*shelfwise.Series, [][]float64) {
	series := make([]*shelfwise.Series, n)
	truth := make([][]float64, n)
	week := []float64{0.6, 0.8, 0.8, 0.9, 1.1, 1.8, 1.4}
	for i := range series {
		level := 0.1 * math.Pow(300, float64(i)/float64(n-1))
		v, mu := make([]float64, days), make([]float64, days)
		var av []bool
		if i == 0 {
			av = make([]bool, days)
		}
		early := []float64{1, 1.0 / 3, 2}[i%3]
		for t := range v {
			mu[t] = level * week[t%7]
			if t < days/2 {
				mu[t] *= early
			}
			lam := mu[t]
			if i%2 == 1 {
				const sigma = 0.64
				lam *= math.Exp(sigma*r.NormFloat64() - sigma*sigma/2)
			}
			v[t] = poisson(r, lam) // regress_test.go
			if av != nil {
				av[t] = t >= 100
				if !av[t] {
					v[t], mu[t] = 0, 0
				}
			}
		}
		series[i] = &shelfwise.Series{Key: shelfwise.SeriesKey{SKU: shelfwise.SKU(string(rune('A'+i%26)) + string(rune('a'+i/26)))},
			Grain: shelfwise.GrainDay, Values: v, Available: av}
		truth[i] = mu
	}
	return series, truth
}

// TestCountConformalCoverage: with the true means as forecasts of 60
// simulated Poisson and over-dispersed count series of mixed and shifting
// levels (two scored windows, four calibration windows), CountConformal's
// 80% and 95% intervals cover within 3 points of nominal, overall and in
// the low and high halves of the levels (0.807 / 0.959 overall with this
// seed; the default per-step scaled errors give 0.833 / 0.967, and 0.870 /
// 0.980 in the high half), with less pinball loss than the default (0.180
// against 0.197); zero forecasts on days off sale get zero quantiles.
func TestCountConformalCoverage(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 2))
	const n, days, h = 60, 400, 28
	series, truth := countPanel(r, n, days)
	o := BacktestOptions{Horizon: h, Windows: 2, CalibrationWindows: 4, NonNegative: true, Conformal: CountConformal{}}
	ctx := context.Background()
	res, err := Backtest(ctx, oracle{truth}, series, o)
	if err != nil {
		t.Fatal(err)
	}
	o.Conformal = nil
	def, err := Backtest(ctx, oracle{truth}, series, o)
	if err != nil {
		t.Fatal(err)
	}
	m := res.Metrics
	t.Logf("count conformal: coverage %.3f / %.3f, pinball %.4f; default %.3f / %.3f, pinball %.4f",
		m.Coverage80, m.Coverage95, m.Pinball, def.Metrics.Coverage80, def.Metrics.Coverage95, def.Metrics.Pinball)
	if math.Abs(m.Coverage80-0.8) > 0.03 || math.Abs(m.Coverage95-0.95) > 0.03 {
		t.Errorf("coverage %.3f / %.3f, want 0.80 / 0.95 within 0.03", m.Coverage80, m.Coverage95)
	}
	if m.Pinball >= def.Metrics.Pinball {
		t.Errorf("pinball %.4f, want below the default's %.4f", m.Pinball, def.Metrics.Pinball)
	}
	// Coverage by half of the levels (series are ordered by level).
	halves := func(r *BacktestResult) [2][2]float64 {
		var in, cnt [2][2]float64
		for w, qs := range r.Quantiles {
			c := (len(r.Quantiles) - w) * h
			for i, s := range series {
				half := min(1, 2*i/n)
				for k := range h {
					y := s.Values[len(s.Values)-c+k]
					for j, iv := range [][2]int{{2, 6}, {0, 8}} {
						cnt[half][j]++
						if y >= qs[i][iv[0]][k] && y <= qs[i][iv[1]][k] {
							in[half][j]++
						}
					}
				}
			}
		}
		var out [2][2]float64
		for a := range out {
			for j := range out[a] {
				out[a][j] = in[a][j] / cnt[a][j]
			}
		}
		return out
	}
	got, base := halves(res), halves(def)
	t.Logf("coverage low / high levels: count %.3f %.3f / %.3f %.3f, default %.3f %.3f / %.3f %.3f",
		got[0][0], got[0][1], got[1][0], got[1][1], base[0][0], base[0][1], base[1][0], base[1][1])
	for a, name := range []string{"low", "high"} {
		if math.Abs(got[a][0]-0.8) > 0.03 || math.Abs(got[a][1]-0.95) > 0.03 {
			t.Errorf("%s levels: coverage %.3f / %.3f, want 0.80 / 0.95 within 0.03", name, got[a][0], got[a][1])
		}
	}
	// Off sale (series 0 before day 100) in a forecast from day 90,
	// calibrated on the windows from days 62, 34 and 6.
	preds := map[int][]Prediction{}
	for j := range 4 {
		c := days - 90 + j*h
		if preds[c], err = (oracle{truth}).Forecast(ctx, series, c, h); err != nil {
			t.Fatal(err)
		}
	}
	q := CountConformal{}.Quantiles(series, preds, days-90, h, 3, DefaultLevels)
	for l, tau := range DefaultLevels {
		if q[0][l][0] != 0 {
			t.Errorf("series 0 off sale until day 100: quantile %v on day 90 is %v, want 0", tau, q[0][l][0])
		}
	}
	if top := q[0][len(DefaultLevels)-1][h-1]; !(top > truth[0][90+h-1]) {
		t.Errorf("series 0 on sale on day %d: top quantile %v, want above the mean %v", 90+h-1, top, truth[0][90+h-1])
	}
}

// TestCountTable checks the bins and the finite-sample correction by hand:
// 300 points with minBin 150 make two bins split at the 150th forecast;
// level 0.5 is the median, and 0.9 of 150 errors is read at
// 0.5+0.4*151/150.
func TestCountTable(t *testing.T) {
	var pts []countPoint
	for i := range 300 {
		pts = append(pts, countPoint{f: float64(299 - i), e: float64(i % 150)})
	}
	upper, table := countTable(pts, 150, 20, []float64{0.5, 0.9})
	if len(upper) != 2 || upper[0] != 149 || !math.IsInf(upper[1], 1) {
		t.Fatalf("upper edges %v, want [149 +Inf]", upper)
	}
	// Bin 0 holds f = 0..149, errors 149..0 reversed: the same sorted set.
	want9 := metrics.QuantileSorted(seq(150), 0.5+0.4*151.0/150)
	for b := range table {
		if table[b][0] != 74.5 || math.Abs(table[b][1]-want9) > 1e-12 {
			t.Errorf("bin %d quantiles %v, want [74.5 %v]", b, table[b], want9)
		}
	}
	if u, tab := countTable(nil, 150, 20, []float64{0.5}); u != nil || tab != nil {
		t.Errorf("no points: %v %v, want no bins", u, tab)
	}
}

func seq(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(i)
	}
	return out
}

// TestConformalFor: the options' Conformal wins, then the forecaster's
// choice, which Fallback passes on from its Primary; otherwise none (the
// default tables).
func TestConformalFor(t *testing.T) {
	own := CountConformal{Offset: 2}
	chooser := Fallback{Primary: countChooser{}, Secondary: Local{Method: Naive{}}}
	if got := conformalFor(chooser, own); got != Conformal(own) {
		t.Errorf("options' own: got %#v", got)
	}
	if got := conformalFor(chooser, nil); got != Conformal(CountConformal{}) {
		t.Errorf("Fallback of a chooser: got %#v, want CountConformal{}", got)
	}
	if got := conformalFor(Fallback{Primary: Local{Method: Naive{}}, Secondary: Local{Method: Naive{}}}, nil); got != nil {
		t.Errorf("Fallback of a local method: got %#v, want nil", got)
	}
}

// countChooser is the oracle choosing CountConformal.
type countChooser struct{ oracle }

func (countChooser) Conformal() Conformal { return CountConformal{} }
