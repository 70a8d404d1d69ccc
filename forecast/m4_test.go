package forecast

import (
	"context"
	"testing"
)

// m4Holdout scores method on the last 13 weeks of every M4 Weekly training
// series, fitted on the rest.
func m4Holdout(t testing.TB, ys [][]float64, m Method) Metrics {
	t.Helper()
	series := NewSeries(make([]string, len(ys)), ys)
	r, err := Backtest(context.Background(), Local{Method: m}, series, BacktestOptions{Horizon: 13, Windows: 1})
	if err != nil {
		t.Fatal(err)
	}
	return r.Metrics
}

// TestM4WeeklyHoldout checks the figures R's forecast package gives on the
// same split (naive 2.898, ets 2.526, thetaf 2.684).
func TestM4WeeklyHoldout(t *testing.T) {
	_, ys := loadM4(t)
	if got := m4Holdout(t, ys, Naive{}).MASE; !near(got, 2.8975, 5e-4) {
		t.Errorf("naive MASE %.4f, want 2.8975", got)
	}
	if got := m4Holdout(t, ys, Theta{Period: 1}).MASE; !near(got, 2.684, 2e-3) {
		t.Errorf("theta MASE %.4f, want R's 2.684", got)
	}
	if testing.Short() {
		t.Skip("ETS on all 359 series skipped in -short mode")
	}
	if got := m4Holdout(t, ys, ETS{}).MASE; got > 2.535 {
		t.Errorf("ets MASE %.4f, want about R's 2.526", got)
	}
}

// BenchmarkAutoETSM4Weekly is automatic ETS over R's non-seasonal model
// space (6 models) on all 359 M4 Weekly series, on the worker pool.
func BenchmarkAutoETSM4Weekly(b *testing.B) {
	_, ys := loadM4(b)
	series := NewSeries(make([]string, len(ys)), ys)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := (Local{Method: ETS{}}).Forecast(context.Background(), series, 0, 13); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAutoETSM4WeeklySeasonal adds the 52-week seasonal models.
func BenchmarkAutoETSM4WeeklySeasonal(b *testing.B) {
	_, ys := loadM4(b)
	series := NewSeries(make([]string, len(ys)), ys)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := (Local{Method: ETS{Options: ETSOptions{Period: 52}}}).Forecast(context.Background(), series, 0, 13); err != nil {
			b.Fatal(err)
		}
	}
}
