// Package propensity predicts whether a browsing session ends in a
// purchase. It turns shelfwise.Session records (the UCI Online Shoppers
// layout from ingest's "shoppers" format, the simulator's sessions, or
// sessions summarised from behaviour events by FromEvents) into feature
// tables, trains one of four models — the seed's MLP (10 -> 64 -> 32 -> 1),
// gradient-boosted trees, logistic regression, or an ensemble (trees on the
// raw features, trees on the dense one-hot/log encoding, a regularised MLP
// and logistic regression, their logits averaged with weights chosen on
// held-out training sessions) — picks decision thresholds on data held out
// inside the training set, refits on all of it, scores one session or a
// batch, and explains a score with its top reasons (TreeSHAP for trees,
// integrated gradients for the MLP, exact terms for logistic regression, in
// log-odds that add up to the score) and a model with permutation
// importance. Compression (int8 network, pruning) is measured by
// Model.CompressNet. CrossValidate runs the evaluation protocol of issue 3:
// stratified k-fold, metrics on the pooled out-of-fold predictions, all
// tuning inside the training folds.
//
// The in-process API the HTTP service and the demo call:
//
//	m, err := propensity.Train(ctx, sessions, propensity.Config{Model: propensity.Ensemble, Features: propensity.AllFeatures})
//	p := m.Score(session)                  // probability of purchase
//	ps, err := m.ScoreBatch(ctx, sessions)
//	ex := m.Explain(session, 3)            // probability, decision, top reasons
//	blob, _ := m.MarshalBinary()           // versioned, checksummed
package propensity
