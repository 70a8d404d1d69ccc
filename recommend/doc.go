// Package recommend is Shelfwise's recommendation engine: implicit-feedback
// models trained on purchase logs, their temporal evaluation, and the
// in-process API the HTTP server calls.
//
// The evaluation protocol (Evaluate) is the one of issue 5: purchases are
// order lines with a customer, positive quantity and price, not on a "C"
// invoice and with a stock code containing a digit (IsPurchase); the cut is
// the latest purchase minus TestDays x 24 hours; items are the distinct SKUs
// before the cut; test users are the customers who buy in both periods;
// Recall@k, NDCG@k (binary gains), MAP@k and hit rate are averaged over them.
// With Protocol.NewItems the items a customer already bought are removed from
// both the relevant set and the ranking.
//
// Numeric code does no I/O and is deterministic given its seed.
package recommend
