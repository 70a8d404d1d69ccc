package global

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/forecast"
	"github.com/shelfwise/shelfwise/ml/gbdt"
	"github.com/shelfwise/shelfwise/simulate"
)

// simChain simulates cfg's daily product x store series (the last keep
// days of each) with the hierarchy, calendar and truth the daily model
// reads.
type simChain struct {
	series   []*shelfwise.Series
	truth    *simulate.Truth
	products map[shelfwise.SKU]shelfwise.Product
	calendar *DailyCalendar
}

func simulateChain(t testing.TB, cfg simulate.Config, keep int) *simChain {
	t.Helper()
	c := &simChain{}
	truth, err := simulate.Series(context.Background(), cfg, func(s *shelfwise.Series) error {
		if n := len(s.Values); n > keep {
			cp := *s
			cp.Start = s.Time(n - keep)
			cp.Values = append([]float64(nil), s.Values[n-keep:]...)
			cp.Price = append([]float64(nil), s.Price[n-keep:]...)
			cp.Promo = append([]float64(nil), s.Promo[n-keep:]...)
			cp.Available = append([]bool(nil), s.Available[n-keep:]...)
			cp.Censored = append([]bool(nil), s.Censored[n-keep:]...)
			s = &cp
		}
		c.series = append(c.series, s)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c.truth = truth
	c.products = map[shelfwise.SKU]shelfwise.Product{}
	for _, p := range truth.Products {
		cat := truth.Categories[truth.Subcategories[p.Subcategory].Category]
		c.products[p.SKU] = shelfwise.Product{SKU: p.SKU, Department: truth.Departments[cat.Department].Name, Category: cat.Name}
	}
	var cal []shelfwise.CalendarEvent
	for _, e := range truth.Events {
		cal = append(cal, shelfwise.CalendarEvent{Date: truth.Date(e.Day), Name: e.Name, Type: e.Type})
	}
	c.calendar = NewDailyCalendar(cal)
	return c
}

// errVsTruth is the mean absolute error of the forecasts of the last cut
// days (from origin len-cut) against the simulator's true mean demand.
func (c *simChain) errVsTruth(preds []forecast.Prediction, cut int) float64 {
	var e float64
	n := 0
	for i, s := range c.series {
		o := len(s.Values) - cut
		for k, v := range preds[i].Mean[:cut] {
			e += math.Abs(math.Max(v, 0) - c.truth.ExpectedDemand(s.Key.SKU, s.Key.Store, s.Time(o+k)))
			n++
		}
	}
	return e / float64(n)
}

func smallChain(t testing.TB) *simChain {
	cfg := simulate.M5()
	cfg.Products, cfg.Stores, cfg.Days = 150, 3, 900
	return simulateChain(t, cfg, 900)
}

func TestDailyBeatsLocalAgainstTruth(t *testing.T) {
	c := smallChain(t)
	const h = 28
	ctx := context.Background()
	sn, err := forecast.Local{Method: forecast.SeasonalNaive{Period: 7}}.Forecast(ctx, c.series, h, h)
	if err != nil {
		t.Fatal(err)
	}
	b := &DailyBlend{Global: Daily{Calendar: c.calendar, Products: c.products, Origins: 20, Seed: 1}}
	run, err := b.Run(ctx, c.series, h, h)
	if err != nil {
		t.Fatal(err)
	}
	eSN, eLocal := c.errVsTruth(sn, h), c.errVsTruth(run.Local, h)
	eGlobal, eBlend := c.errVsTruth(run.Global, h), c.errVsTruth(run.Predictions, h)
	t.Logf("MAE vs true mean: snaive %.4f local %.4f global %.4f blend %.4f (train %.1fs)", eSN, eLocal, eGlobal, eBlend, run.TrainSeconds)
	if eGlobal >= 0.8*eLocal || eBlend >= 0.8*eLocal || eGlobal >= 0.5*eSN {
		t.Fatalf("error vs true mean: snaive %.4f local %.4f global %.4f blend %.4f; want global and blend 20%% below local, global half of snaive",
			eSN, eLocal, eGlobal, eBlend)
	}
	// Conformal quantiles are quantiles of the (discrete) sales: for every
	// level tau, P(y < q) <= tau <= P(y <= q) up to sampling error.
	below, atOrBelow := quantileHits(c.series, h, run.Quantiles, len(run.Levels))
	for l, tau := range run.Levels {
		t.Logf("level %.3f: P(y<q) %.3f P(y<=q) %.3f", tau, below[l], atOrBelow[l])
		if below[l] > tau+0.03 || atOrBelow[l] < tau-0.03 {
			t.Errorf("level %v: P(y<q) %.3f, P(y<=q) %.3f", tau, below[l], atOrBelow[l])
		}
	}
	for i, q := range run.Quantiles {
		for l := range q {
			for k, v := range q[l] {
				if v < 0 || (l > 0 && v < q[l-1][k]) {
					t.Fatalf("series %d level %v step %d: quantile %v negative or below the level before", i, run.Levels[l], k, v)
				}
			}
		}
	}
}

// quantileHits returns, per level, the shares of usable actual values of
// the last cut days below and at or below the quantile.
func quantileHits(series []*shelfwise.Series, cut int, qs [][][]float64, levels int) (below, atOrBelow []float64) {
	below, atOrBelow = make([]float64, levels), make([]float64, levels)
	n := 0
	for i, s := range series {
		o := len(s.Values) - cut
		for k := range cut {
			if !usable(s, o+k) {
				continue
			}
			n++
			y := s.Values[o+k]
			for l := range levels {
				if y < qs[i][l][k] {
					below[l]++
				}
				if y <= qs[i][l][k] {
					atOrBelow[l]++
				}
			}
		}
	}
	for l := range levels {
		below[l] /= float64(n)
		atOrBelow[l] /= float64(n)
	}
	return below, atOrBelow
}

// TestDailyDeterministic checks that a seed fixes the forecasts, and that
// another seed changes them (the sample of origins and the boosting are
// random). The worker count is part of the setup: histogram sums in
// another order may round differently.
func TestDailyDeterministic(t *testing.T) {
	cfg := simulate.M5()
	cfg.Products, cfg.Stores, cfg.Days = 40, 2, 500
	c := simulateChain(t, cfg, 500)
	ctx := context.Background()
	run := func(seed uint64, workers int) []forecast.Prediction {
		d := &Daily{Calendar: c.calendar, Products: c.products, Origins: 20, Seed: seed, Workers: workers, Params: gbdtSmall}
		p, err := d.Forecast(ctx, c.series, 28, 28)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	a, b, other := run(7, 2), run(7, 2), run(8, 2)
	same, diff := true, false
	for i := range a {
		for k := range a[i].Mean {
			same = same && a[i].Mean[k] == b[i].Mean[k]
			diff = diff || a[i].Mean[k] != other[i].Mean[k]
		}
	}
	if !same || !diff {
		t.Fatalf("same seed equal: %v (want true); other seed differs: %v (want true)", same, diff)
	}
}

var gbdtSmall = gbdt.Params{NumTrees: 30}

// TestDailyCalendar checks the event and SNAP-like features on hand-made
// dates.
func TestDailyCalendar(t *testing.T) {
	day := func(m time.Month, d int) time.Time { return time.Date(2016, m, d, 0, 0, 0, 0, time.UTC) }
	c := NewDailyCalendar([]shelfwise.CalendarEvent{
		{Date: day(2, 14), Name: "Valentine", Type: "cultural"},
		{Date: day(2, 7), Name: "SuperBowl", Type: "sporting"},
		{Date: day(2, 1), Name: "SNAP", Type: "snap", Region: "ca"},
		{Date: day(2, 2), Name: "SNAP", Type: "snap", Region: "CA"},
		{Date: day(3, 1), Name: "Payday", Type: "Payday"},
	})
	tests := []struct {
		name                          string
		date                          time.Time
		code, toNext, nextCode, since float64
		region                        string
		snap, sinceSnap               float64
	}{
		{"before", day(2, 5), 0, 2, 1, 8, "CA", 0, 3},
		{"on", day(2, 7), 1, 7, 2, 0, "CA", 0, 5},
		{"after", day(2, 16), 0, 15, 0, 2, "TX", 0, 31},
		{"snap", day(2, 2), 0, 5, 1, 8, "CA", 1, 0},
		{"payday everywhere", day(3, 2), 0, 15, 0, 8, "WI", 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := dayNumber(tt.date)
			code, toNext, nextCode, since := c.eventFeatures(d)
			if code != tt.code || toNext != tt.toNext || nextCode != tt.nextCode || since != tt.since {
				t.Fatalf("event features %v %v %v %v, want %v %v %v %v", code, toNext, nextCode, since, tt.code, tt.toNext, tt.nextCode, tt.since)
			}
			snap, sinceSnap := c.snapFeatures(tt.region, d)
			if snap != tt.snap || sinceSnap != tt.sinceSnap {
				t.Fatalf("snap features %v %v, want %v %v", snap, sinceSnap, tt.snap, tt.sinceSnap)
			}
		})
	}
}

// TestDailyQuantileObjective checks the quantile-objective models on the
// small chain: calibrated on the held-out days in the discrete sense, and
// their pinball loss within 10% of the conformal quantiles'.
func TestDailyQuantileObjective(t *testing.T) {
	c := smallChain(t)
	const h = 28
	ctx := context.Background()
	levels := []float64{0.1, 0.5, 0.9}
	d := &Daily{Calendar: c.calendar, Products: c.products, Origins: 10, Seed: 1, Params: gbdt.Params{NumTrees: 60}}
	qb := &DailyBlend{Global: *d, Levels: levels, QuantileObjective: true}
	qrun, err := qb.Run(ctx, c.series, h, h)
	if err != nil {
		t.Fatal(err)
	}
	qs := qrun.Quantiles
	b := &DailyBlend{Global: *d, Levels: levels}
	run, err := b.Run(ctx, c.series, h, h)
	if err != nil {
		t.Fatal(err)
	}
	below, atOrBelow := quantileHits(c.series, h, qs, len(levels))
	for l, tau := range levels {
		t.Logf("level %.2f: P(y<q) %.3f P(y<=q) %.3f", tau, below[l], atOrBelow[l])
		if below[l] > tau+0.03 || atOrBelow[l] < tau-0.03 {
			t.Errorf("level %v: P(y<q) %.3f, P(y<=q) %.3f", tau, below[l], atOrBelow[l])
		}
	}
	pq, pc := pinball(c.series, h, qs, levels), pinball(c.series, h, run.Quantiles, levels)
	t.Logf("pinball: quantile objective %.4f, conformal %.4f", pq, pc)
	if pq > 1.1*pc {
		t.Fatalf("pinball: quantile objective %.4f, conformal %.4f", pq, pc)
	}
}

// pinball is the mean pinball loss over levels and usable days of the last
// cut days.
func pinball(series []*shelfwise.Series, cut int, qs [][][]float64, levels []float64) float64 {
	var s float64
	n := 0
	for i, sr := range series {
		o := len(sr.Values) - cut
		for k := range cut {
			if !usable(sr, o+k) {
				continue
			}
			for l, tau := range levels {
				s += forecast.Pinball(sr.Values[o+k], qs[i][l][k], tau)
				n++
			}
		}
	}
	return s / float64(n)
}

// TestDailyExplain checks the TreeSHAP components: they add up to the
// mean, and the promotion effect (the price cut and the promotion flag:
// price plus promotion components) is positive on promotion days on
// average (the simulator's promotions lift demand) and less than half
// of that elsewhere (regular price changes move the price component).
func TestDailyExplain(t *testing.T) {
	cfg := simulate.M5()
	cfg.Products, cfg.Stores, cfg.Days, cfg.PromoEvery = 80, 2, 700, 30
	c := simulateChain(t, cfg, 700)
	const h = 28
	d := &Daily{Calendar: c.calendar, Products: c.products, Origins: 20, Seed: 1, Explain: true, Params: gbdt.Params{NumTrees: 60}}
	preds, err := d.Forecast(context.Background(), c.series, h, h)
	if err != nil {
		t.Fatal(err)
	}
	var promo, other float64
	var nPromo, nOther int
	for i, p := range preds {
		s := c.series[i]
		for k, mean := range p.Mean {
			sum := 0.0
			for _, v := range p.Components {
				sum += v[k]
			}
			if math.Abs(sum-mean) > 1e-9*math.Max(1, mean) {
				t.Fatalf("series %d step %d: components sum to %v, mean %v", i, k, sum, mean)
			}
			if mean == 0 {
				continue
			}
			if s.Promo[len(s.Values)-h+k] > 0 {
				promo += (p.Components["promotion"][k] + p.Components["price"][k]) / mean
				nPromo++
			} else {
				other += math.Abs(p.Components["promotion"][k]+p.Components["price"][k]) / mean
				nOther++
			}
		}
	}
	promo /= float64(nPromo)
	other /= float64(nOther)
	t.Logf("price and promotion share of the mean: %.3f on %d promotion days, |%.3f| on %d others", promo, nPromo, other, nOther)
	if nPromo == 0 || promo < 0.2 || other > promo/2 {
		t.Fatalf("promotion share %.3f on %d promotion days, |%.3f| elsewhere", promo, nPromo, other)
	}
}

// TestDailyFuture forecasts past the end of the data, as shelfwise
// forecast does: Future supplies the planned prices, promotions and
// assortment (days off sale forecast 0), and Forecasts packs the run with
// the origin the day after the last one.
func TestDailyFuture(t *testing.T) {
	cfg := simulate.M5()
	cfg.Products, cfg.Stores, cfg.Days = 40, 2, 500
	c := simulateChain(t, cfg, 500)
	const h = 28
	offSale := func(t int) bool { return t%7 == 3 }
	b := &DailyBlend{Global: Daily{Calendar: c.calendar, Products: c.products, Origins: 20, Seed: 1, Params: gbdtSmall,
		Future: func(s *shelfwise.Series, t int) (float64, float64, bool) {
			return s.Price[len(s.Price)-1], 0, !offSale(t)
		}}}
	run, err := b.Run(context.Background(), c.series, 0, h)
	if err != nil {
		t.Fatal(err)
	}
	fcs := run.Forecasts(c.series, 0)
	positive := 0
	for i, fc := range fcs {
		s := c.series[i]
		if got, want := fc.Origin, s.Time(len(s.Values)); !got.Equal(want) {
			t.Fatalf("series %d: origin %v, want %v", i, got, want)
		}
		if len(fc.Mean) != h || len(fc.Quantiles) != len(forecast.DefaultLevels) {
			t.Fatalf("series %d: %d steps, %d quantile levels", i, len(fc.Mean), len(fc.Quantiles))
		}
		for k := range h {
			g := run.Global[i].Mean[k]
			if offSale(len(s.Values)+k) && (g != 0 || fc.Mean[k] != 0 || fc.Quantiles[len(fc.Quantiles)-1][k] != 0) {
				t.Fatalf("series %d step %d: off sale, forecast %v (global %v)", i, k, fc.Mean[k], g)
			}
			if g > 0 {
				positive++
			}
		}
	}
	if positive == 0 {
		t.Fatal("no positive forecast on the days on sale")
	}
}
