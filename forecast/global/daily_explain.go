package global

import (
	"context"
	"math"

	"github.com/shelfwise/shelfwise/forecast"
	"github.com/shelfwise/shelfwise/ml/gbdt"
)

// dailyComponent maps each daily feature to the forecast component its
// effect is reported under.
var dailyComponent = [dailyFeatures]string{
	dfStep: "level", dfDow: "seasonality", dfDom: "seasonality", dfMonth: "seasonality",
	dfEvent: "event", dfToEvent: "event", dfNextEvent: "event", dfSinceEvent: "event",
	dfSnap: "event", dfSinceSnap: "event", dfPriceRel: "price", dfPriceRef: "price",
	dfPromo: "promotion", dfPromoNow: "promotion", dfDept: "level", dfCat: "level", dfStore: "level",
	dfLag1: "level", dfLag2: "level", dfLag3: "level", dfLag7: "level", dfSameDow: "seasonality",
	dfDowMean: "seasonality", dfDowRatio: "seasonality", dfMean7: "level", dfMean28: "level",
	dfMean91: "level", dfMean364: "level", dfSD28: "level", dfZero28: "level", dfSinceSale: "level",
	dfAge: "level", dfYear: "seasonality", dfYearAgo: "seasonality",
}

// dailyEffects are the components besides the level.
var dailyEffects = []string{"seasonality", "event", "price", "promotion"}

// explain fills the components of every prediction from TreeSHAP values on
// the log scale of the Tweedie model: the level is exp(expected score +
// level features' values), and each other component's share of mean-level
// is its log contribution a_g times L (exp(S)-1)/S, with S the sum of the
// a_g: the components add up to the mean exactly, and stay bounded when
// effects cancel (S near 0).
func (d *Daily) explain(ctx context.Context, m *gbdt.Model, X *gbdt.Matrix, preds []forecast.Prediction, h int) error {
	return forecast.ForEach(ctx, len(preds), d.Workers, func(i int) error {
		comps := map[string][]float64{"level": make([]float64, h)}
		for _, g := range dailyEffects {
			comps[g] = make([]float64, h)
		}
		row := make([]float64, X.Cols)
		for k := range h {
			mean := preds[i].Mean[k]
			if mean == 0 {
				continue
			}
			phi := m.Contributions(X.Row(i*h+k, row))
			logLevel := phi[len(phi)-1]
			a := map[string]float64{}
			var s float64
			for f, v := range phi[:len(phi)-1] {
				if g := dailyComponent[f]; g == "level" {
					logLevel += v
				} else {
					a[g] += v
					s += v
				}
			}
			lvl := mean / math.Exp(s) // = exp(logLevel) up to rounding
			factor := 1.0
			if math.Abs(s) > 1e-9 {
				factor = math.Expm1(s) / s
			}
			comps["level"][k] = lvl
			for _, g := range dailyEffects {
				comps[g][k] = lvl * a[g] * factor
			}
		}
		preds[i].Components = comps
		return nil
	})
}
