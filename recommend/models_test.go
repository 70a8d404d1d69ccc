package recommend

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise"
	"gonum.org/v1/gonum/floats"
)

var t0 = time.Date(2024, 1, 1, 9, 0, 0, 0, time.UTC)

func sku(i int) shelfwise.SKU          { return shelfwise.SKU(fmt.Sprintf("P%04d", i)) }
func cust(u int) shelfwise.CustomerKey { return shelfwise.CustomerKey(fmt.Sprintf("c%04d", u)) }
func inv(u, d int) shelfwise.InvoiceID { return shelfwise.InvoiceID(fmt.Sprintf("%d-%d", u, d)) }
func day(d float64) time.Time          { return t0.Add(time.Duration(d * 24 * float64(time.Hour))) }
func buy(u, i int, d float64) Purchase {
	return Purchase{cust(u), sku(i), inv(u, int(d)), day(d), 1, 0}
}
func buyIn(u, i, b int, d float64) Purchase {
	return Purchase{cust(u), sku(i), inv(u, b), day(d), 1, 0}
}

// synth simulates a shop with known preferences: customer u belongs to taste
// group u % groups and buys mostly that group's items; each customer also
// re-buys a staple of their group every `cycle` days. It returns the
// purchases and each customer's true preferred item set.
func synth(seed uint64, users, items, groups, days int, cycle float64) ([]Purchase, []map[int]bool) {
	rng := rand.New(rand.NewPCG(seed, 1))
	per := items / groups
	var ps []Purchase
	prefs := make([]map[int]bool, users)
	for u := 0; u < users; u++ {
		g := u % groups
		prefs[u] = map[int]bool{}
		for i := g * per; i < (g+1)*per; i++ {
			prefs[u][i] = true
		}
		staple := g*per + rng.IntN(per)
		for d := rng.Float64() * cycle; d < float64(days); d += cycle {
			ps = append(ps, buy(u, staple, d))
		}
		for d := rng.Float64() * 7; d < float64(days); d += 7 {
			for k := 0; k < 3; k++ {
				i := g*per + rng.IntN(per)
				if rng.Float64() < 0.15 {
					i = rng.IntN(items)
				}
				ps = append(ps, buy(u, i, d+0.01))
			}
		}
	}
	return ps, prefs
}

func TestSummarizeAndRepeat(t *testing.T) {
	// Item 1 in baskets on days 0, 14 and 28 (twice on day 28); item 2 once.
	lg := NewLog([]Purchase{buyIn(0, 1, 0, 0), buyIn(0, 2, 0, 0), buyIn(0, 1, 1, 14), buyIn(0, 1, 2, 28), buyIn(0, 1, 2, 28)})
	sm := Summarize(lg.Histories[0])
	if got, want := sm.Baskets, 3; got != want {
		t.Fatalf("baskets=%d, want %d", got, want)
	}
	var s1 ItemStats
	for _, s := range sm.Items {
		if lg.Items[s.Item] == sku(1) {
			s1 = s
		}
	}
	if s1.Lines != 4 || s1.Baskets != 3 || !near(s1.CycleDays(), 14) {
		t.Fatalf("stats of item 1 = %+v (cycle %v), want 4 lines, 3 baskets, cycle 14", s1, s1.CycleDays())
	}
	// Lines after the first basket: 3, all of item 1 bought before.
	if !near(sm.RepeatRate, 1) {
		t.Fatalf("repeat rate=%v, want 1", sm.RepeatRate)
	}
	due := Repeat(s1, sm, day(28+14).Unix(), 0)
	if !near(due.Due, 1) {
		t.Fatalf("due at one cycle=%v, want 1", due.Due)
	}
	early := Repeat(s1, sm, day(29).Unix(), 0)
	if early.Due >= 0.5 || !near(early.Rec7, math.Exp(-1.0/7)) {
		t.Fatalf("one day after: due=%v rec7=%v", early.Due, early.Rec7)
	}
}

