package main

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise"
)

// weeklyStore writes 80 weeks of seasonal unit sales of two SKUs in one
// store to a new store in dir.
func weeklyStore(t *testing.T, dir string) {
	t.Helper()
	ctx := context.Background()
	db, err := openStore(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, err := db.BeginImport(ctx, shelfwise.ImportMeta{Format: "test", Source: "forecast_test"})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) // a Monday
	var ps []shelfwise.SalesPoint
	for k, sku := range []shelfwise.SKU{"A", "B"} {
		for w := range 80 {
			u := float64(20*(k+1)) + 5*math.Sin(2*math.Pi*float64(w)/52) + float64(w%3)
			ps = append(ps, shelfwise.SalesPoint{SKU: sku, Store: "S1", Grain: shelfwise.GrainWeek,
				Date: start.AddDate(0, 0, 7*w), Units: math.Round(u), Available: true})
		}
	}
	if err := tx.AddSalesPoints(ctx, ps); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx, shelfwise.ImportReport{Fingerprint: "forecast-test"}); err != nil {
		t.Fatal(err)
	}
}

func TestForecastCommandStores(t *testing.T) {
	dir := t.TempDir()
	weeklyStore(t, dir)
	lines := filepath.Join(t.TempDir(), "fc.jsonl")
	out, errOut, code := runImportCLI(t, dir, "forecast", "--model", "snaive", "--horizon", "6", "--out", lines)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"forecast 2 week series (level sku,store) for 6 steps from 2025-07-14", "stored as run week-sku+store-", "snaive 2", "wrote JSON lines"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	// Progress: one line per fit, the forecast and two calibration origins.
	for _, want := range []string{"3 fits", "[1/3] snaive, origin 0 steps", "[3/3] snaive, origin 12 steps"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("progress lacks %q:\n%s", want, errOut)
		}
	}
	ctx := context.Background()
	db, err := openStore(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.Forecasts(ctx, shelfwise.ForecastQuery{Grain: shelfwise.GrainWeek, Level: []string{"sku", "store"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Key.SKU != "A" || got[1].Key.SKU != "B" {
		t.Fatalf("stored %d forecasts %+v, want A and B", len(got), got)
	}
	for _, f := range got {
		if len(f.Mean) != 6 || len(f.Quantiles) < len(shelfwise.StandardQuantiles) {
			t.Errorf("%s: %d steps and %d quantiles, want 6 and >= %d", f.Key, len(f.Mean), len(f.Quantiles), len(shelfwise.StandardQuantiles))
		}
		if !f.Origin.Equal(time.Date(2025, 7, 14, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("%s: origin %v, want the week after the last one", f.Key, f.Origin)
		}
	}
	// The JSON lines carry the same forecasts.
	b, err := os.ReadFile(lines)
	if err != nil {
		t.Fatal(err)
	}
	var first shelfwise.Forecast
	if err := json.Unmarshal([]byte(strings.SplitN(string(b), "\n", 2)[0]), &first); err != nil {
		t.Fatal(err)
	}
	if first.Key != got[0].Key || len(first.Mean) != 6 || math.Abs(first.Mean[0]-got[0].Mean[0]) > 1e-9 {
		t.Errorf("JSON line %+v differs from stored %+v", first.Key, got[0].Key)
	}

	// --store=false without --out is refused; with --out - it leaves the
	// stored run alone and prints the lines.
	if _, _, code := runImportCLI(t, dir, "forecast", "--store=false"); code != 2 {
		t.Errorf("--store=false without --out: exit %d, want 2", code)
	}
	out, errOut, code = runImportCLI(t, dir, "forecast", "--model", "naive", "--horizon", "3", "--store=false", "--out", "-")
	if code != 0 || strings.Count(out, "\n") != 2 || !strings.Contains(errOut, "not stored") {
		t.Errorf("--out -: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	again, err := db.Forecasts(ctx, shelfwise.ForecastQuery{Grain: shelfwise.GrainWeek, Level: []string{"store", "sku"}})
	if err != nil || len(again) != 2 || again[0].Model != got[0].Model || len(again[0].Mean) != 6 {
		t.Errorf("after --store=false the stored run changed: %v %+v", err, again)
	}
}

// TestForecastCommandDailyGlobal forecasts a small simulated daily chain
// with the default model: the daily global blend, stored with quantiles and
// components that add up to the mean, never negative.
func TestForecastCommandDailyGlobal(t *testing.T) {
	dir := t.TempDir()
	if _, errOut, code := runImportCLI(t, dir, "simulate", "--preset", "m5", "--stores", "1", "--products", "12", "--days", "420"); code != 0 {
		t.Fatalf("simulate: exit %d: %s", code, errOut)
	}
	out, errOut, code := runImportCLI(t, dir, "forecast", "--grain", "day", "--horizon", "14")
	if code != 0 {
		t.Fatalf("forecast: exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "model gbdt-daily-blend") {
		t.Errorf("progress does not name the daily blend:\n%s", errOut)
	}
	ctx := context.Background()
	db, err := openStore(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.Forecasts(ctx, shelfwise.ForecastQuery{Grain: shelfwise.GrainDay, Level: []string{"sku", "store"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 12 {
		t.Fatalf("stored %d forecasts, want 12\n%s", len(got), out)
	}
	for _, f := range got {
		if len(f.Mean) != 14 || len(f.Quantiles) < len(shelfwise.StandardQuantiles) {
			t.Fatalf("%s: %d steps, %d quantile rows", f.Key, len(f.Mean), len(f.Quantiles))
		}
		if len(f.Components) == 0 {
			t.Fatalf("%s: no components", f.Key)
		}
		for k, m := range f.Mean {
			if m < 0 {
				t.Errorf("%s step %d: mean %v < 0", f.Key, k, m)
			}
			sum := 0.0
			for _, c := range f.Components {
				sum += c[k]
			}
			if math.Abs(sum-m) > 1e-6*math.Max(1, m) {
				t.Errorf("%s step %d: components sum %v, mean %v", f.Key, k, sum, m)
				break
			}
		}
	}
}
