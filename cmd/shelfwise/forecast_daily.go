package main

import (
	"context"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/forecast"
	"github.com/shelfwise/shelfwise/forecast/global"
)

// dailyStoreForecaster is the auto model of "shelfwise forecast" on daily
// product x store series: the daily global model (Tweedie trees over lags,
// calendar and events, SNAP-like days, prices, promotions and the product
// hierarchy) blended with the per-series local choice, as eval forecast uses
// on M5. Future days keep the last known price, no promotion. With explain,
// each forecast carries its level, seasonality, event, price and promotion
// components.
func dailyStoreForecaster(ctx context.Context, db shelfwise.DB, d *dataset, cal []shelfwise.CalendarEvent, explain bool) (forecast.Forecaster, error) {
	prods, err := db.Products(ctx)
	if err != nil {
		return nil, err
	}
	g := global.Daily{Calendar: global.NewDailyCalendar(cal), Stores: d.stores, Seed: 1, Explain: explain,
		Products: make(map[shelfwise.SKU]shelfwise.Product, len(prods))}
	for _, p := range prods {
		g.Products[p.SKU] = p
	}
	return &global.DailyBlend{Global: g}, nil
}

// useDailyGlobal tells whether "shelfwise forecast" runs the daily global
// blend: the auto model on daily series keyed by product and store.
func useDailyGlobal(fl forecastFlags, d *dataset, level []string) bool {
	if fl.model != "auto" || !d.daily || len(level) != 2 {
		return false
	}
	has := map[string]bool{}
	for _, l := range level {
		has[l] = true
	}
	return has["sku"] && has["store"]
}
