package main

import (
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
	// Four calibration windows: coverage 0.718 / 0.896 measured (one
	// window gave 0.63 / 0.77).
	if c80, c95 := m["coverage_80"].(float64), m["coverage_95"].(float64); c80 < 0.71 || c95 < 0.89 {
		t.Errorf("coverage %.3f / %.3f, want at least 0.71 / 0.89", c80, c95)
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
