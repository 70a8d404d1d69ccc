// Package mlp is a dense multilayer perceptron with one output unit, written
// for speed on small tabular problems: a hand-written per-sample forward and
// backward pass over contiguous float64 weights (which stay in L1 cache),
// no allocation in the training loop, mini-batches split over a bounded pool
// of workers whose gradients are summed in a fixed order (so training is
// deterministic for a seed and worker count).
//
// It covers the seed's purchase predictor (10 -> 64 -> 32 -> 1, ReLU,
// sigmoid output, Adam, binary cross-entropy, batches of 32) and more: any
// stack of ReLU/tanh/sigmoid/linear layers; binary cross-entropy, MSE,
// Tweedie (log link) and pinball losses; Adam or SGD with momentum; L2,
// dropout, positive-class weight; early stopping on a validation split;
// input standardisation stored with the model. Net.Gradient gives the
// gradient of the prediction with respect to the inputs (for integrated
// gradients in ml/explain). Quantize makes an int8 copy for compact, fast
// scoring; Prune zeroes the smallest weights. Models serialise with
// MarshalBinary in the ml/modelio envelope.
package mlp
