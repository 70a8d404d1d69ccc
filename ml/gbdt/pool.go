package gbdt

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
)

// numWorkers resolves a worker count: n if positive, else GOMAXPROCS.
func numWorkers(n int) int {
	if n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}

// parallelFor calls fn(i) for i in [0, n) on at most workers goroutines,
// handing out indices one at a time. It stops early when ctx is done.
func parallelFor(ctx context.Context, n, workers int, fn func(i int)) error {
	w := min(numWorkers(workers), n)
	if w <= 1 {
		for i := 0; i < n; i++ {
			if i%64 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			fn(i)
		}
		return ctx.Err()
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}

// parallelChunks splits [0, n) into at most workers contiguous chunks of at
// least minChunk and calls fn(worker, lo, hi) for each, concurrently.
func parallelChunks(n, workers, minChunk int, fn func(w, lo, hi int)) {
	w := min(numWorkers(workers), max(1, n/max(1, minChunk)))
	if w <= 1 {
		fn(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	for k := range w {
		lo, hi := k*n/w, (k+1)*n/w
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(k, lo, hi)
		}()
	}
	wg.Wait()
}
