package recommend

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// synthTuningTable is the all-items tuning table of two 14-day validation
// windows on simulated purchases, with the log and configuration it came
// from.
func synthTuningTable(t *testing.T) (*Log, HybridConfig, *tuningTable) {
	t.Helper()
	ps, _ := synth(5, 60, 90, 3, 100, 10)
	lg := NewLog(ps)
	cfg := DefaultHybrid
	cfg.ValidationDays, cfg.ValidationWindows = 14, 2
	cfg.ALS.Iterations, cfg.ALS.Factors = 2, 4
	cfg = cfg.withDefaults()
	tables, err := tuningTables(context.Background(), lg, cfg, []bool{false}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tables[0] == nil {
		t.Fatal("no tuning table")
	}
	return lg, cfg, tables[0]
}

// TestSparseAscentMatchesDense: scoring a weight change through the
// sparse support (sparseAscent) or the shifted scores (topKShifted) gives
// the same top k and the same objective, bit for bit, as rescoring whole
// candidate lists (several changes scored together, objectiveDeltas, as
// each alone), for every feature, several changes and weights, and after
// accepted steps of sparse and dense features (refreshSparse).
func TestSparseAscentMatchesDense(t *testing.T) {
	_, _, tb := synthTuningTable(t)
	rng := rand.New(rand.NewPCG(9, 10))
	sparseCases, denseCases, steps := 0, 0, 0
	for trial := range 3 {
		w := make([]float64, tb.nFeat)
		for f := range w {
			w[f] = rng.NormFloat64()
			if trial == 0 {
				w[f] = float64(rng.IntN(3)) // many ties
			}
		}
		cur := tb.scoresFor(w)
		sp := tb.sparseAscents(cur)
		if sp == nil {
			t.Fatal("no sparse ascent")
		}
		for round := range 4 {
			for f := range tb.nFeat {
				for _, d := range []float64{-1, -0.3, 0.01, 0.5, 3} {
					got := tb.objectiveDelta(cur, sp, f, d)
					want := tb.objectiveDelta(cur, nil, f, d)
					if math.Float64bits(got) != math.Float64bits(want) {
						t.Fatalf("trial %d round %d feature %d delta %v: sparse %v, dense %v", trial, round, f, d, got, want)
					}
					for i := range tb.users {
						tu := &tb.users[i]
						b := slices.Clone(cur[i])
						for ci, x := range tu.col(f) {
							b[ci] += d * float64(x)
						}
						wt := TopK(b, tb.k)
						if g := topKShifted(cur[i], tu.col(f), d, tb.k); !slices.Equal(g, wt) {
							t.Fatalf("user %d feature %d delta %v: shifted top %v, TopK %v", i, f, d, g, wt)
						}
						if !sp[i].sparse(f) {
							denseCases++
							continue
						}
						sparseCases++
						if g := sp[i].top(cur[i], tu.col(f), d, tb.k); !slices.Equal(g, wt) {
							t.Fatalf("user %d feature %d delta %v: sparse top %v, TopK %v", i, f, d, g, wt)
						}
					}
				}
			}
			// All of a feature's changes scored together, each as alone.
			f := rng.IntN(tb.nFeat)
			ds := []float64{-1, 0.01, 0.01, 2, -0.3}
			for k, got := range tb.objectiveDeltas(cur, sp, f, ds) {
				if want := tb.objectiveDelta(cur, sp, f, ds[k]); math.Float64bits(got) != math.Float64bits(want) {
					t.Fatalf("feature %d delta %v: %v together, %v alone", f, ds[k], got, want)
				}
			}
			// An accepted step, alternately of a sparse and a dense feature
			// for the first customer.
			f = rng.IntN(tb.nFeat)
			for sp[0].sparse(f) != (round%2 == 0) {
				f = rng.IntN(tb.nFeat)
			}
			d := rng.NormFloat64()
			for i := range tb.users {
				for ci, x := range tb.users[i].col(f) {
					cur[i][ci] += d * float64(x)
				}
			}
			tb.refreshSparse(sp, cur, f)
			steps++
		}
	}
	if sparseCases < 1000 || denseCases < 1000 {
		t.Fatalf("%d sparse and %d dense cases: the comparison is weak", sparseCases, denseCases)
	}
	t.Logf("%d sparse and %d dense cases, %d steps", sparseCases, denseCases, steps)
}

// TestRankNetSameOnAnyCores: the pairwise logistic fit spreads its pairs
// over the cores but sums them in pair order, so one core and four give
// the same weights bit for bit; the fit is not trivial (some weight is
// neither 0 nor ±1 after rescaling).
func TestRankNetSameOnAnyCores(t *testing.T) {
	_, _, tb := synthTuningTable(t)
	active := make([]bool, tb.nFeat)
	for f := range active {
		active[f] = true
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	one := tb.rankNet(active)
	runtime.GOMAXPROCS(4)
	four := tb.rankNet(active)
	inner := 0
	for f := range one {
		if math.Float64bits(one[f]) != math.Float64bits(four[f]) {
			t.Fatalf("feature %d: %v on one core, %v on four", f, one[f], four[f])
		}
		if a := math.Abs(one[f]); a > 0 && a < 1 {
			inner++
		}
	}
	if inner == 0 {
		t.Fatalf("weights %v: a trivial fit", one)
	}
}

// TestPairLossGradient checks rankNet's gradient against central
// differences of its loss at random weights, on random pairs.
func TestPairLossGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const nf, pairs = 7, 5000
	diffs := make([]float32, nf*pairs)
	for k := range diffs {
		diffs[k] = float32(rng.NormFloat64())
	}
	weights := make([]float64, pairs)
	for p := range weights {
		weights[p] = rng.Float64() / pairs
	}
	pl := newPairLoss(diffs, weights, nf)
	for range 3 {
		w := make([]float64, nf)
		for f := range w {
			w[f] = rng.NormFloat64()
		}
		g := make([]float64, nf)
		pl.grad(g, w)
		for f := range w {
			const h = 1e-5
			wp, wm := slices.Clone(w), slices.Clone(w)
			wp[f] += h
			wm[f] -= h
			num := (pl.loss(wp) - pl.loss(wm)) / (2 * h)
			if math.Abs(num-g[f]) > 1e-6*math.Max(1, math.Abs(num)) {
				t.Fatalf("feature %d: gradient %v, central difference %v", f, g[f], num)
			}
		}
	}
}

// TestTopKShiftedTies: topKShifted gives TopK's answer on the shifted
// list when many shifted scores tie (ties to the lower index) and some
// are -Inf (never returned).
func TestTopKShiftedTies(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := range 500 {
		n := 1 + rng.IntN(60)
		s := make([]float64, n)
		col := make([]float32, n)
		for i := range s {
			s[i] = float64(rng.IntN(4))
			if rng.IntN(10) == 0 {
				s[i] = math.Inf(-1)
			}
			col[i] = float32(rng.IntN(3))
		}
		delta := float64(rng.IntN(3)) - 1
		k := 1 + rng.IntN(smallK)
		b := make([]float64, n)
		for i := range b {
			b[i] = s[i] + delta*float64(col[i])
		}
		if got, want := topKShifted(s, col, delta, k), TopK(b, k); !slices.Equal(got, want) {
			t.Fatalf("trial %d: topKShifted %v, TopK %v (scores %v)", trial, got, want, b)
		}
	}
}
