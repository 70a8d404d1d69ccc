package mlp

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

func rng(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 3)) }

// checkGradient compares backprop with central finite differences of the
// summed loss for every parameter.
func checkGradient(t *testing.T, loss Loss, act Activation, dropout bool) {
	t.Helper()
	r := rng(1)
	const n, d = 7, 3
	net, params := newNet(d, []int{5, 4}, act)
	net.Loss, net.TweediePower, net.Alpha = loss, 1.4, 0.3
	net.initWeights(r)
	for i := range params {
		params[i] += 0.1 * r.NormFloat64() // non-zero biases too
	}
	net.Mean, net.Std = make([]float64, d), []float64{1, 1, 1}
	c, _ := Config{Loss: loss, Workers: 2, L2: 0}.withDefaults()
	tr := newTrainer(net, params, c)
	defer tr.close()
	x := make([]float64, n*d)
	y := make([]float64, n)
	w := make([]float64, n)
	for i := range x {
		x[i] = r.NormFloat64()
	}
	for i := range y {
		switch loss {
		case BinaryCrossEntropy:
			y[i] = float64(r.IntN(2))
		case Tweedie:
			y[i] = float64(r.IntN(4))
		default:
			y[i] = r.NormFloat64()
		}
		w[i] = 0.5 + r.Float64()
	}
	rows := []int{0, 1, 2, 3, 4, 5, 6, 2}
	var masks []float64
	if dropout {
		masks = make([]float64, len(rows)*tr.hidden)
		for i := range masks {
			if r.Float64() < 0.7 {
				masks[i] = 1 / 0.7
			}
		}
	}
	tr.gradient(x, y, w, rows, masks)
	analytic := append([]float64(nil), tr.grad...)
	const eps = 1e-6
	for i := range params {
		old := params[i]
		params[i] = old + eps
		lp := tr.gradient(x, y, w, rows, masks)
		params[i] = old - eps
		lm := tr.gradient(x, y, w, rows, masks)
		params[i] = old
		num := (lp - lm) / (2 * eps)
		if diff := math.Abs(num - analytic[i]); diff > 1e-5*(1+math.Abs(num)) {
			t.Fatalf("param %d: backprop %v, finite difference %v", i, analytic[i], num)
		}
	}
}

func TestGradientCheck(t *testing.T) {
	tests := []struct {
		name    string
		loss    Loss
		act     Activation
		dropout bool
	}{
		{"BCE/tanh", BinaryCrossEntropy, Tanh, false},
		{"BCE/sigmoid", BinaryCrossEntropy, Sigmoid, false},
		{"BCE/relu", BinaryCrossEntropy, ReLU, false},
		{"MSE/tanh", MSE, Tanh, false},
		{"Tweedie/tanh", Tweedie, Tanh, false},
		{"Pinball/tanh", Pinball, Tanh, false},
		{"BCE/tanh/dropout", BinaryCrossEntropy, Tanh, true},
		{"MSE/relu/dropout", MSE, ReLU, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkGradient(t, tt.loss, tt.act, tt.dropout) })
	}
}

func TestInputGradient(t *testing.T) {
	r := rng(2)
	net, _ := newNet(4, []int{6}, Tanh)
	net.initWeights(r)
	net.Mean = []float64{1, 2, 3, 4}
	net.Std = []float64{2, 0.5, 1, 3}
	x := []float64{0.3, 1.9, 2.5, 7}
	g := make([]float64, 4)
	net.Gradient(x, g)
	for k := range x {
		xp := append([]float64(nil), x...)
		xm := append([]float64(nil), x...)
		xp[k] += 1e-6
		xm[k] -= 1e-6
		num := (net.Predict(xp) - net.Predict(xm)) / 2e-6
		if math.Abs(num-g[k]) > 1e-6 {
			t.Fatalf("input %d: gradient %v, finite difference %v", k, g[k], num)
		}
	}
}

// xorData: y = 1 when x0 and x1 have the same sign, which no linear model
// can learn.
func xorData(n int, r *rand.Rand) Data {
	d := Data{Cols: 2, X: make([]float64, 2*n), Y: make([]float64, n)}
	for i := range n {
		a, b := r.NormFloat64(), r.NormFloat64()
		d.X[2*i], d.X[2*i+1] = a, b
		if a*b > 0 {
			d.Y[i] = 1
		}
	}
	return d
}

func TestLearnsXOR(t *testing.T) {
	d := xorData(2000, rng(3))
	net, err := Train(context.Background(), d, Config{Hidden: []int{16, 8}, Epochs: 60, LearningRate: 0.01}, rng(4))
	if err != nil {
		t.Fatal(err)
	}
	test := xorData(500, rng(5))
	wrong := 0
	for i := range test.Y {
		if (net.Predict(test.X[2*i:2*i+2]) > 0.5) != (test.Y[i] == 1) {
			wrong++
		}
	}
	if wrong > 25 {
		t.Fatalf("%d of 500 XOR test points wrong", wrong)
	}
}

func TestRegressionRecoversLinear(t *testing.T) {
	// y = 3 x0 - 2 x1 + 1 with SGD, MSE, no hidden nonlinearity needed.
	r := rng(6)
	n := 3000
	d := Data{Cols: 2, X: make([]float64, 2*n), Y: make([]float64, n)}
	for i := range n {
		a, b := r.NormFloat64(), r.NormFloat64()
		d.X[2*i], d.X[2*i+1] = a, b
		d.Y[i] = 3*a - 2*b + 1
	}
	net, err := Train(context.Background(), d, Config{Hidden: []int{8}, Loss: MSE, Optimizer: SGD, LearningRate: 0.01, Epochs: 40, Patience: 5}, rng(7))
	if err != nil {
		t.Fatal(err)
	}
	if got := net.Predict([]float64{1, 1}); math.Abs(got-2) > 0.1 {
		t.Fatalf("f(1,1)=%v, want 2", got)
	}
}

func TestDeterministic(t *testing.T) {
	d := xorData(500, rng(8))
	c := Config{Hidden: []int{8}, Epochs: 3, Dropout: 0.2, Workers: 2}
	a, _ := Train(context.Background(), d, c, rng(9))
	b, _ := Train(context.Background(), d, c, rng(9))
	x := []float64{0.3, -0.4}
	if a.Predict(x) != b.Predict(x) {
		t.Fatal("same seed, different networks")
	}
}

func TestBadInput(t *testing.T) {
	_, err := Train(context.Background(), Data{Cols: 1, X: []float64{math.NaN()}, Y: []float64{1}}, Config{}, rng(1))
	if err == nil {
		t.Fatal("NaN input accepted")
	}
	_, err = Train(context.Background(), Data{Cols: 1, X: []float64{1}, Y: []float64{2}}, Config{}, rng(1))
	if err == nil {
		t.Fatal("label 2 accepted for binary cross-entropy")
	}
}
