// Package explain holds model-agnostic explanations: permutation importance
// (how much a metric drops when one feature's column is shuffled) and
// integrated gradients (per-prediction attributions for differentiable
// models such as ml/mlp). Tree-specific TreeSHAP lives in ml/gbdt, next to
// the trees. Pure numeric, no I/O.
package explain
