package recommend

import (
	"math"
	"testing"
)

// TestScoreKNNPair: scoring item-kNN and its recency-weighted twin in one
// pass gives each exactly (bit for bit) what its own Score gives, for
// customers with purchases only and with views, carts and returns (items
// bought and not), and the hybrid pairs them only when they share their
// neighbour lists.
func TestScoreKNNPair(t *testing.T) {
	m, _ := testModel(t)
	comps := m.All.Components
	pairs := 0
	for c := range comps {
		a, b := knnPair(comps, c)
		if b == nil {
			continue
		}
		pairs++
		if comps[c].Name != "knn" || comps[c+1].Name != "recent_knn" {
			t.Fatalf("paired %s with %s", comps[c].Name, comps[c+1].Name)
		}
		ni := m.Log.NumItems()
		wantA, wantB := make([]float64, ni), make([]float64, ni)
		gotA, gotB := make([]float64, ni), make([]float64, ni)
		var scratch []weighted
		nonzero := 0
		for u := range m.Log.Histories {
			h := m.Log.Histories[u]
			q := &Query{User: u, History: h, Now: m.Log.End + 86400}
			if u%2 == 1 && len(h) > 0 {
				q.Signals = []Signal{
					{Item: h[0].Item, Kind: KindReturn, Time: h[0].Time + 3600, Qty: 1},
					{Item: int32((u * 7) % ni), Kind: KindView, Time: m.Log.End - 86400, Qty: 1},
					{Item: int32((u * 11) % ni), Kind: KindCart, Time: m.Log.End - 3*86400, Qty: 2},
					{Item: h[len(h)-1].Item, Kind: KindView, Time: m.Log.End, Qty: 1},
				}
			}
			a.Score(&Query{User: q.User, History: q.History, Signals: q.Signals, Now: q.Now}, wantA)
			b.Score(&Query{User: q.User, History: q.History, Signals: q.Signals, Now: q.Now}, wantB)
			scratch = scoreKNNPair(a, b, q, gotA, gotB, scratch)
			for i := range wantA {
				if math.Float64bits(gotA[i]) != math.Float64bits(wantA[i]) || math.Float64bits(gotB[i]) != math.Float64bits(wantB[i]) {
					t.Fatalf("user %d item %d: pair %v %v, alone %v %v", u, i, gotA[i], gotB[i], wantA[i], wantB[i])
				}
				if wantA[i] != wantB[i] {
					nonzero++
				}
			}
		}
		if nonzero == 0 {
			t.Fatal("the two item-kNN scored alike: the comparison is weak")
		}
		other := &ItemKNN{Cfg: b.Cfg, Neighbors: append([][]Neighbor(nil), b.Neighbors...), W: b.W}
		if sharesNeighbors(a, other) {
			t.Fatal("copied neighbour lists count as shared")
		}
	}
	if pairs != 1 {
		t.Fatalf("%d item-kNN pairs in the hybrid, want 1", pairs)
	}
}
