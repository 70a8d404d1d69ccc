package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/forecast"
	"github.com/spf13/cobra"
)

// forecastFlags are the flags of "shelfwise forecast".
type forecastFlags struct {
	grain, level, measure, model, out string
	horizon, period                   int
	allowNegative                     bool
}

// newForecastCmd is "shelfwise forecast": forecast the store's series.
func (m *Main) newForecastCmd() *cobra.Command {
	var fl forecastFlags
	cmd := &cobra.Command{
		Use:   "forecast --horizon H [--grain week] [--level sku,store] [--model auto] [--out FILE]",
		Short: "Forecast the store's series with quantiles and components",
		Long: `forecast reads the series of the store in the data directory (--db) at one
grain and level of the hierarchy, forecasts each --horizon steps with --model
(default auto) and writes one JSON object per series (shelfwise.Forecast:
key, origin, model, mean, quantile levels and values, components) to --out
or standard output. Quantiles are conformal from the last two backtest
windows. Demand forecasts are never negative (--allow-negative for revenue
that can be).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return m.runForecast(cmd.Context(), fl) },
	}
	f := cmd.Flags()
	f.StringVar(&fl.grain, "grain", "week", "grain of the series: day or week")
	f.StringVar(&fl.level, "level", "sku,store", "key fields to group by (sku, store, department, category, subcategory; empty = chain total)")
	f.StringVar(&fl.measure, "measure", "units", "units or revenue")
	f.StringVar(&fl.model, "model", "auto", "model: "+strings.Join(forecastModels, ", "))
	f.StringVar(&fl.out, "out", "", "file for the forecasts as JSON lines (default standard output)")
	f.IntVar(&fl.horizon, "horizon", 0, "forecast horizon in steps (default 13 weekly, 28 daily)")
	f.IntVar(&fl.period, "period", 0, "season length (default 52 weekly, 7 daily)")
	f.BoolVar(&fl.allowNegative, "allow-negative", false, "allow negative forecasts (revenue with returns)")
	return cmd
}

func (m *Main) runForecast(ctx context.Context, fl forecastFlags) error {
	start := time.Now()
	db, err := m.DB(ctx)
	if err != nil {
		return err
	}
	grain := shelfwise.Grain(fl.grain)
	if grain != shelfwise.GrainDay && grain != shelfwise.GrainWeek {
		return shelfwise.Errorf(shelfwise.EINVALID, "--grain must be day or week, got %q", fl.grain)
	}
	var level []string
	if fl.level != "" {
		level = strings.Split(fl.level, ",")
	}
	var series []*shelfwise.Series
	err = db.Series(ctx, shelfwise.SeriesQuery{Grain: grain, Level: level, Measure: fl.measure}, func(s *shelfwise.Series) error {
		series = append(series, s)
		return nil
	})
	if err != nil {
		return err
	}
	if len(series) == 0 {
		return shelfwise.Errorf(shelfwise.ENOTFOUND, "the store has no %s series; import sales first", fl.grain)
	}
	cal, err := db.Calendar(ctx)
	if err != nil {
		return err
	}
	stores, err := db.Stores(ctx)
	if err != nil {
		return err
	}
	d := &dataset{series: series, daily: grain == shelfwise.GrainDay, period: fl.period,
		holidays: map[time.Time]bool{}, stores: map[shelfwise.StoreID]shelfwise.Store{}, revenue: fl.allowNegative,
		explain: true}
	if d.period <= 0 {
		d.period = 52
		if d.daily {
			d.period = 7
		}
	}
	for _, st := range stores {
		d.stores[st.ID] = st
	}
	markHolidays(d, cal)
	h := fl.horizon
	if h <= 0 {
		h = 13
		if d.daily {
			h = 28
		}
	}
	f, err := forecasterFor(fl.model, d)
	if err != nil {
		return err
	}
	fcs, err := forecast.Forecast(ctx, f, series, h, forecast.Options{NonNegative: !fl.allowNegative})
	if err != nil {
		return err
	}
	var w io.Writer = m.Stdout
	if fl.out != "" {
		file, err := os.Create(fl.out)
		if err != nil {
			return fmt.Errorf("create %s: %w", fl.out, err)
		}
		defer file.Close()
		w = file
	}
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	for i := range fcs {
		if err := enc.Encode(&fcs[i]); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if fl.out != "" {
		fmt.Fprintf(m.Stderr, "wrote %d forecasts of %d steps to %s in %.1fs\n", len(fcs), h, fl.out, time.Since(start).Seconds())
	}
	return nil
}
