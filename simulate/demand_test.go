package simulate

import (
	"context"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise"
)

// aggregated runs an aggregate chain and returns its points with the truth.
func aggregated(t *testing.T, cfg Config) ([]shelfwise.SalesPoint, *Truth) {
	t.Helper()
	var c collector
	tr, err := Run(context.Background(), cfg, &c)
	if err != nil {
		t.Fatal(err)
	}
	return c.points, tr
}

// eventDays marks the days inside any event window.
func eventDays(tr *Truth) []bool {
	ev := make([]bool, tr.Days)
	for _, e := range tr.Events {
		for d := e.Day - e.Lead; d <= e.Day+e.Lag; d++ {
			if d >= 0 && d < tr.Days {
				ev[d] = true
			}
		}
	}
	return ev
}

// TestElasticityRecovered fits, per product, a Poisson log-log regression
// of daily units on log price with store, weekday, trend, yearly Fourier and
// promotion-kind terms, on days outside events, and checks the slope
// against the true elasticity. Stock is unlimited here: dropping stockout
// days instead biases the slope towards zero, since stockouts cluster on
// cheap promotion days (a trap the pricing models must handle).
func TestElasticityRecovered(t *testing.T) {
	cfg := M5()
	cfg.Seed = 21
	cfg.Stores, cfg.Products, cfg.Days = 3, 24, 1095
	cfg.MeanUnits = 4
	cfg.PriceChangeEvery = 45
	cfg.PromoEvery = 40
	cfg.NoStockouts = true
	points, tr := aggregated(t, cfg)
	ev := eventDays(tr)
	type obs struct {
		x []float64
		y float64
	}
	rows := map[shelfwise.SKU][]obs{}
	for _, p := range points {
		if !p.Available || ev[p.Period] {
			continue
		}
		// intercept, 2 stores, 6 weekdays, trend, cos, sin, log price, 4 promotion kinds
		x := make([]float64, 17)
		x[0] = 1
		for s := 1; s < 3; s++ {
			if p.Store == tr.Stores[s].ID {
				x[s] = 1
			}
		}
		if wd := int(p.Date.Weekday()); wd > 0 {
			x[2+wd] = 1
		}
		x[9] = float64(p.Period) / 365.25
		a := 2 * math.Pi * float64(p.Date.YearDay()) / 365.25
		x[10], x[11] = math.Cos(a), math.Sin(a)
		x[12] = math.Log(p.Price)
		if pr := tr.Products[tr.idx.sku[p.SKU]].promo(p.Period); pr != nil {
			for i, k := range promoKinds {
				if pr.Kind == k {
					x[13+i] = 1
				}
			}
		}
		rows[p.SKU] = append(rows[p.SKU], obs{x, p.Units})
	}
	var errs []float64
	for sku, os := range rows {
		pt, _ := tr.Product(sku)
		if pt.Base < 2 || len(pt.Prices) < 5 {
			continue // too little volume or price variation to expect precision
		}
		x := make([][]float64, len(os))
		y := make([]float64, len(os))
		for i, o := range os {
			x[i], y[i] = o.x, o.y
		}
		// drop promotion kinds the product never had (singular design)
		used := []int{}
		for j := range x[0] {
			for i := range x {
				if x[i][j] != 0 {
					used = append(used, j)
					break
				}
			}
		}
		for i := range x {
			r := make([]float64, len(used))
			for a, j := range used {
				r[a] = x[i][j]
			}
			x[i] = r
		}
		b, se := fitGLM(t, x, y, false)
		j := indexOf(used, 12)
		est := b[j]
		errs = append(errs, math.Abs(est-pt.Elasticity))
		if math.Abs(est-pt.Elasticity) > 4*se[j] {
			t.Errorf("%s: estimated elasticity %.3f (se %.3f), true %.3f", sku, est, se[j], pt.Elasticity)
		}
	}
	if len(errs) < 5 {
		t.Fatalf("only %d products with enough volume", len(errs))
	}
	sort.Float64s(errs)
	if med := errs[len(errs)/2]; med > 0.12 {
		t.Errorf("median absolute elasticity error %.3f over %d products, want <= 0.12", med, len(errs))
	}
	t.Logf("elasticity recovered on %d products: median abs error %.3f, max %.3f", len(errs), errs[len(errs)/2], errs[len(errs)-1])
}

func indexOf(xs []int, v int) int {
	for i, x := range xs {
		if x == v {
			return i
		}
	}
	return -1
}