func TestFBTHandComputed(t *testing.T) {
	// Baskets: {1,2} x3, {1,3}, {4}.
	var ps []Purchase
	for b := 0; b < 3; b++ {
		ps = append(ps, buyIn(b, 1, b, 0), buyIn(b, 2, b, 0))
	}
	ps = append(ps, buyIn(3, 1, 3, 0), buyIn(3, 3, 3, 0), buyIn(4, 4, 4, 0))
	lg := NewLog(ps)
	m, err := NewFBT(context.Background(), lg, FBTConfig{MinCount: 1, MinLift: 0, K: 5})
	if err != nil {
		t.Fatal(err)
	}
	rs := m.Rules[lg.Item(sku(1))]
	if len(rs) != 2 || lg.Items[rs[0].Item] != sku(2) {
		t.Fatalf("rules of 1 = %+v, want 2 first", rs)
	}
	r := rs[0]
	if r.Count != 3 || !near(r.Support, 3.0/5) || !near(r.Confidence, 3.0/4) || !near(r.Lift, (3.0/4)/(3.0/5)) {
		t.Fatalf("rule 1->2 = %+v", r)
	}
	// 2 -> 1 always holds: confidence 1, lift 1/(4/5).
	r21 := m.Rules[lg.Item(sku(2))][0]
	if lg.Items[r21.Item] != sku(1) || !near(r21.Confidence, 1) || !near(r21.Lift, 1.25) {
		t.Fatalf("rule 2->1 = %+v", r21)
	}
}

