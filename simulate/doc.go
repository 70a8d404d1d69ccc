// Package simulate is a retail-chain simulator with known ground truth.
//
// It builds a chain of stores (optionally with a web shop), a catalogue in a
// Department > Category > Subcategory hierarchy with brands, regular prices
// and costs, and customers with latent preferences (low-rank factors over
// subcategories, a favourite brand, and repeat-bought items with a cycle).
// Daily demand per product x store follows a multiplicative model with trend,
// weekly and yearly seasonality, holidays and events, promotions with a lift,
// and a constant (log-log) price elasticity per product:
//
//	mu = Base * StoreScale * exp(Trend*t/365.25) * Weekly[dow] * Yearly(doy)
//	     * EventLift * (Price/RefPrice)^Elasticity * PromoLift
//
// Demand is drawn negative-binomially around mu, sold from a stock that is
// replenished periodically, so sales are censored on stockout days (marked).
// Sold units become order lines on invoices (baskets) of the customers who
// visit that day, chosen by their preferences; some lines are returned
// later as LineReturn lines with negative quantity. The web shop's invoices
// each come with a browsing session (view, search, cart and purchase events)
// and non-purchasing sessions are mixed in so that the probability of a
// purchase given the session features is a known logistic function.
//
// Run streams everything in batches into any shelfwise.Sink (an import
// transaction, ingest.Memory, or Discard) and returns the Truth: the model
// parameters (so ExpectedDemand, Elasticity, Score/TopN and session
// probabilities can be checked against what models estimate), which
// WriteTruth/ReadTruth persist as JSON beside the store's data. Series
// streams aggregated daily series directly for forecasting benchmarks at M5
// scale (Config.Aggregate).
//
// Output is a pure function of the Config: the world is drawn from one
// seeded generator, and each partition (a store, or a store x product range
// in aggregate mode) has its own generator seeded from (Seed, partition), so
// parallel workers never change the records or their order.
package simulate
