package gbdt

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/shelfwise/shelfwise/ml/modelio"
)

func rng(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 7)) }

// stepData: y = 3 if x0 > 0.5 else -1, plus an irrelevant feature.
func stepData(n int, r *rand.Rand) (*Matrix, []float64) {
	X := NewMatrix(n, 2)
	y := make([]float64, n)
	for i := range n {
		x0 := (float64(r.IntN(100)) + 0.5) / 100 // 100 distinct values: exact bins
		X.Set(i, 0, x0)
		X.Set(i, 1, r.Float64())
		y[i] = -1
		if x0 > 0.5 {
			y[i] = 3
		}
	}
	return X, y
}

func TestStepFunction(t *testing.T) {
	X, y := stepData(2000, rng(1))
	m, err := Train(context.Background(), Dataset{X: X, Y: y}, nil,
		Params{Objective: SquaredError, NumTrees: 1, LearningRate: 1, MaxDepth: 1, NoLambda: true}, rng(2))
	if err != nil {
		t.Fatal(err)
	}
	nd := m.Trees[0].Nodes[0]
	if nd.Feature != 0 || math.Abs(float64(nd.Threshold)-0.5) > 0.01 {
		t.Fatalf("root split feature %d at %v, want feature 0 at 0.5", nd.Feature, nd.Threshold)
	}
	for _, c := range []struct{ x, want float64 }{{0.1, -1}, {0.49, -1}, {0.51, 3}, {0.99, 3}} {
		if got := m.Predict([]float64{c.x, 0.3}); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("Predict(%v)=%v, want %v", c.x, got, c.want)
		}
	}
	imp := m.FeatureImportance(ImportanceGain)
	if imp[0] != 1 || imp[1] != 0 {
		t.Fatalf("importance %v, want [1 0]", imp)
	}
}

func TestLogisticSeparable(t *testing.T) {
	r := rng(3)
	n := 1000
	X := NewMatrix(n, 3)
	y := make([]float64, n)
	for i := range n {
		a, b := r.NormFloat64(), r.NormFloat64()
		X.Set(i, 0, a)
		X.Set(i, 1, b)
		X.Set(i, 2, r.NormFloat64())
		if a+b > 0 {
			y[i] = 1
		}
	}
	m, err := Train(context.Background(), Dataset{X: X, Y: y}, nil, Params{NumTrees: 200, MaxDepth: 3}, rng(4))
	if err != nil {
		t.Fatal(err)
	}
	wrong := 0
	for i := range n {
		p := m.Predict(X.Row(i, nil))
		if (p > 0.5) != (y[i] == 1) {
			wrong++
		}
	}
	if wrong > n/50 {
		t.Fatalf("%d of %d training rows misclassified", wrong, n)
	}
	if p := m.Predict([]float64{2, 2, 0}); p < 0.95 {
		t.Fatalf("P(y=1 | far positive) = %v", p)
	}
}

func TestMissingValuesLearnDirection(t *testing.T) {
	// Missing x behaves like large x: y = 1 when x > 0 or x missing.
	r := rng(5)
	n := 3000
	X := NewMatrix(n, 1)
	y := make([]float64, n)
	for i := range n {
		x := (float64(r.IntN(200))+0.5)/100 - 1
		switch {
		case i%4 == 0:
			X.Data[i] = NaN32
			y[i] = 1
		case x > 0:
			X.Set(i, 0, x)
			y[i] = 1
		default:
			X.Set(i, 0, x)
		}
	}
	m, err := Train(context.Background(), Dataset{X: X, Y: y}, nil,
		Params{Objective: SquaredError, NumTrees: 1, LearningRate: 1, MaxDepth: 1, NoLambda: true}, rng(6))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Predict([]float64{math.NaN()}); math.Abs(got-1) > 1e-9 {
		t.Fatalf("Predict(NaN)=%v, want 1", got)
	}
	if got := m.Predict([]float64{-0.5}); math.Abs(got) > 1e-9 {
		t.Fatalf("Predict(-0.5)=%v, want 0", got)
	}
}

