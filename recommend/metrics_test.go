package recommend

import (
	"math"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestMetricsHandComputed(t *testing.T) {
	// User 1: ranked [5 1 7 2], relevant {1, 2, 9} with 9 outside the
	// catalogue (|relevant| = 3). Hits at ranks 2 and 4 (1-based).
	// User 2: ranked [3 4], relevant {8}: no hit.
	acc := NewMetricsAccumulator(4, 10, nil)
	acc.Add([]int32{5, 1, 7, 2}, map[int32]bool{1: true, 2: true}, 3)
	acc.Add([]int32{3, 4}, map[int32]bool{8: true}, 1)
	acc.Add([]int32{3, 4}, map[int32]bool{}, 0) // ignored
	m := acc.Result()
	dcg := 1/math.Log2(3) + 1/math.Log2(5)
	idcg := 1 + 1/math.Log2(3) + 1/math.Log2(4)
	tests := []struct {
		name      string
		got, want float64
	}{
		{"Recall", m.Recall, (2.0/3 + 0) / 2},
		{"NDCG", m.NDCG, (dcg/idcg + 0) / 2},
		{"MAP", m.MAP, ((1.0/2 + 2.0/4) / 3) / 2},
		{"HitRate", m.HitRate, 0.5},
		{"Coverage", m.Coverage, 6.0 / 10}, // 5 1 7 2 3 4
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !near(tt.got, tt.want) {
				t.Fatalf("%s=%v, want %v", tt.name, tt.got, tt.want)
			}
		})
	}
	if got, want := m.Users, 2; got != want {
		t.Fatalf("users=%d, want %d", got, want)
	}
	// Per user, in order, the ignored one left out.
	r, n := acc.PerUser()
	if len(r) != 2 || len(n) != 2 || !near(r[0], 2.0/3) || r[1] != 0 || !near(n[0], dcg/idcg) || n[1] != 0 {
		t.Fatalf("per user: recall %v, NDCG %v; want [2/3 0] and [%v 0]", r, n, dcg/idcg)
	}
}

func TestMetricsIdealCappedAtK(t *testing.T) {
	// 20 relevant items, k=2, both hits: NDCG = 1, recall = 2/20, MAP = 1.
	rel := map[int32]bool{}
	for i := int32(0); i < 20; i++ {
		rel[i] = true
	}
	acc := NewMetricsAccumulator(2, 30, nil)
	acc.Add([]int32{0, 1, 2}, rel, 20)
	m := acc.Result()
	if !near(m.NDCG, 1) || !near(m.Recall, 0.1) || !near(m.MAP, 1) {
		t.Fatalf("got %+v", m)
	}
}

func TestTopK(t *testing.T) {
	s := []float64{0.5, 3, math.Inf(-1), 3, 2, math.NaN(), 1}
	got := TopK(s, 4)
	want := []int32{1, 3, 4, 6}
	if len(got) != len(want) {
		t.Fatalf("TopK=%v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("TopK=%v, want %v", got, want)
		}
	}
	if got := TopK([]float64{math.Inf(-1)}, 3); len(got) != 0 {
		t.Fatalf("TopK of excluded = %v, want empty", got)
	}
}
