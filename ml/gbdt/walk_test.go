package gbdt

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestWalkBlock8: walkBlock8Rows (assembly on amd64) and walkBlock8Go add
// to each row exactly what a plain walk of the eight padded trees in heap
// order adds, tree after tree: row values drawn from the thresholds
// themselves (so value == threshold, which goes left, happens often),
// padding nodes at +Inf, and leaf values of very different sizes (so
// adding the trees in another order changes the sums).
func TestWalkBlock8(t *testing.T) {
	const S = shallowSlots
	r := rand.New(rand.NewPCG(5, 9))
	ties := 0
	for _, c := range []struct{ nf, rows int }{{1, 1}, {3, 7}, {17, 50}, {64, 3}} {
		nodes := make([]shallowNode, 8*S)
		values := make([]float64, 8*S)
		var thrs []float32
		for i := range nodes {
			if r.IntN(6) == 0 {
				nodes[i] = shallowNode{thr: float32(math.Inf(1))}
				continue
			}
			thr := float32(r.IntN(9) - 4)
			thrs = append(thrs, thr)
			nodes[i] = shallowNode{off: uint32(r.IntN(c.nf)) * 4, thr: thr}
		}
		for i := range values {
			values[i] = r.NormFloat64() * math.Pow(10, float64(r.IntN(33)-16))
		}
		rows := make([]float32, c.rows*c.nf)
		for i := range rows {
			rows[i] = thrs[r.IntN(len(thrs))]
			if r.IntN(4) == 0 {
				rows[i] += float32(r.NormFloat64())
			}
		}
		want := make([]float64, c.rows)
		for k := range want {
			want[k] = r.NormFloat64()
		}
		asm := append([]float64(nil), want...)
		gov := append([]float64(nil), want...)
		for k := range want {
			row := rows[k*c.nf : (k+1)*c.nf]
			for tr := range 8 {
				p := 0
				for range shallowDepth {
					nd := nodes[tr*S+p]
					v := row[nd.off/4]
					if v == nd.thr {
						ties++
					}
					if v > nd.thr {
						p = 2*p + 2
					} else {
						p = 2*p + 1
					}
				}
				want[k] += values[tr*S+p-(S-1)]
			}
		}
		walkBlock8Rows(nodes, values, rows, c.nf, asm)
		walkBlock8Go(nodes, values, rows, c.nf, gov)
		for k := range want {
			if math.Float64bits(asm[k]) != math.Float64bits(want[k]) || math.Float64bits(gov[k]) != math.Float64bits(want[k]) {
				t.Fatalf("nf %d, row %d: walkBlock8Rows %v, walkBlock8Go %v, plain walk %v", c.nf, k, asm[k], gov[k], want[k])
			}
		}
	}
	if ties < 20 {
		t.Fatalf("%d values equal to their threshold on the paths: the test is weak", ties)
	}
	walkBlock8Rows(make([]shallowNode, 8*S), make([]float64, 8*S), nil, 4, nil) // no rows: nothing read
}
