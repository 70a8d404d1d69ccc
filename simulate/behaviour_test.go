package simulate

import (
	"math"
	"sort"
	"testing"

	"github.com/shelfwise/shelfwise"
)

// TestSessions checks that web sessions end in a purchase exactly when they
// carry purchase events, that the purchase share and the true probabilities
// agree, and that a logistic regression on the observed features recovers
// the true dependence of purchase on them.
func TestSessions(t *testing.T) {
	cfg := small(13)
	cfg.Days = 365
	c, tr := run(t, cfg)
	m := tr.Sessions
	purchases := map[shelfwise.SessionID]int{}
	for _, e := range c.events {
		if e.Type == shelfwise.EventPurchase {
			purchases[e.Session]++
		}
	}
	var x [][]float64
	var y []float64
	var pSum, bought float64
	if len(c.sessions) != len(m.Sessions) || len(c.sessions) < 5000 {
		t.Fatalf("%d sessions, %d truths: want equal and >= 5000", len(c.sessions), len(m.Sessions))
	}
	for i, s := range c.sessions {
		st := m.Sessions[i]
		if st.ID != s.ID || st.Purchased != s.Purchased {
			t.Fatalf("session %d: truth %+v does not match %s", i, st, s.ID)
		}
		if s.Purchased != (purchases[s.ID] > 0) {
			t.Fatalf("session %s purchased=%v with %d purchase events", s.ID, s.Purchased, purchases[s.ID])
		}
		f := s.Features
		bounce := f["bounce_rate"]
		x = append(x, []float64{1, math.Log(f["product_pages"]), math.Log(f["product_duration"]),
			math.Log(bounce / (1 - bounce)), math.Log(f["page_value"])})
		y = append(y, float64(btoi(s.Purchased)))
		pSum += st.P
		bought += y[len(y)-1]
	}
	n := float64(len(y))
	if math.Abs(pSum/n-bought/n) > 0.02 || math.Abs(bought/n-cfg.PurchaseShare) > 0.02 {
		t.Errorf("purchase share %.3f, mean true probability %.3f, configured %.2f", bought/n, pSum/n, cfg.PurchaseShare)
	}
	b, se := fitGLM(t, x, y, true)
	// product_pages is rounded, so its coefficient is only roughly known;
	// duration, bounce rate and page value are exact transforms.
	for j, tol := range []float64{0, 0.5, 4, 4, 4} {
		if j == 0 {
			continue
		}
		if math.Abs(b[j]-m.Coef[j-1]) > tol*se[j]+0.15*math.Abs(m.Coef[j-1])*btof(j == 1) {
			t.Errorf("%s: coefficient %.3f (se %.3f), true %.3f", m.Latent[j-1], b[j], se[j], m.Coef[j-1])
		}
	}
	// the purchase rate rises across page-value quartiles
	idx := make([]int, len(y))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return x[idx[a]][4] < x[idx[b]][4] })
	rate := func(lo, hi int) float64 {
		s := 0.0
		for _, i := range idx[lo:hi] {
			s += y[i]
		}
		return s / float64(hi-lo)
	}
	q := len(idx) / 4
	if lo, hi := rate(0, q), rate(3*q, len(idx)); hi < 2*lo {
		t.Errorf("purchase rate %.3f in the top page-value quartile vs %.3f in the bottom: want a strong rise", hi, lo)
	}
}

func btof(b bool) float64 { return float64(btoi(b)) }

// TestPreferences checks that the true top-10 products of each customer
// predict their later purchases far better than overall popularity, and
// that repeat-bought items come back on their cycle.
func TestPreferences(t *testing.T) {
	cfg := small(17)
	cfg.Days, cfg.Products, cfg.Customers, cfg.MeanUnits = 365, 300, 1500, 0.3
	c, tr := run(t, cfg)
	half := tr.Start.AddDate(0, 0, cfg.Days/2)
	pop := map[shelfwise.SKU]float64{}
	later := map[shelfwise.CustomerKey]map[shelfwise.SKU]bool{}
	times := map[[2]string][]int{}
	for _, l := range c.lines {
		if l.Kind != shelfwise.LineSale || l.Customer == "" {
			continue
		}
		times[[2]string{string(l.Customer), string(l.SKU)}] = append(times[[2]string{string(l.Customer), string(l.SKU)}], tr.DayIndex(l.Time))
		if l.Time.Before(half) {
			pop[l.SKU] += l.Quantity
			continue
		}
		if later[l.Customer] == nil {
			later[l.Customer] = map[shelfwise.SKU]bool{}
		}
		later[l.Customer][l.SKU] = true
	}
	popular := make([]shelfwise.SKU, 0, len(pop))
	for s := range pop {
		popular = append(popular, s)
	}
	sort.Slice(popular, func(i, j int) bool { return pop[popular[i]] > pop[popular[j]] })
	popular = popular[:10]
	var hitTruth, hitPop, users float64
	for cust, bought := range later {
		if len(bought) < 3 {
			continue
		}
		users++
		for _, s := range tr.TopN(cust, 10) {
			hitTruth += btof(bought[s])
		}
		for _, s := range popular {
			hitPop += btof(bought[s])
		}
	}
	if users < 100 || hitTruth < 1.5*hitPop {
		t.Errorf("%.0f customers: true top-10 hits %.0f, popularity top-10 hits %.0f: want the truth far ahead", users, hitTruth, hitPop)
	}
	t.Logf("%.0f customers: precision@10 truth %.3f, popularity %.3f", users, hitTruth/users/10, hitPop/users/10)

	// repeat items: the median gap between purchases is near the cycle.
	var ratios []float64
	for _, ct := range tr.Customers {
		for _, r := range ct.Repeat {
			ds := times[[2]string{string(ct.Key), string(tr.Products[r.Product].SKU)}]
			if len(ds) < 4 {
				continue
			}
			gaps := make([]float64, 0, len(ds))
			for i := 1; i < len(ds); i++ {
				gaps = append(gaps, float64(ds[i]-ds[i-1]))
			}
			sort.Float64s(gaps)
			ratios = append(ratios, gaps[len(gaps)/2]/float64(r.Every))
		}
	}
	sort.Float64s(ratios)
	if len(ratios) < 20 {
		t.Fatalf("only %d repeat items bought 4 times or more", len(ratios))
	}
	if med := ratios[len(ratios)/2]; med < 0.7 || med > 1.3 {
		t.Errorf("median purchase gap / cycle = %.2f over %d repeat items, want about 1", med, len(ratios))
	}
}
