package mlp

import (
	"context"

	"github.com/shelfwise/shelfwise/internal/parallel"
)

// parallelChunks calls fn on contiguous chunks of [0, n) on at most
// workers goroutines (GOMAXPROCS when workers <= 0), checking ctx between
// chunks.
func parallelChunks(ctx context.Context, n, workers int, fn func(lo, hi int)) error {
	return parallel.Chunks(ctx, n, workers, 4096, fn)
}
