package gbdt

import (
	"context"
	"math"
	"strings"
	"testing"
)

// TestLambdaGradientCheck compares lambdaGradients with central finite
// differences of lambdaLoss (gradient) and of the gradient itself (the
// hessian's diagonal) at distinct scores, where the ranking and so the
// pair weights stay fixed under the small steps.
func TestLambdaGradientCheck(t *testing.T) {
	r := rng(21)
	var y, w []float64
	var groups [][2]int
	for q := range 6 {
		lo := len(y)
		n := 3 + r.IntN(8)
		for range n {
			y = append(y, float64(r.IntN(3))) // graded 0, 1, 2
			w = append(w, 0.5+float64(q))
		}
		groups = append(groups, [2]int{lo, lo + n})
	}
	f := make([]float64, len(y))
	for i := range f {
		f[i] = 2 * r.NormFloat64()
	}
	for _, k := range []int{3, 10} {
		p := &Params{Objective: LambdaRank, RankAt: k}
		gh := make([]gpair, len(y))
		lambdaGradients(p, y, w, f, gh, groups)
		const eps = 1e-6
		nonzero := 0
		for i := range f {
			f0 := f[i]
			f[i] = f0 + eps
			up := lambdaLoss(p, y, w, f, groups)
			ghUp := make([]gpair, len(y))
			lambdaGradients(p, y, w, f, ghUp, groups)
			f[i] = f0 - eps
			down := lambdaLoss(p, y, w, f, groups)
			ghDown := make([]gpair, len(y))
			lambdaGradients(p, y, w, f, ghDown, groups)
			f[i] = f0
			num := (up - down) / (2 * eps)
			if math.Abs(num-gh[i].G) > 1e-6*(1+math.Abs(num)) {
				t.Fatalf("k=%d row %d: gradient %v, finite difference %v", k, i, gh[i].G, num)
			}
			hnum := (ghUp[i].G - ghDown[i].G) / (2 * eps)
			if math.Abs(hnum-gh[i].H) > 1e-5*(1+math.Abs(hnum)) && !(hnum == 0 && gh[i].H == 1e-16) {
				t.Fatalf("k=%d row %d: hessian %v, finite difference %v", k, i, gh[i].H, hnum)
			}
			if gh[i].G != 0 {
				nonzero++
			}
		}
		if nonzero < len(y)/2 {
			t.Fatalf("k=%d: only %d of %d rows have a gradient", k, nonzero, len(y))
		}
	}
}

// TestMeanNDCGByHand checks meanNDCG on two hand-computed queries.
func TestMeanNDCGByHand(t *testing.T) {
	// Query 1: relevances (1, 0, 1) scored (0.1, 0.9, 0.5): ranked rows 1, 2,
	// 0 -> DCG = 1/log2(3) + 1/log2(4); ideal = 1 + 1/log2(3).
	// Query 2: no relevant row: skipped.
	y := []float64{1, 0, 1, 0, 0}
	f := []float64{0.1, 0.9, 0.5, 1, 2}
	groups := [][2]int{{0, 3}, {3, 5}}
	want := (1/math.Log2(3) + 0.5) / (1 + 1/math.Log2(3))
	if got := meanNDCG(y, nil, f, groups, 10); math.Abs(got-want) > 1e-12 {
		t.Fatalf("NDCG %v, want %v", got, want)
	}
	// At k = 1 the top row (row 1) is not relevant.
	if got := meanNDCG(y, nil, f, groups, 1); got != 0 {
		t.Fatalf("NDCG@1 %v, want 0", got)
	}
}

// TestLambdaRankLearnsOrder plants a relevance that depends on one feature
// within each query (and a query-level offset on another feature that
// must not matter): the trees must rank held-out queries far better than
// the noise feature does.
func TestLambdaRankLearnsOrder(t *testing.T) {
	r := rng(22)
	const queries, per = 300, 20
	build := func() (*Matrix, []float64, []int32) {
		X := NewMatrix(queries*per, 3)
		y := make([]float64, queries*per)
		q := make([]int32, queries*per)
		for g := range queries {
			off := r.Float64() * 5
			for k := range per {
				i := g*per + k
				x0 := r.Float64()
				X.Set(i, 0, x0)
				X.Set(i, 1, off)
				X.Set(i, 2, r.Float64())
				if x0 > 0.8 {
					y[i] = 2
				} else if x0 > 0.6 {
					y[i] = 1
				}
				q[i] = int32(g)
			}
		}
		return X, y, q
	}
	X, y, q := build()
	m, err := Train(context.Background(), Dataset{X: X, Y: y, Query: q}, nil,
		Params{Objective: LambdaRank, NumTrees: 50, MaxDepth: 3, EarlyStoppingRounds: 10, ValidationFraction: 0.2}, rng(23))
	if err != nil {
		t.Fatal(err)
	}
	Xt, yt, qt := build()
	f := make([]float64, Xt.Rows)
	noise := make([]float64, Xt.Rows)
	row := make([]float64, 3)
	for i := range f {
		for j := range row {
			row[j] = Xt.At(i, j)
		}
		f[i] = m.PredictRaw(row)
		noise[i] = row[2]
	}
	groups := queryRanges(qt)
	got, base := meanNDCG(yt, nil, f, groups, 5), meanNDCG(yt, nil, noise, groups, 5)
	if got < 0.97 || base > 0.7 {
		t.Fatalf("NDCG@5 of the trees %.3f (want >= 0.97), of noise %.3f", got, base)
	}
}

// TestLambdaRankBadQueries rejects missing and scattered query ids and
// negative relevance.
func TestLambdaRankBadQueries(t *testing.T) {
	X := NewMatrix(4, 1)
	p := Params{Objective: LambdaRank}
	for _, tt := range []struct {
		name string
		y    []float64
		q    []int32
		msg  string
	}{
		{"Missing", []float64{0, 1, 0, 1}, nil, "0 query ids for 4 rows"},
		{"Scattered", []float64{0, 1, 0, 1}, []int32{1, 2, 1, 2}, "not consecutive"},
		{"Negative", []float64{0, -1, 0, 1}, []int32{1, 1, 2, 2}, "negative"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Train(context.Background(), Dataset{X: X, Y: tt.y, Query: tt.q}, nil, p, rng(1))
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err=%v, want %q", err, tt.msg)
			}
		})
	}
}

// TestInitScores gives each row an offset the features cannot see: with
// the offsets as initial scores the trees fit only the rest (a step in x0),
// and their predictions leave the offsets out.
func TestInitScores(t *testing.T) {
	X, y := stepData(2000, rng(24))
	r := rng(25)
	init := make([]float64, len(y))
	yo := make([]float64, len(y))
	for i := range y {
		init[i] = 10 * r.NormFloat64()
		yo[i] = y[i] + init[i]
	}
	p := Params{Objective: SquaredError, NumTrees: 20, LearningRate: 0.5, MaxDepth: 1}
	m, err := Train(context.Background(), Dataset{X: X, Y: yo, Init: init}, nil, p, rng(26))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ x, want float64 }{{0.2, -1}, {0.8, 3}} {
		if got := m.Predict([]float64{c.x, 0.5}); math.Abs(got-c.want) > 0.05 {
			t.Errorf("Predict(%v) = %v, want %v", c.x, got, c.want)
		}
	}
	if _, err := Train(context.Background(), Dataset{X: X, Y: yo, Init: init[:5]}, nil, p, rng(26)); err == nil || !strings.Contains(err.Error(), "5 initial scores") {
		t.Fatalf("err = %v, want a length error", err)
	}
}
