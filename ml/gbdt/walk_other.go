//go:build !amd64

package gbdt

// walkBlock8Rows adds to each row's out the leaf values of the eight
// padded trees of nodes and values: walkBlock8Go, which amd64 runs in
// assembly.
func walkBlock8Rows(nodes []shallowNode, values []float64, rows []float32, nf int, out []float64) {
	walkBlock8Go(nodes, values, rows, nf, out)
}
