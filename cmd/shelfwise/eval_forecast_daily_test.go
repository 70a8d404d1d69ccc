package main

import (
	"math"
	"strings"
	"testing"

	"github.com/shelfwise/shelfwise/internal/realdata"
)

// TestEvalForecastDailyM5 runs the daily global blend through eval forecast
// on the M5 subset as the default (auto) model for daily data: its WRMSSE
// must beat the per-series choice's 1.0866 on the same window (it gives
// 0.967), with four calibration windows; weekly data is refused.
func TestEvalForecastDailyM5(t *testing.T) {
	data := realdata.Path(t, "m5_walmart_subset")
	m := runJSON(t, "eval", "forecast", "--format", "m5", "--data", data, "--json")
	if m["model"] != "gbdt-daily-blend" || m["calibration_windows"] != float64(dailyCalibrationWindows) {
		t.Errorf("default daily model %v with %v calibration windows; want gbdt-daily-blend with %d",
			m["model"], m["calibration_windows"], dailyCalibrationWindows)
	}
	// Four calibration windows and the blend's count conformal quantiles
	// (forecast.CountConformal): coverage 0.829 / 0.957, pinball 0.355
	// measured (the default per-step scaled errors gave 0.718 / 0.896,
	// pinball 0.417).
	c80, c95 := m["coverage_80"].(float64), m["coverage_95"].(float64)
	if math.Abs(c80-0.80) > 0.03 || math.Abs(c95-0.95) > 0.03 {
		t.Errorf("coverage %.3f / %.3f, want 0.80 / 0.95 within 0.03", c80, c95)
	}
	if p, ok := m["pinball"].(float64); !ok || p >= 0.40 {
		t.Errorf("pinball %v, want below the default conformal quantiles' 0.417 (and 0.40)", m["pinball"])
	}
	if w, ok := m["wrmsse"].(float64); !ok || w >= 1.0 {
		t.Fatalf("wrmsse %v, want below the auto model's 1.0866 (and 1.0)", m["wrmsse"])
	}
	weekly := realdata.Path(t, "walmart_recruiting_store_sales")
	_, errOut, code := runImportCLI(t, t.TempDir(), "eval", "forecast", "--format", "walmart", "--data", weekly,
		"--model", "gbdt-daily", "--json")
	if code == 0 || !strings.Contains(errOut, "needs daily series") {
		t.Fatalf("weekly data: exit %d, %q; want a refusal naming daily series", code, errOut)
	}
}
