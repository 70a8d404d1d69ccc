package parallel

import (
	"context"
	"sync/atomic"
	"testing"
)

func TestChunksCoversEachIndexOnce(t *testing.T) {
	for _, n := range []int{0, 1, 999, 1000, 1001, 10007} {
		seen := make([]int32, n)
		if err := Chunks(context.Background(), n, 3, 100, func(lo, hi int) {
			if hi-lo > 100 || lo >= hi {
				t.Errorf("chunk [%d,%d) of n=%d", lo, hi, n)
			}
			for i := lo; i < hi; i++ {
				atomic.AddInt32(&seen[i], 1)
			}
		}); err != nil {
			t.Fatal(err)
		}
		for i, c := range seen {
			if c != 1 {
				t.Fatalf("n=%d: index %d visited %d times", n, i, c)
			}
		}
	}
}

func TestChunksStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var calls atomic.Int32
	err := Chunks(ctx, 1000, 2, 10, func(lo, hi int) { calls.Add(1) })
	if err == nil || calls.Load() != 0 {
		t.Fatalf("err=%v calls=%d, want context error and no calls", err, calls.Load())
	}
}
