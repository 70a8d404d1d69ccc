// Package linear fits L2-regularised logistic regression by Newton's method
// (iteratively reweighted least squares with a Cholesky solve from gonum):
// the baseline every propensity model must beat, and a well-calibrated
// stacker for ensembles. Inputs are standardised inside; coefficients are
// reported on the standardised scale. Pure numeric, no I/O.
package linear
