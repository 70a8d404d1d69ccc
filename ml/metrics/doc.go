// Package metrics holds the standard metrics of binary classifiers (ROC-AUC,
// PR-AUC as average precision, accuracy, F1 and its optimal threshold, log
// loss, Brier score, calibration table, confusion matrix), stratified k-fold
// splits and bootstrap intervals of a mean (BootstrapMean: of a metric
// averaged over customers, or of two models' paired differences). Scores
// are probabilities (or any monotone score for the ranking metrics); labels
// are bools. Pure functions, no I/O.
package metrics
