package metrics

import (
	"math"
	"math/rand/v2"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

func TestROCAUCHandComputed(t *testing.T) {
	// Positives 0.9, 0.4; negatives 0.8, 0.4, 0.1. Pairs won: 0.9 beats
	// all 3; 0.4 beats 0.1, ties 0.4 (1/2), loses to 0.8: (3 + 1.5) / 6.
	p := []float64{0.9, 0.8, 0.4, 0.4, 0.1}
	y := []bool{true, false, true, false, false}
	if got := ROCAUC(p, y); !near(got, 0.75) {
		t.Fatalf("AUC=%v, want 0.75", got)
	}
	if got := ROCAUC([]float64{1, 2}, []bool{true, true}); !math.IsNaN(got) {
		t.Fatalf("AUC one class = %v, want NaN", got)
	}
}

func TestPRAUCHandComputed(t *testing.T) {
	// Ranked: +, -, +, -: AP = 1/2*(1/1) + 1/2*(2/3) = 5/6.
	p := []float64{0.9, 0.8, 0.7, 0.1}
	y := []bool{true, false, true, false}
	if got := PRAUC(p, y); !near(got, 5.0/6) {
		t.Fatalf("PRAUC=%v, want 5/6", got)
	}
}

func TestLossesAndConfusion(t *testing.T) {
	p := []float64{0.8, 0.3, 0.6, 0.1}
	y := []bool{true, true, false, false}
	wantLL := -(math.Log(0.8) + math.Log(0.3) + math.Log(0.4) + math.Log(0.9)) / 4
	if got := LogLoss(p, y); !near(got, wantLL) {
		t.Fatalf("LogLoss=%v, want %v", got, wantLL)
	}
	if got, want := Brier(p, y), (0.04+0.49+0.36+0.01)/4; !near(got, want) {
		t.Fatalf("Brier=%v, want %v", got, want)
	}
	c := NewConfusion(p, y, 0.5)
	if c != (Confusion{TP: 1, FP: 1, TN: 1, FN: 1}) {
		t.Fatalf("confusion %+v", c)
	}
	if got := c.F1(); !near(got, 0.5) {
		t.Fatalf("F1=%v", got)
	}
	thr, f1 := BestF1Threshold(p, y)
	// Threshold 0.3 predicts 3 positives: TP 2, FP 1: F1 = 4/5.
	if thr != 0.3 || !near(f1, 0.8) {
		t.Fatalf("best F1 threshold %v (F1 %v), want 0.3 (0.8)", thr, f1)
	}
	thr, acc := BestAccuracyThreshold(p, y)
	if !near(acc, 0.75) || (thr != 0.8 && thr != 0.3) {
		t.Fatalf("best accuracy threshold %v (acc %v)", thr, acc)
	}
}

func TestCalibration(t *testing.T) {
	p := []float64{0.05, 0.15, 0.95, 0.91}
	y := []bool{false, true, true, true}
	tab := Calibration(p, y, 2)
	if tab[0].Count != 2 || !near(tab[0].FracPositive, 0.5) || !near(tab[1].MeanScore, 0.93) {
		t.Fatalf("table %+v", tab)
	}
	want := (2*math.Abs(0.1-0.5) + 2*math.Abs(0.93-1)) / 4
	if got := ExpectedCalibrationError(tab); !near(got, want) {
		t.Fatalf("ECE=%v, want %v", got, want)
	}
}

func TestStratifiedKFold(t *testing.T) {
	y := make([]bool, 1003)
	for i := range y {
		y[i] = i%7 == 0
	}
	fold := StratifiedKFold(y, 5, rand.New(rand.NewPCG(1, 2)))
	var pos, all [5]int
	for i, f := range fold {
		all[f]++
		if y[i] {
			pos[f]++
		}
	}
	for f := 1; f < 5; f++ {
		if d := pos[f] - pos[0]; d < -1 || d > 1 {
			t.Fatalf("positives per fold %v", pos)
		}
		if d := all[f] - all[0]; d < -1 || d > 1 {
			t.Fatalf("rows per fold %v", all)
		}
	}
	tr, te := Split(fold, 2)
	if len(tr)+len(te) != len(y) || len(te) != all[2] {
		t.Fatalf("split sizes %d + %d", len(tr), len(te))
	}
}