func TestCategoricalSubset(t *testing.T) {
	// Categories {2, 5, 7, 11} have mean 10, the other six mean 0: one
	// categorical split must separate them exactly.
	r := rng(8)
	n := 5000
	X := NewMatrix(n, 1)
	y := make([]float64, n)
	high := map[int]bool{2: true, 5: true, 7: true, 11: true}
	codes := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 11}
	for i := range n {
		c := codes[r.IntN(len(codes))]
		X.Set(i, 0, float64(c))
		if high[c] {
			y[i] = 10
		}
	}
	m, err := Train(context.Background(), Dataset{X: X, Y: y}, nil,
		Params{Objective: SquaredError, NumTrees: 1, LearningRate: 1, MaxDepth: 1, NoLambda: true, Categorical: []int{0}}, rng(9))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range codes {
		want := 0.0
		if high[c] {
			want = 10
		}
		if got := m.Predict([]float64{float64(c)}); math.Abs(got-want) > 1e-9 {
			t.Errorf("category %d: %v, want %v", c, got, want)
		}
	}
	// An unseen category goes where missing values went (no missing in
	// training: right), never panics.
	_ = m.Predict([]float64{99})
}

func TestQuantileObjective(t *testing.T) {
	// y ~ Uniform(0, 10*x): the 0.9-quantile is 9x.
	r := rng(10)
	n := 20000
	X := NewMatrix(n, 1)
	y := make([]float64, n)
	for i := range n {
		x := 0.1 + 0.9*r.Float64()
		X.Set(i, 0, x)
		y[i] = 10 * x * r.Float64()
	}
	m, err := Train(context.Background(), Dataset{X: X, Y: y}, nil,
		Params{Objective: Quantile, Alpha: 0.9, NumTrees: 100, MaxDepth: 3, LearningRate: 0.2}, rng(11))
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []float64{0.2, 0.5, 0.9} {
		if got, want := m.Predict([]float64{x}), 9*x; math.Abs(got-want) > 0.08*want+0.1 {
			t.Errorf("q0.9 at x=%v: %v, want %v", x, got, want)
		}
	}
}

func TestTweedieRecoversMean(t *testing.T) {
	// Poisson counts with mean exp(0.5 + x): Tweedie (log link) recovers it.
	r := rng(12)
	n := 20000
	X := NewMatrix(n, 1)
	y := make([]float64, n)
	for i := range n {
		x := r.Float64()*2 - 1
		X.Set(i, 0, x)
		y[i] = poisson(r, math.Exp(0.5+x))
	}
	m, err := Train(context.Background(), Dataset{X: X, Y: y}, nil,
		Params{Objective: Tweedie, NumTrees: 200, MaxDepth: 3, LearningRate: 0.1}, rng(13))
	if err != nil {
		t.Fatal(err)
	}
	// Average the prediction over a window: single points carry noise.
	for _, x := range []float64{-0.8, 0, 0.8} {
		var got, want float64
		for k := -10; k <= 10; k++ {
			xx := x + float64(k)/100
			got += m.Predict([]float64{xx}) / 21
			want += math.Exp(0.5+xx) / 21
		}
		if math.Abs(got-want) > 0.06*want {
			t.Errorf("mean around x=%v: %v, want %v", x, got, want)
		}
	}
}

