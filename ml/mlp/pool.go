package mlp

import (
	"context"
	"runtime"
	"sync"
)

// parallelChunks calls fn on contiguous chunks of [0, n) on at most
// workers goroutines (GOMAXPROCS when workers <= 0), checking ctx between
// chunks.
func parallelChunks(ctx context.Context, n, workers int, fn func(lo, hi int)) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	const chunk = 4096
	nc := (n + chunk - 1) / chunk
	w := min(workers, nc)
	var wg sync.WaitGroup
	next := make(chan int, nc)
	for c := 0; c < nc; c++ {
		next <- c
	}
	close(next)
	for range w {
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