func TestItemKNNCosine(t *testing.T) {
	// Users: {1,2}, {1,2}, {1,3}. cos(1,2) = 2/sqrt(3*2), cos(1,3) = 1/sqrt(3).
	lg := NewLog([]Purchase{buy(0, 1, 0), buy(0, 2, 0), buy(1, 1, 0), buy(1, 2, 0), buy(2, 1, 0), buy(2, 3, 0)})
	m, err := NewItemKNN(context.Background(), lg, KNNConfig{K: 5, Alpha: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	nb := m.Neighbors[lg.Item(sku(1))]
	if len(nb) != 2 || lg.Items[nb[0].Item] != sku(2) {
		t.Fatalf("neighbours of 1 = %+v", nb)
	}
	if math.Abs(float64(nb[0].Sim)-2/math.Sqrt(6)) > 1e-6 || math.Abs(float64(nb[1].Sim)-1/math.Sqrt(3)) > 1e-6 {
		t.Fatalf("similarities %v %v", nb[0].Sim, nb[1].Sim)
	}
	out := make([]float64, lg.NumItems())
	m.Score(&Query{User: 2, History: lg.Histories[2]}, out)
	// Customer 2 owns 1 and 3: item 2 gets cos(1,2) + cos(3,2)=0.
	if got := out[lg.Item(sku(2))]; math.Abs(got-2/math.Sqrt(6)) > 1e-6 {
		t.Fatalf("score of 2 = %v", got)
	}
}

// TestALSRecoversLowRank plants a rank-2 preference matrix (two taste
// groups, each customer having bought 70% of their group's items) and checks
// that ALS ranks every unbought in-group item above every out-group item.
func TestALSRecoversLowRank(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	const users, items = 60, 40
	var ps []Purchase
	for u := 0; u < users; u++ {
		g := u % 2
		for i := g * 20; i < (g+1)*20; i++ {
			if rng.Float64() < 0.7 {
				ps = append(ps, buy(u, i, 0))
			}
		}
	}
	lg := NewLog(ps)
	a, err := NewALS(context.Background(), lg, ALSConfig{Factors: 2, Iterations: 10, Reg: 1, Alpha: 5, Eps: 1, CGSteps: 4, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float64, lg.NumItems())
	for u := 0; u < lg.NumUsers(); u++ {
		a.Score(&Query{User: u, History: lg.Histories[u]}, out)
		own := map[int32]bool{}
		for _, e := range lg.Histories[u] {
			own[e.Item] = true
		}
		g := u // keys c0000.. sort in creation order
		minIn, maxOut := math.Inf(1), math.Inf(-1)
		for i := range out {
			var n int
			fmt.Sscanf(string(lg.Items[i]), "P%d", &n)
			switch {
			case n/20 == g%2 && !own[int32(i)]:
				minIn = min(minIn, out[i])
			case n/20 != g%2:
				maxOut = max(maxOut, out[i])
			}
		}
		if minIn != math.Inf(1) && minIn <= maxOut {
			t.Fatalf("customer %d: unbought in-group min %v <= out-group max %v", u, minIn, maxOut)
		}
	}
	// Fold-in of a known customer's history reproduces the trained vector's
	// ranking of the top item.
	q := &Query{User: 0, History: lg.Histories[0], Changed: true}
	v := a.FoldIn(q.History, 0)
	if c := cosine(v, a.U[:a.Factors()]); c < 0.95 {
		t.Fatalf("fold-in vs trained cosine = %v, want > 0.95", c)
	}
}

func TestBPRLearnsGroups(t *testing.T) {
	ps, prefs := synth(5, 90, 300, 3, 120, 14)
	lg := NewLog(ps)
	m, err := NewBPR(context.Background(), lg, BPRConfig{Factors: 8, Epochs: 30, Rate: 0.05, Reg: 0.01, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if p := truePrecision(lg, m, prefs, 10); p < 0.8 {
		t.Fatalf("BPR precision@10 against true preferences = %v, want >= 0.8", p)
	}
}

// truePrecision is the share of each customer's top-k (own items excluded)
// that lies in their true taste group.
func truePrecision(lg *Log, sc Scorer, prefs []map[int]bool, k int) float64 {
	out := make([]float64, lg.NumItems())
	hits, total := 0, 0
	for u := 0; u < lg.NumUsers(); u++ {
		var id int
		fmt.Sscanf(string(lg.Users[u]), "c%d", &id)
		sc.Score(&Query{User: u, History: lg.Histories[u], Now: lg.End}, out)
		for _, e := range lg.Histories[u] {
			out[e.Item] = math.Inf(-1)
		}
		for _, it := range TopK(out, k) {
			var n int
			fmt.Sscanf(string(lg.Items[it]), "P%d", &n)
			if prefs[id][n] {
				hits++
			}
			total++
		}
	}
	return float64(hits) / float64(max(1, total))
}

// TestALSScoreSameBits checks that ALS.Score's scores are the float32 dot
// products of a fresh float32 copy of the user's factors, bit for bit,
// for a catalogue whose size puts a buffer's tail off the 16-byte
// alignment: the vectorised dot product sums in an order that depends on
// where the vector starts, so scoring from a user vector placed inside a
// shared buffer once changed the evaluation's figures in their last
// digits.
func TestALSScoreSameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	const users, items = 50, 42 // 42 x 4 bytes = 8 mod 16
	var ps []Purchase
	for u := 0; u < users; u++ {
		for i := 0; i < items; i++ {
			if rng.Float64() < 0.3 {
				ps = append(ps, buy(u, i, 0))
			}
		}
	}
	lg := NewLog(ps)
	if lg.NumItems() != items {
		t.Fatalf("%d items, want %d", lg.NumItems(), items)
	}
	a, err := NewALS(context.Background(), lg, ALSConfig{Factors: 24, Iterations: 3, Reg: 1, Alpha: 5, Eps: 1, CGSteps: 3, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float64, items)
	want := make([]float32, items)
	for u := 0; u < users; u++ {
		q := &Query{User: u, History: lg.Histories[u]}
		a.Score(q, out)
		matVec32(toFloat32(a.V), toFloat32(a.UserVector(q)), want)
		for i, w := range want {
			if out[i] != float64(w) {
				t.Fatalf("user %d item %d: score %v, want %v", u, i, out[i], float64(w))
			}
		}
	}
}

// TestPositiveMax: the four-way maximum (positiveMaxGo) and positiveMax
// (sixteen lanes in assembly on amd64 with AVX) are the one-by-one loop's,
// for every length up to 41 (the tails after the last full groups of four
// and sixteen included), with NaN, infinities, negative scores and zeros
// of both signs anywhere, and normalizeMax divides by it.
func TestPositiveMax(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	special := []float64{math.NaN(), math.Inf(1), math.Inf(-1), -3, math.Copysign(0, -1), 0}
	for n := 0; n <= 41; n++ {
		for trial := 0; trial < 50; trial++ {
			s := make([]float64, n)
			for i := range s {
				s[i] = rng.NormFloat64()
				if rng.IntN(5) == 0 {
					s[i] = special[rng.IntN(len(special))]
				}
				if trial%3 == 0 {
					s[i] = -math.Abs(s[i]) // all below zero: the answer is 0
				}
			}
			want := 0.0
			for _, v := range s {
				if v > want {
					want = v
				}
			}
			got, gov := positiveMax(s), positiveMaxGo(s)
			if math.Float64bits(got) != math.Float64bits(want) || math.Float64bits(gov) != math.Float64bits(want) {
				t.Fatalf("n=%d %v: positiveMax %v, positiveMaxGo %v, want %v", n, s, got, gov, want)
			}
			if want > 0 && !math.IsInf(want, 1) {
				c := append([]float64(nil), s...)
				if m := normalizeMax(c); m != want {
					t.Fatalf("normalizeMax returned %v, want %v", m, want)
				}
				for i := range c {
					if w := s[i] * (1 / want); math.Float64bits(c[i]) != math.Float64bits(w) {
						t.Fatalf("normalizeMax: item %d %v -> %v, want %v", i, s[i], c[i], w)
					}
				}
			}
		}
	}
}

// TestAddNormalized: adding a component's normalised scores to the blend
// in one pass (scaleAdd, in assembly on amd64 with AVX) leaves the scores
// and the blend bit for bit as normalizeMax and then floats.AddScaled do,
// for lengths up to 41 and a catalogue's 3,620 (tails after the last group
// of four included), weights of both signs and 0, and scores with NaN,
// infinities, negatives and zeros of both signs.
func TestAddNormalized(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	special := []float64{math.NaN(), math.Inf(1), math.Inf(-1), -3, math.Copysign(0, -1), 0, 1e-310}
	lengths := []int{3620}
	for n := 0; n <= 41; n++ {
		lengths = append(lengths, n)
	}
	fused := 0
	for _, n := range lengths {
		for trial := range 40 {
			s := make([]float64, n)
			out := make([]float64, n+trial%2) // the blend may be longer
			for i := range s {
				s[i] = rng.ExpFloat64() * math.Pow(10, float64(rng.IntN(9)-4))
				if rng.IntN(7) == 0 {
					s[i] = special[rng.IntN(len(special))]
				}
			}
			for i := range out {
				out[i] = rng.NormFloat64()
			}
			w := []float64{0, 0.37, -1.9, 1e-3}[trial%4]
			ws, wo := append([]float64(nil), s...), append([]float64(nil), out...)
			wm := normalizeMax(ws)
			if w != 0 {
				floats.AddScaled(wo[:n], w, ws)
			}
			gs, gout := append([]float64(nil), s...), append([]float64(nil), out...)
			gm := addNormalized(gout, gs, w)
			if math.Float64bits(gm) != math.Float64bits(wm) {
				t.Fatalf("n=%d: maximum %v, want %v", n, gm, wm)
			}
			for i := range gs {
				if math.Float64bits(gs[i]) != math.Float64bits(ws[i]) {
					t.Fatalf("n=%d w=%v: score %d %v -> %v, want %v", n, w, i, s[i], gs[i], ws[i])
				}
			}
			for i := range gout {
				if math.Float64bits(gout[i]) != math.Float64bits(wo[i]) {
					t.Fatalf("n=%d w=%v: blend %d %v, want %v", n, w, i, gout[i], wo[i])
				}
			}
			if wm > 0 && w != 0 && n >= 4 {
				fused++
			}
		}
	}
	if fused < 500 {
		t.Fatalf("only %d cases took the one-pass path", fused)
	}
}