func poisson(r *rand.Rand, lambda float64) float64 {
	l, k, p := math.Exp(-lambda), 0.0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

func TestEarlyStopping(t *testing.T) {
	// Pure noise: validation loss stops improving almost at once.
	r := rng(14)
	n := 2000
	X := NewMatrix(n, 5)
	y := make([]float64, n)
	for i := range n {
		for j := range 5 {
			X.Set(i, j, r.Float64())
		}
		y[i] = r.NormFloat64()
	}
	m, err := Train(context.Background(), Dataset{X: X, Y: y}, nil,
		Params{Objective: SquaredError, NumTrees: 500, EarlyStoppingRounds: 10, ValidationFraction: 0.3}, rng(15))
	if err != nil {
		t.Fatal(err)
	}
	if m.NumTrees() >= 100 || m.BestIteration != m.NumTrees() {
		t.Fatalf("kept %d trees (best %d) on noise, want early stop", m.NumTrees(), m.BestIteration)
	}
}

func TestDeterministicAndSubsampling(t *testing.T) {
	X, y := stepData(3000, rng(16))
	p := Params{Objective: SquaredError, NumTrees: 20, RowSubsample: 0.7, ColSubsample: 0.5, Growth: LeafWise, MaxLeaves: 8, MaxDepth: -1}
	a, err := Train(context.Background(), Dataset{X: X, Y: y}, nil, p, rng(17))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Train(context.Background(), Dataset{X: X, Y: y}, nil, p, rng(17))
	row := []float64{0.7, 0.2}
	if a.Predict(row) != b.Predict(row) {
		t.Fatal("same seed, different models")
	}
	for _, tr := range a.Trees {
		leaves := 0
		for _, nd := range tr.Nodes {
			if nd.Left < 0 {
				leaves++
			}
		}
		if leaves > 8 {
			t.Fatalf("tree with %d leaves, MaxLeaves 8", leaves)
		}
	}
}

func TestModelIndependentOfWorkers(t *testing.T) {
	// Large nodes are summed in parts fixed by their size, so the model is
	// the same bit for bit whatever the worker count (a machine's cores).
	r := rng(18)
	n := 90000
	X := NewMatrix(n, 4)
	y := make([]float64, n)
	for i := range n {
		for j := range 4 {
			X.Set(i, j, r.NormFloat64())
		}
		y[i] = X.At(i, 0)*2 + X.At(i, 1)*X.At(i, 2) + 0.1*r.NormFloat64()
	}
	var want []byte
	for _, workers := range []int{1, 2, 3, 8} {
		p := Params{Objective: SquaredError, NumTrees: 5, RowSubsample: 0.8, Workers: workers}
		m, err := Train(context.Background(), Dataset{X: X, Y: y}, nil, p, rng(19))
		if err != nil {
			t.Fatal(err)
		}
		got, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if want == nil {
			want = got
			continue
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%d workers: model differs from the 1-worker model", workers)
		}
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	r := rng(20)
	n := 2000
	X := NewMatrix(n, 3)
	y := make([]float64, n)
	for i := range n {
		X.Set(i, 0, r.Float64())
		X.Set(i, 1, float64(r.IntN(6)))
		if i%7 == 0 {
			X.Set(i, 2, math.NaN())
		} else {
			X.Set(i, 2, r.NormFloat64())
		}
		if X.At(i, 0)+0.3*X.At(i, 1) > 1 {
			y[i] = 1
		}
	}
	m, err := Train(context.Background(), Dataset{X: X, Y: y}, nil, Params{NumTrees: 30, Categorical: []int{1}}, r)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := m.MarshalBinary()
	var m2 Model
	if err := m2.UnmarshalBinary(data); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200; i++ {
		row := X.Row(i, nil)
		if a, b := m.Predict(row), m2.Predict(row); a != b {
			t.Fatalf("row %d: %v before, %v after round trip", i, a, b)
		}
	}
	t.Run("OneSmallTree", func(t *testing.T) {
		// The last tree's node count is checked against the bytes left.
		one, err := Train(context.Background(), Dataset{X: X, Y: y}, nil, Params{NumTrees: 1, MaxDepth: 1}, rng(21))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := one.MarshalBinary()
		var back Model
		if err := back.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("Truncated", func(t *testing.T) {
		err := m2.UnmarshalBinary(data[:len(data)/2])
		if !errors.Is(err, modelio.ErrCorrupt) || !strings.Contains(err.Error(), "truncated") {
			t.Fatalf("err=%v", err)
		}
	})
	t.Run("Corrupt", func(t *testing.T) {
		bad := append([]byte(nil), data...)
		bad[len(bad)/2] ^= 1
		if err := m2.UnmarshalBinary(bad); !errors.Is(err, modelio.ErrCorrupt) {
			t.Fatalf("err=%v", err)
		}
	})
}

func TestBadInput(t *testing.T) {
	X := NewMatrix(3, 1)
	tests := []struct {
		name string
		y    []float64
		p    Params
		msg  string
	}{
		{"LogisticLabel", []float64{0, 1, 2}, Params{}, "want 0 or 1"},
		{"TweedieNegative", []float64{0, -1, 2}, Params{Objective: Tweedie}, "negative"},
		{"Length", []float64{0, 1}, Params{}, "2 targets for 3 rows"},
		{"NaN", []float64{0, math.NaN(), 1}, Params{}, "NaN"},
		{"Bins", []float64{0, 1, 1}, Params{MaxBins: 300}, "MaxBins"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Train(context.Background(), Dataset{X: X, Y: tt.y}, nil, tt.p, rng(1))
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err=%v, want %q", err, tt.msg)
			}
		})
	}
}

// TestBinWith: BinWith applies Train's binning defaults (255 bins when
// MaxBins is 0) and takes MaxBins and Categorical from the parameters.
func TestBinWith(t *testing.T) {
	X, _ := stepData(500, rng(3))
	ctx := context.Background()
	got, err := BinWith(ctx, X, Params{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := Bin(ctx, X, 255, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatal("BinWith with default parameters differs from Bin with 255 bins")
	}
	got, err = BinWith(ctx, X, Params{MaxBins: 8})
	if err != nil {
		t.Fatal(err)
	}
	if want, _ = Bin(ctx, X, 8, nil, 0); !reflect.DeepEqual(got, want) {
		t.Fatal("BinWith ignores MaxBins")
	}
	if _, err := BinWith(ctx, X, Params{MaxBins: 300}); err == nil {
		t.Fatal("MaxBins 300 accepted")
	}
}