// TestDemandMatchesTruth checks that sales without stockouts average the
// truth's expected demand, and that the weekly and yearly seasonality and
// the Christmas closure show in the generated data.
func TestDemandMatchesTruth(t *testing.T) {
	cfg := M5()
	cfg.Seed = 4
	cfg.Stores, cfg.Products, cfg.Days = 3, 60, 730
	cfg.Start = time.Date(2022, 1, 3, 0, 0, 0, 0, time.UTC)
	cfg.NoStockouts = true
	points, tr := aggregated(t, cfg)
	ev := eventDays(tr)
	var sold, want float64
	deptDay := make([][7]float64, len(tr.Departments)) // units per product-day
	var days [7]float64
	for _, p := range points {
		if p.Censored {
			t.Fatal("censored point with NoStockouts")
		}
		exp := tr.ExpectedDemand(p.SKU, p.Store, p.Date)
		sold += p.Units
		want += exp
		if p.Date.Month() == 12 && p.Date.Day() == 25 && p.Units != 0 {
			t.Fatalf("sales on Christmas day at a closed store: %+v", p)
		}
		if !ev[p.Period] {
			pt, _ := tr.Product(p.SKU)
			d := tr.idx.catDept[tr.idx.subCat[pt.Subcategory]]
			deptDay[d][p.Date.Weekday()] += p.Units
			days[p.Date.Weekday()]++
		}
	}
	if r := sold / want; math.Abs(r-1) > 0.02 {
		t.Errorf("units sold / expected = %.4f over %.0f units, want 1 +- 0.02", r, sold)
	}
	// weekly: Saturday over Tuesday sales outside events, against the true
	// profile
	for d, dept := range tr.Departments {
		got := deptDay[d][time.Saturday] / days[time.Saturday] / (deptDay[d][time.Tuesday] / days[time.Tuesday])
		truth := dept.Weekly[time.Saturday] / dept.Weekly[time.Tuesday]
		if math.Abs(got/truth-1) > 0.06 {
			t.Errorf("%s: Saturday/Tuesday sales %.3f, true weekly ratio %.3f", dept.Name, got, truth)
		}
	}
	// yearly: the category with the strongest season sells more in the 61
	// days around its peak than around its trough, as the truth says.
	best := 0
	for c, cat := range tr.Categories {
		if cat.Amplitude > tr.Categories[best].Amplitude {
			best = c
		}
	}
	cat := tr.Categories[best]
	var peak, trough float64
	for _, p := range points {
		pt, _ := tr.Product(p.SKU)
		if tr.idx.subCat[pt.Subcategory] != best {
			continue
		}
		dist := math.Abs(float64(p.Date.YearDay()) - cat.PeakDay)
		dist = math.Min(dist, 365-dist)
		switch {
		case dist <= 30:
			peak += p.Units
		case dist >= 152:
			trough += p.Units
		}
	}
	if cat.Amplitude < 0.2 || peak/trough < math.Exp(cat.Amplitude) {
		t.Errorf("category %s amplitude %.2f: peak/trough sales %.2f, want > %.2f", cat.Name, cat.Amplitude, peak/trough, math.Exp(cat.Amplitude))
	}
}

// TestCensoring checks that stockouts are marked where stock ran out, that
// they cut sales below demand, and that promotions make them likelier.
func TestCensoring(t *testing.T) {
	cfg := small(9)
	cfg.Days = 240
	c, tr := run(t, cfg)
	zero := map[[3]string]bool{}
	for _, s := range c.stock {
		if s.OnHand < 0 {
			t.Fatalf("negative stock %+v", s)
		}
		if s.OnHand == 0 {
			zero[[3]string{string(s.SKU), string(s.Store), s.Time.Format(time.DateOnly)}] = true
		}
	}
	n := 0
	for _, cs := range tr.Censored {
		for _, d := range cs.Days {
			n++
			if !zero[[3]string{string(cs.SKU), string(cs.Store), tr.Date(d).Format(time.DateOnly)}] {
				t.Fatalf("%s@%s day %d censored without a zero stock level", cs.SKU, cs.Store, d)
			}
		}
	}
	if n == 0 {
		t.Fatal("no stockouts")
	}

	agg := M5()
	agg.Seed = 9
	agg.Stores, agg.Products, agg.Days = 3, 80, 365
	points, atr := aggregated(t, agg)
	var cSold, cExp, uSold, uExp float64
	var promoDays, promoCens, plainDays, plainCens int
	for _, p := range points {
		if !p.Available {
			continue
		}
		exp := atr.ExpectedDemand(p.SKU, p.Store, p.Date)
		if p.Censored {
			cSold += p.Units
			cExp += exp
		} else {
			uSold += p.Units
			uExp += exp
		}
		if p.Deal > 0 {
			promoDays++
			promoCens += btoi(p.Censored)
		} else {
			plainDays++
			plainCens += btoi(p.Censored)
		}
	}
	if r := cSold / cExp; r > 0.85 {
		t.Errorf("sales on stockout days are %.2f of expected demand, want well below 1", r)
	}
	if r := uSold / uExp; r < 0.9 || r > 1.05 {
		t.Errorf("sales on other days are %.3f of expected demand, want about 1", r)
	}
	pr, pl := float64(promoCens)/float64(promoDays), float64(plainCens)/float64(plainDays)
	if pr < 2*pl {
		t.Errorf("stockout rate %.3f on promotion days vs %.3f otherwise: want promotions to cause stockouts", pr, pl)
	}
	t.Logf("stockout days: %.2f%% on promotion, %.2f%% otherwise", 100*pr, 100*pl)
}

func TestSamplers(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const n = 200000
	for _, mu := range []float64{0.3, 4, 25, 400} {
		var s, s2 float64
		for range n {
			x := poisson(r, mu)
			s += x
			s2 += x * x
		}
		m := s / n
		v := s2/n - m*m
		if math.Abs(m-mu) > 4*math.Sqrt(mu/n) || math.Abs(v/mu-1) > 0.03 {
			t.Errorf("poisson(%v): mean %.4f var %.4f", mu, m, v)
		}
	}
	for _, k := range []float64{0.5, 4} {
		var s, s2 float64
		for range n {
			x := gamma(r, k)
			s += x
			s2 += x * x
		}
		m := s / n
		v := s2/n - m*m
		if math.Abs(m-k) > 0.02*k || math.Abs(v/k-1) > 0.04 {
			t.Errorf("gamma(%v): mean %.4f var %.4f", k, m, v)
		}
	}
}
