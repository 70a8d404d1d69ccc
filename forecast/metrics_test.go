package forecast

import (
	"math"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestScales(t *testing.T) {
	y := []float64{1, 3, 2, 6}
	if got, want := ScaleMAE(y, 1), (2.0+1+4)/3; !near(got, want, 1e-12) {
		t.Fatalf("ScaleMAE=%v, want %v", got, want)
	}
	if got, want := ScaleMSE(y, 1), (4.0+1+16)/3; !near(got, want, 1e-12) {
		t.Fatalf("ScaleMSE=%v, want %v", got, want)
	}
	if got, want := ScaleMAE(y, 2), (1.0+3)/2; !near(got, want, 1e-12) {
		t.Fatalf("ScaleMAE lag 2=%v, want %v", got, want)
	}
	if got := len(TrimLeadingZeros([]float64{0, 0, 1, 0})); got != 2 {
		t.Fatalf("TrimLeadingZeros kept %d, want 2", got)
	}
}

func TestAccumulatorHandComputed(t *testing.T) {
	var a Accumulator
	// Series 1: errors +1, -1 on actuals 10, 10; scale 2.
	a.Add(Scored{Actual: []float64{10, 10}, Mean: []float64{11, 9}, ScaleMAE: 2, ScaleMSE: 4,
		Weights: []float64{1, 5}, Weight: 1,
		Levels:    []float64{0.1, 0.5, 0.9},
		Quantiles: [][]float64{{9, 9.5}, {10, 10}, {12, 9.9}}})
	// Series 2: error +4 on actual 20; scale 1.
	a.Add(Scored{Actual: []float64{20}, Mean: []float64{24}, ScaleMAE: 1, ScaleMSE: 1, Weight: 3})
	m := a.Metrics()
	// MASE: series 1 mean|e|/2 = 0.5; series 2: 4 -> mean 2.25.
	if !near(m.MASE, 2.25, 1e-12) {
		t.Errorf("MASE=%v, want 2.25", m.MASE)
	}
	// WAPE: (1+1+4)/(10+10+20) = 0.15.
	if !near(m.WAPE, 0.15, 1e-12) {
		t.Errorf("WAPE=%v, want 0.15", m.WAPE)
	}
	// WMAE: (1*1 + 5*1 + 1*4)/(1+5+1) = 10/7.
	if !near(m.WMAE, 10.0/7, 1e-12) {
		t.Errorf("WMAE=%v, want %v", m.WMAE, 10.0/7)
	}
	// RMSSE: series 1 sqrt(1/4)=0.5, series 2 sqrt(16/1)=4 -> 2.25;
	// WRMSSE (0.5*1 + 4*3)/4 = 3.125.
	if !near(m.RMSSE, 2.25, 1e-12) || !near(m.WRMSSE, 3.125, 1e-12) {
		t.Errorf("RMSSE=%v WRMSSE=%v, want 2.25 3.125", m.RMSSE, m.WRMSSE)
	}
	// Bias: (1-1+4)/40 = 0.1.
	if !near(m.Bias, 0.1, 1e-12) {
		t.Errorf("Bias=%v, want 0.1", m.Bias)
	}
	// sMAPE: series 1: 200/2*(1/21+1/19); series 2: 200*4/44.
	want := (100*(1.0/21+1.0/19) + 200*4.0/44) / 2
	if !near(m.SMAPE, want, 1e-9) {
		t.Errorf("sMAPE=%v, want %v", m.SMAPE, want)
	}
	// 80% interval [q0.1, q0.9]: step 1 [9,12] holds 10; step 2 [9.5,9.9]
	// misses 10 -> 0.5.
	if !near(m.Coverage80, 0.5, 1e-12) {
		t.Errorf("Coverage80=%v, want 0.5", m.Coverage80)
	}
	// Pinball over 3 levels x 2 steps / scale 2:
	// step1: 0.1*(10-9)=0.1, 0.5*0=0, 0.1*(12-10)=0.2
	// step2: 0.1*(0.5)=0.05, 0, 0.9*(0.1)=0.09 -> 0.44/6/2.
	if !near(m.Pinball, 0.44/6/2, 1e-12) {
		t.Errorf("Pinball=%v, want %v", m.Pinball, 0.44/12)
	}
	if !math.IsNaN(m.Coverage95) {
		t.Errorf("Coverage95=%v, want NaN without 2.5/97.5%% levels", m.Coverage95)
	}
}

func TestQuantileType7(t *testing.T) {
	xs := []float64{4, 1, 3, 2}
	if got := Quantile(xs, 0.5); !near(got, 2.5, 1e-12) {
		t.Fatalf("median=%v, want 2.5", got)
	}
	if got := Quantile(xs, 0.9); !near(got, 3.7, 1e-12) {
		t.Fatalf("q0.9=%v, want 3.7", got)
	}
	if xs[0] != 4 {
		t.Fatal("Quantile modified its input")
	}
}
