package main

import (
	"context"
	"strings"
	"testing"

	"github.com/shelfwise/shelfwise/internal/realdata"
)

// TestEvalForecastPricedAuto checks the default model on priced weekly
// series (Dominick's orange juice): auto picks, on the window before each
// origin, between the global blend and the per-series choice with price and
// promotion regression; here it lands on the regression (chosen for some
// series) and is more accurate than ETS without prices on the same windows.
// Walmart's revenue series carry no prices, so they keep the global blend.
func TestEvalForecastPricedAuto(t *testing.T) {
	data := realdata.Path(t, "dominicks_oj_bayesm")
	run := func(model string) map[string]any {
		t.Helper()
		return runJSON(t, "eval", "forecast", "--format", "dominicks-bayesm", "--data", data,
			"--horizon", "8", "--windows", "3", "--model", model, "--json")
	}
	auto, ets := run("auto"), run("ets")
	if a, e := auto["mase"].(float64), ets["mase"].(float64); !(a < 0.95*e) {
		t.Errorf("MASE auto %.4f, ets %.4f; want auto at least 5%% lower", a, e)
	}
	withX := 0.0
	for name, n := range auto["chosen"].(map[string]any) {
		if strings.HasSuffix(name, "+x") {
			withX += n.(float64)
		}
	}
	if withX == 0 {
		t.Errorf("auto chose no regression model: %v", auto["chosen"])
	}

	d, err := loadForecastData(context.Background(), "walmart", realdata.Path(t, "walmart_recruiting_store_sales"), 0, false)
	if err != nil {
		t.Fatal(err)
	}
	if hasPrices(d.series) {
		t.Error("walmart series carry prices; auto would leave the global blend")
	}
}
