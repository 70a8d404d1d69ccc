// Package recommend is Shelfwise's recommendation engine: implicit-feedback
// models trained on purchase logs, their temporal evaluation, and the
// in-process API the HTTP server calls.
//
// # In-process API (what the server calls)
//
// Train a Model from purchases and the catalogue, wrap it in an Engine and
// serve from the Engine; retrain in the background and Swap:
//
//	ps := recommend.PurchasesFromLines(lines)      // or PurchasesFromBaskets(baskets)
//	xs := append(recommend.ReturnsFromLines(lines), recommend.InteractionsFromEvents(events)...)
//	ss := recommend.SessionsFromEvents(events) // what each browsing session looked at, in order
//	// optional: training reports each stage (validation windows, tuning, reranker, final fit)
//	ctx = recommend.WithProgress(ctx, func(done float64, stage string) { ... })
//	in := recommend.TrainInput{Purchases: ps, Interactions: xs, Sessions: ss, Products: products}
//	m, err := recommend.TrainModel(ctx, in, recommend.DefaultModel)
//	eng := recommend.NewEngine(m)
//	go eng.Warm(ctx) // summarise every customer ahead of their first request
//
//	recs, err := eng.Recommend(ctx, recommend.Request{
//		Customer: key,            // pseudonymised CustomerKey, and/or
//		Session:  sessionID,      // a live session (anonymous visitors too)
//		N:        10,
//		Filter: recommend.Filter{ // business rules, all optional
//			Categories: []string{"Kitchen"}, Around: currentSKU, PriceBand: 0.3,
//			InStock: inStock, NewOnly: true, Repeatable: isConsumable,
//			MaxPerCategory: 3, Promoted: promoted, PromotedShare: 0.2, DedupeVariants: true,
//		},
//	})
//	// recs[i].SKU, .Score, .Reason ("you buy this every ~3 weeks",
//	// "bought with X", "similar to X", "trending in Y", and from live or
//	// recent behaviour "you added this to your cart", "you looked at this",
//	// "similar to X, which you looked at", and in a session "often looked
//	// at after X"), .Source
//
//	eng.Similar(sku, n)          // co-purchase neighbours + latent and category similarity
//	eng.BoughtTogether(sku, n)   // association rules: confidence, support, lift
//	eng.Trending(category, n)    // time-decayed distinct buyers, per category
//	eng.Model().Narrow(list, filter, n) // the same rules on any of these three lists
//	eng.Model().CheckFilter(&filter) // strict: an unknown Around product or kept category is an error
//	// (Recommend and Narrow take a filter as given, as pages may name newer
//	// products: an unknown Around sets no price band, an unknown category keeps nothing)
//	eng.Model().Product(sku)     // the catalogue entry: name, categories
//	eng.Observe(event)           // live view/cart/purchase: fold-in, immediate effect
//	eng.Swap(newModel)           // atomic; running requests finish on the old model (Warm again);
//	                             // a customer's live events up to newModel.TrainedAt are dropped
//	                             // (train it on the stored events too), sessions keep theirs
//
// A trained Model is saved and loaded without retraining:
//
//	m.Data = in.Fingerprint()                    // what it was trained on
//	data, err := m.MarshalBinary()               // modelio envelope, kind "recommend"
//	m2, err := recommend.UnmarshalModel(data)    // recommends exactly as m
//
// The file is versioned and checksummed (ml/modelio): a truncated or
// altered file fails with an error wrapping modelio.ErrCorrupt, never
// loads as a wrong model. Callers compare m2.Data with the Fingerprint of
// the data they hold to decide whether the saved model is stale
// (`shelfwise recommend` keeps DB/models/recommend.swm; the server's
// registry artifact is the same bytes).
//
// Errors: Similar and BoughtTogether return ENOTFOUND for an SKU the model
// does not know; Observe returns EINVALID for an event without a product or
// without customer and session. Recommend never fails for an unknown
// customer: it falls back to trending items (cold start), and a catalogue
// product with no purchases yet is placed by its category (its latent
// vector is its category's mean) until it has interactions.
//
// # Interactions
//
// Purchases are the positive evidence; views, add-to-carts and returns
// (Interaction) adjust it. Strengths gives each customer-item pair one
// implicit-feedback strength: every purchase line counts its time decay x
// (1 + Weights.Quantity x log(1 + units)), carts and views add Cart and
// View x decay (purchase > cart > view), and returned units scale the
// purchase part by 1 - Return x returned/bought (a full return removes it).
// ALS confidence and the item-kNN customer profiles use these strengths; a
// customer with views or carts but no purchases gets a latent vector and a
// profile instead of the cold-start list. Relevance in Evaluate stays
// purchases only.
//
// # Models
//
//   - Repeat purchase (RepeatModel, Summarize, Repeat): the customer's own
//     items with their line counts, recency, share of baskets, buying cycle
//     ("due" when the time since the last purchase matches the customer's
//     own interval) and Poisson rates.
//   - Implicit ALS (ALS): confidence-weighted, time-decayed, solved with a few
//     conjugate-gradient steps per row; FoldIn solves one customer's vector
//     against the item factors for real-time updates.
//   - BPR, item-kNN (cosine on customer or basket co-occurrence, optional
//     recency-weighted profiles), popularity and trending, frequently bought
//     together (FBT), session next-item transitions (SessionModel).
//   - Hybrid: a weighted blend of the repeat features and the normalised
//     component scores, weights learned by coordinate ascent (started from a
//     pairwise logistic fit) on NDCG@k + Recall@k of a validation period
//     carved from the end of the training data; an optional gradient-boosted
//     Reranker re-orders the blend's best Top items (25 or 50, chosen with
//     the blend of the two on validation; the trees learn from the best
//     2 x Top; three models on 80% of rows and features, averaged) and is
//     kept only if it helps on held-out validation
//     customers (cross-fitted on two halves). Its rows
//     add to the blend's features the customer's raw component maxima and
//     item extras: days and baskets since the item was last bought, the
//     signed log ratio of that time to the customer's and the item's typical
//     cycle, and the item's share of the customer's last five baskets; the
//     item's facts across all customers (recent buyers, days since its
//     first and latest sale); and quantity extras: the units of the latest
//     basket with the item against the customer's mean, and whether they
//     should be used up at the customer's earlier pace. Two blends are
//     learned: all items, and new items only (Filter.NewOnly).
//   - Index: a two-level inverted file over item vectors so catalogues of
//     millions of items are served from candidates, not a full scan (the
//     model builds it above ModelConfig.IndexAbove items, 50,000 by
//     default): the best leaves' items, the customer's own items, the
//     neighbours of their recent items, the session and the trending list
//     are the candidates, and only they are scored.
//
// # Serving cost
//
// A request scores the whole catalogue with the blend (below the index
// threshold), then runs the reranker's trees over the blend's best Top
// items that the request's filter allows: items the filter drops are never
// listed, so they skip the trees (a narrow price range or category costs
// fewer trees than no filter). BenchmarkRecommend4k (4,000 items, filters
// and explanations), BenchmarkRecommend1M (a million items through the
// index), BenchmarkRecommendOnlineRetail (the model trained on all of
// Online Retail, reranker included, with a wide and a narrow filter) and
// BenchmarkObserveFoldIn measure it; they report CPU time per request too.
//
// # Evaluation
//
// Evaluate implements the protocol of issue 5: purchases are order lines with
// a customer, positive quantity and price, not on a "C" invoice and with a
// stock code containing a digit (IsPurchase); the cut is the latest purchase
// minus TestDays x 24 hours; items are the distinct SKUs before the cut; test
// users are the customers who buy in both periods; Recall@k, NDCG@k (binary
// gains, ideal over min(k, |relevant|)), MAP@k and hit rate are averaged over
// them, with catalogue coverage and popularity bias. With Protocol.NewItems
// the items a customer already bought are removed from both the relevant set
// and the ranking, and customers left with nothing relevant are skipped.
// EvaluateEach scores several models on one split; each EvalResult also
// holds every test customer's Recall@k, NDCG@k and baskets before the cut
// (UserRecall, UserNDCG, UserBaskets), in the same customer order for all
// of them, so two models compare customer by customer: "eval recommend"
// gives bootstrap intervals of the figures and of the gains over the
// baselines from them (ml/metrics.BootstrapMean), overall and by segment.
//
// Numeric code does no I/O and is deterministic given its seeds; work is
// split over a bounded pool of runtime.GOMAXPROCS(0) workers.
package recommend
