package recommend

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// topKReference is TopK by sorting every eligible score.
func topKReference(scores []float64, k int) []int32 {
	var idx []int32
	for i, s := range scores {
		if !math.IsInf(s, -1) && s == s {
			idx = append(idx, int32(i))
		}
	}
	slices.SortStableFunc(idx, func(a, b int32) int {
		switch {
		case scores[a] > scores[b]:
			return -1
		case scores[a] < scores[b]:
			return 1
		}
		return 0
	})
	return idx[:min(k, len(idx))]
}

// TestTopKMatchesSort: TopK equals a full sort (higher score first, ties
// to the lower index, no -Inf or NaN) on scores in random, increasing and
// decreasing order, with many ties and excluded items, for k from 1 to
// beyond n: the buffer is pruned many times in the increasing orders. The
// same for topKWhere with a predicate that refuses a third of the items.
func TestTopKMatchesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	checked := 0
	for _, n := range []int{1, 7, 100, 3000} {
		for _, order := range []string{"random", "increasing", "decreasing"} {
			s := make([]float64, n)
			for i := range s {
				switch r := rng.IntN(20); {
				case r == 0:
					s[i] = math.Inf(-1)
				case r == 1:
					s[i] = math.NaN()
				case r == 2:
					s[i] = math.Inf(1)
				case r < 10:
					s[i] = float64(rng.IntN(5)) // ties
				default:
					s[i] = rng.NormFloat64()
				}
			}
			switch order {
			case "increasing":
				slices.SortFunc(s, func(a, b float64) int { return compareScores(a, b) })
			case "decreasing":
				slices.SortFunc(s, func(a, b float64) int { return -compareScores(a, b) })
			}
			for _, k := range []int{1, 2, 5, 10, smallK, smallK + 1, 50, 80, n - 1, n, n + 3} {
				if k <= 0 {
					continue
				}
				got, want := TopK(s, k), topKReference(s, k)
				if !slices.Equal(got, want) {
					t.Fatalf("n %d, %s, k %d: TopK %v, want %v", n, order, k, got[:min(10, len(got))], want[:min(10, len(want))])
				}
				// topKWhere equals TopK of the scores with the items the
				// predicate refuses set to -Inf (here every third item).
				masked := slices.Clone(s)
				for i := range masked {
					if i%3 == 1 {
						masked[i] = math.Inf(-1)
					}
				}
				got, want = topKWhere(s, k, func(i int32) bool { return i%3 != 1 }), topKReference(masked, k)
				if !slices.Equal(got, want) {
					t.Fatalf("n %d, %s, k %d: topKWhere %v, want %v", n, order, k, got[:min(10, len(got))], want[:min(10, len(want))])
				}
				checked++
			}
		}
	}
	if checked < 50 {
		t.Fatalf("only %d cases", checked)
	}
}

// compareScores orders scores with NaN first (anywhere is fine: TopK skips
// them).
func compareScores(a, b float64) int {
	switch {
	case a != a && b != b:
		return 0
	case a != a:
		return -1
	case b != b:
		return 1
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// BenchmarkTopK: the sizes the tuning (a customer's few hundred
// candidates, k = 10) and serving (the catalogue, k = 50) ask for, on
// scores in random order and with an upward trend along the index (as
// blend scores have: newer items, with higher indexes, trend more).
func BenchmarkTopK(b *testing.B) {
	for _, c := range []struct{ n, k int }{{400, 10}, {3620, 50}} {
		for _, trend := range []float64{0, 3} {
			rng := rand.New(rand.NewPCG(7, 8))
			s := make([]float64, c.n)
			for i := range s {
				s[i] = rng.NormFloat64() + trend*float64(i)/float64(c.n)
			}
			b.Run(fmt.Sprintf("n%d/k%d/trend%g", c.n, c.k, trend), func(b *testing.B) {
				for b.Loop() {
					TopK(s, c.k)
				}
			})
		}
	}
}

// TestTopKFloor: with a floor taken as the k-th best score of a random set
// of distinct items (as Hybrid.rerankTop takes it), topKFloor returns
// TopK's answer, on scores with many ties (also at the floor itself),
// NaN, -Inf and +Inf; and the floor must really skip items (else the test
// would not tell a floor from none).
func TestTopKFloor(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 7))
	skipped := 0
	for trial := range 400 {
		n := 20 + rng.IntN(400)
		scores := make([]float64, n)
		for i := range scores {
			scores[i] = float64(rng.IntN(30)) // ties
			switch r := rng.Float64(); {
			case r < 0.03:
				scores[i] = math.NaN()
			case r < 0.06:
				scores[i] = math.Inf(-1)
			case r < 0.07:
				scores[i] = math.Inf(1)
			}
		}
		k := smallK + 1 + rng.IntN(40)
		set := rng.Perm(n)[:min(n, k+rng.IntN(n))]
		var vals []float64
		for _, i := range set {
			if v := scores[i]; v > math.Inf(-1) {
				vals = append(vals, v)
			}
		}
		floor := math.Inf(-1)
		if len(vals) >= k {
			slices.Sort(vals)
			floor = vals[len(vals)-k]
		}
		want := TopK(scores, k)
		got, _ := topKFloor(nil, nil, scores, k, nil, floor)
		if !slices.Equal(got, want) {
			t.Fatalf("trial %d (n %d, k %d, floor %v): %v, want %v", trial, n, k, floor, got, want)
		}
		for _, s := range scores {
			if s < floor {
				skipped++
			}
		}
	}
	if skipped == 0 {
		t.Fatal("no floor ever skipped a score")
	}
}

// TestTopKSampleFloor: on long lists topKFloor scans with the floor
// sampleFloor guesses when enough allowed scores reach it, and scans again
// without it when too few do; both give the full sort's answer. The
// adversarial lists put high scores on exactly the sampled places, so the
// guess is too high and only the second scan can be right.
func TestTopKSampleFloor(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 5))
	kept, redone := 0, 0
	for trial := range 60 {
		k := 20 + rng.IntN(60)
		n := 32*k + rng.IntN(4000)
		stride := sampleStride(k)
		s := make([]float64, n)
		for i := range s {
			s[i] = rng.NormFloat64()
			if trial%2 == 1 && i%stride == 0 {
				s[i] = 100 + rng.NormFloat64() // only the sample is high
			}
			if rng.IntN(10) == 0 {
				s[i] = float64(rng.IntN(3)) // ties
			}
		}
		allow := func(i int32) bool { return i%5 != 2 }
		masked := slices.Clone(s)
		for i := range masked {
			if !allow(int32(i)) {
				masked[i] = math.Inf(-1)
			}
		}
		g := sampleFloor(s, k, allow)
		if math.IsInf(g, -1) {
			t.Fatalf("trial %d: no guess for n %d, k %d", trial, n, k)
		}
		reach := 0
		for _, v := range masked {
			if v >= g {
				reach++
			}
		}
		if reach >= k {
			kept++
		} else {
			redone++
		}
		got, _ := topKFloor(nil, nil, s, k, allow, math.Inf(-1))
		if want := topKReference(masked, k); !slices.Equal(got, want) {
			t.Fatalf("trial %d (n %d, k %d, guess %v reached by %d): %v, want %v", trial, n, k, g, reach, got, want)
		}
	}
	if kept < 20 || redone < 20 {
		t.Fatalf("guess kept %d times, scanned again %d times: both paths must run", kept, redone)
	}
}
