// Package gbdt trains and applies histogram gradient-boosted decision trees
// (the LightGBM/XGBoost "hist" approach) in pure Go. Purchase propensity uses
// it with the logistic objective; demand forecasting reuses it with squared
// error, Tweedie and quantile objectives.
//
// # Data
//
// Features live in a column-major float32 [Matrix] (missing values are NaN).
// Categorical features are declared by column index in Params.Categorical;
// their values must be non-negative integer codes (stored as float32), and a
// code never seen in training is routed like a missing value.
//
//	X := gbdt.NewMatrix(rows, cols)
//	X.Set(i, j, v)                       // or gbdt.FromRows([][]float64)
//	m, err := gbdt.Train(ctx, gbdt.Dataset{X: X, Y: y, W: w}, nil, gbdt.Params{
//		Objective:    gbdt.Tweedie,
//		NumTrees:     500,
//		LearningRate: 0.05,
//		MaxDepth:     6,
//		EarlyStoppingRounds: 30, ValidationFraction: 0.1,
//	}, rand.New(rand.NewPCG(1, 2)))
//	yhat := m.Predict(row)               // row []float64, response scale
//	m.PredictBatch(ctx, Xtest, out)       // parallel over rows
//	imp := m.FeatureImportance(gbdt.ImportanceGain)
//	phi := m.Contributions(row)          // TreeSHAP, len = cols+1 (last = bias)
//
// W may be nil (unit weights). Passing a validation Dataset to Train (or
// ValidationFraction > 0) enables early stopping after EarlyStoppingRounds
// rounds without improvement of the objective's own loss on it; the model
// is truncated to its best iteration (Model.BestIteration).
//
// To train several models on the same features (e.g. one per quantile
// level) bin once with [Bin] and call [TrainBinned]; validation sets are
// binned with the training bins by Binned.Apply.
//
// # Objectives and prediction scale
//
//   - Logistic: y in {0,1}; Predict returns a probability, PredictRaw the log-odds.
//   - SquaredError: Predict returns the mean.
//   - Tweedie: y >= 0, log link, Params.TweedieVariancePower in (1,2)
//     (default 1.5); Predict returns the mean exp(raw).
//   - Quantile: pinball loss at Params.Alpha (default 0.5); leaf values are
//     re-fitted to the alpha-quantile of the residuals in each leaf.
//   - LambdaRank: ranks the rows of each query (Dataset.Query, a query's
//     rows consecutive; y >= 0 graded relevance): pairwise logistic loss
//     weighted by each swap's change of NDCG@Params.RankAt (default 10), a
//     query weighing its first row's weight; early stopping on 1 - NDCG.
//     PredictRaw is a score comparable within a query.
//
// # Algorithm
//
// Every feature is pre-binned into at most 255 uint8 bins from quantiles
// (one bin per category for categorical features) plus a missing bin. Trees
// grow depth-wise (default) or leaf-wise (Params.Growth = LeafWise with
// MaxLeaves). Each node's gradient/hessian histogram is built only for the
// smaller child; the larger one is its parent's minus the smaller (the
// subtraction trick). A large node's histogram is summed over at most eight
// row parts, cut by the node's size alone, by a bounded pool of
// runtime.GOMAXPROCS(0) workers (or Params.Workers), and the parts are added
// in order: a model is the same bit for bit on any number of cores. Splits
// learn the direction of missing values; categorical splits order categories
// by gradient ratio (LightGBM style) and send a subset left. Leaves carry L2
// regularisation (Lambda); MinSamplesLeaf, MinHessianLeaf and MinGain limit
// growth; RowSubsample and ColSubsample sample rows and features per tree.
//
// Rows are partitioned per node on a column-major copy of the bins (one
// more byte per value: 100 MB for 1,000,000 x 50 in all). Nodes that cannot
// split further get no histogram. Model.Rounds counts the rounds run before
// early-stopping truncation. On a generated 1,000,000 x 50 problem (255
// bins, depth 6, 100 trees, 2 workers, BenchmarkTrain1Mx50) training takes
// about 30 CPU-seconds including binning, XGBoost 1.7 hist about 35.
//
// Training is deterministic for a given rng seed, whatever the worker count.
// Models serialise with MarshalBinary/UnmarshalBinary inside the ml/modelio
// envelope (version and checksum): a corrupt or truncated model is an error.
package gbdt
