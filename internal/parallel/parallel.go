// Package parallel runs data-parallel loops on a bounded pool of goroutines.
package parallel

import (
	"context"
	"runtime"
	"sync"
)

// Chunks calls fn on contiguous chunks [lo, hi) of [0, n), each at most
// chunk long, on at most workers goroutines (GOMAXPROCS when workers <= 0).
// It checks ctx between chunks and returns ctx's error, if any.
func Chunks(ctx context.Context, n, workers, chunk int, fn func(lo, hi int)) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	nc := (n + chunk - 1) / chunk
	next := make(chan int, nc)
	for c := 0; c < nc; c++ {
		next <- c
	}
	close(next)
	var wg sync.WaitGroup
	for range min(workers, nc) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range next {
				if ctx.Err() != nil {
					return
				}
				fn(c*chunk, min(n, (c+1)*chunk))
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}
