package forecast

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
)

// ForEach calls fn(i) for every i in [0, n) on a bounded pool of workers
// (runtime.GOMAXPROCS(0) when workers <= 0). It stops handing out work at
// the first error or when ctx is cancelled and returns that error. Series
// are independent partitions, so this is how every model runs across them.
// A panic in fn becomes the error (with its stack), so one bad series fails
// the forecast instead of the process (a server's training job).
func ForEach(ctx context.Context, n, workers int, fn func(i int) error) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, n)
	var next atomic.Int64
	var once sync.Once
	var firstErr error
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := ctx.Err(); err != nil {
					once.Do(func() { firstErr = err })
					stop.Store(true)
					return
				}
				if err := call(fn, i); err != nil {
					once.Do(func() { firstErr = err })
					stop.Store(true)
					return
				}
			}
		}()
	}
	wg.Wait()
	return firstErr
}

// call runs fn(i), turning a panic into an error.
func call(fn func(i int) error, i int) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("forecast: panic at item %d: %v\n%s", i, p, debug.Stack())
		}
	}()
	return fn(i)
}
