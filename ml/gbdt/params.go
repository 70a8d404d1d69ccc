package gbdt

import (
	"fmt"
	"math"
)

// Objective is the loss a model minimises; it fixes the prediction scale.
type Objective string

// Objectives.
const (
	// Logistic is binary cross-entropy on the log-odds; y in {0, 1}.
	Logistic Objective = "logistic"
	// SquaredError is least squares.
	SquaredError Objective = "squared_error"
	// Tweedie is the Tweedie deviance with a log link, for non-negative
	// zero-inflated targets such as daily unit sales.
	Tweedie Objective = "tweedie"
	// Quantile is the pinball loss at level Params.Alpha.
	Quantile Objective = "quantile"
	// LambdaRank ranks the rows of each query (Dataset.Query): the
	// pairwise logistic loss of every pair of a query's rows with different
	// targets (graded relevance y >= 0, higher is better), each pair
	// weighted by how much swapping the two would change the query's
	// NDCG@Params.RankAt at the current ranking. Predictions are scores
	// comparable within a query only.
	LambdaRank Objective = "lambdarank"
)

// Growth is the order in which a tree's leaves are split.
type Growth string

// Growth policies.
const (
	// DepthWise splits every leaf of a level before the next (XGBoost).
	DepthWise Growth = "depthwise"
	// LeafWise always splits the leaf with the largest gain (LightGBM),
	// until MaxLeaves leaves.
	LeafWise Growth = "leafwise"
)

// Params configures training. The zero value of a field means its default.
type Params struct {
	Objective Objective // default Logistic
	NumTrees  int       // boosting rounds, default 100
	// LearningRate shrinks each tree, default 0.1.
	LearningRate float64
	// MaxDepth limits depth (root = depth 0), default 6; -1 for no limit
	// (LeafWise only).
	MaxDepth int
	// MaxLeaves limits leaves per tree; default 2^MaxDepth (DepthWise) or
	// 31 (LeafWise).
	MaxLeaves int
	Growth    Growth // default DepthWise
	// MinSamplesLeaf is the fewest training rows in a leaf, default 20.
	MinSamplesLeaf int
	// MinHessianLeaf is the smallest hessian sum in a leaf, default 1e-3.
	MinHessianLeaf float64
	// Lambda is the L2 penalty on leaf values, default 1; set
	// NoLambda to use 0.
	Lambda   float64
	NoLambda bool
	// MinGain is the least loss reduction a split must bring, default 0.
	MinGain float64
	// RowSubsample is the fraction of rows sampled per tree, default 1.
	RowSubsample float64
	// ColSubsample is the fraction of features sampled per tree, default 1.
	ColSubsample float64
	// MaxBins is the number of bins per feature, at most 255 (default).
	MaxBins int
	// Categorical lists the columns holding category codes.
	Categorical []int
	// CatSmooth regularises the gradient ratio that orders categories,
	// default 10; MaxCatOneHot: with at most this many categories every
	// one-vs-rest split is tried instead, default 4.
	CatSmooth    float64
	MaxCatOneHot int
	// TweedieVariancePower is in (1, 2), default 1.5.
	TweedieVariancePower float64
	// Alpha is the quantile level for Quantile, default 0.5.
	Alpha float64
	// RankAt is the NDCG truncation of LambdaRank, default 10.
	RankAt int
	// EarlyStoppingRounds stops after this many rounds without
	// improvement on the validation set (0 = never).
	EarlyStoppingRounds int
	// ValidationFraction, when no validation set is given and early
	// stopping is on, holds out this random fraction of the training rows.
	ValidationFraction float64
	// Workers bounds parallelism, default runtime.GOMAXPROCS(0).
	Workers int
}

// withDefaults returns p with defaults filled in, or an error naming the
// first invalid field.
func (p Params) withDefaults() (Params, error) {
	if p.Objective == "" {
		p.Objective = Logistic
	}
	switch p.Objective {
	case Logistic, SquaredError, Tweedie, Quantile, LambdaRank:
	default:
		return p, fmt.Errorf("gbdt: unknown objective %q", p.Objective)
	}
	if p.Growth == "" {
		p.Growth = DepthWise
	}
	if p.Growth != DepthWise && p.Growth != LeafWise {
		return p, fmt.Errorf("gbdt: unknown growth %q", p.Growth)
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	deff := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	def(&p.NumTrees, 100)
	deff(&p.LearningRate, 0.1)
	def(&p.MaxDepth, 6)
	if p.MaxLeaves == 0 {
		if p.Growth == LeafWise || p.MaxDepth < 0 || p.MaxDepth > 20 {
			p.MaxLeaves = 31
		} else {
			p.MaxLeaves = 1 << p.MaxDepth
		}
	}
	def(&p.MinSamplesLeaf, 20)
	deff(&p.MinHessianLeaf, 1e-3)
	if p.NoLambda {
		p.Lambda = 0
	} else {
		deff(&p.Lambda, 1)
	}
	deff(&p.RowSubsample, 1)
	deff(&p.ColSubsample, 1)
	def(&p.MaxBins, 255)
	deff(&p.CatSmooth, 10)
	def(&p.MaxCatOneHot, 4)
	deff(&p.TweedieVariancePower, 1.5)
	deff(&p.Alpha, 0.5)
	def(&p.RankAt, 10)
	switch {
	case p.NumTrees < 0:
		return p, fmt.Errorf("gbdt: NumTrees %d < 0", p.NumTrees)
	case !(p.LearningRate > 0):
		return p, fmt.Errorf("gbdt: LearningRate %v must be > 0", p.LearningRate)
	case p.MaxLeaves < 2:
		return p, fmt.Errorf("gbdt: MaxLeaves %d < 2", p.MaxLeaves)
	case p.MaxBins < 2 || p.MaxBins > 255:
		return p, fmt.Errorf("gbdt: MaxBins %d not in [2, 255]", p.MaxBins)
	case !(p.RowSubsample > 0 && p.RowSubsample <= 1):
		return p, fmt.Errorf("gbdt: RowSubsample %v not in (0, 1]", p.RowSubsample)
	case !(p.ColSubsample > 0 && p.ColSubsample <= 1):
		return p, fmt.Errorf("gbdt: ColSubsample %v not in (0, 1]", p.ColSubsample)
	case !(p.TweedieVariancePower > 1 && p.TweedieVariancePower < 2):
		return p, fmt.Errorf("gbdt: TweedieVariancePower %v not in (1, 2)", p.TweedieVariancePower)
	case p.RankAt < 1:
		return p, fmt.Errorf("gbdt: RankAt %d < 1", p.RankAt)
	case !(p.Alpha > 0 && p.Alpha < 1):
		return p, fmt.Errorf("gbdt: Alpha %v not in (0, 1)", p.Alpha)
	case p.Lambda < 0 || math.IsNaN(p.Lambda):
		return p, fmt.Errorf("gbdt: Lambda %v < 0", p.Lambda)
	case p.ValidationFraction < 0 || p.ValidationFraction >= 1:
		return p, fmt.Errorf("gbdt: ValidationFraction %v not in [0, 1)", p.ValidationFraction)
	}
	return p, nil
}
