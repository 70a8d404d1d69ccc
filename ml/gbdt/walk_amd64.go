package gbdt

import "unsafe"

// The assembly walks exactly five levels of trees of 32 slots of 8-byte
// nodes (256 bytes of nodes, 256 of values): these fail to compile (a
// negative unsigned constant) if shallowDepth or shallowNode changes.
const (
	_ = -uint(shallowDepth - 5)
	_ = -uint(unsafe.Sizeof(shallowNode{}) - 8)
)

// walkBlock8 is walkBlock8Go in assembly (walk_amd64.s): rows are stride
// bytes apart, n of them; every pointer valid for what it reads.
//
//go:noescape
func walkBlock8(nodes *shallowNode, values *float64, rows *float32, stride uintptr, n int, out *float64)

// walkBlock8Rows adds to each row's out the leaf values of the eight
// padded trees of nodes and values (see walkBlock8Go, which it equals bit
// for bit): the eight chains of a row stay in registers, where the Go
// loop keeps them on the stack between levels.
func walkBlock8Rows(nodes []shallowNode, values []float64, rows []float32, nf int, out []float64) {
	if len(out) == 0 {
		return
	}
	_ = nodes[8*shallowSlots-1]
	_ = values[8*shallowSlots-1]
	_ = rows[len(out)*nf-1]
	walkBlock8(&nodes[0], &values[0], &rows[0], uintptr(nf)*4, len(out), &out[0])
}
