package sqlite

import (
	"cmp"
	"context"
	"runtime"
	"strings"
	"sync"

	"github.com/shelfwise/shelfwise"
)

// Series over many products or stores are read in parallel: the keys are
// split into partitions (by SKU id, else store id), each partition streams
// its series in key order on its own connection and goroutine, and the
// streams are merged back into one key-ordered stream. The callback runs on
// the caller's goroutine only. Memory stays bounded: each partition holds at
// most a few built series.

// maxSeriesParts caps the partitions (and read connections) of one read.
const maxSeriesParts = 4

// seriesParts returns how many partitions a plan is worth.
func seriesParts(p *seriesPlan) int {
	switch {
	case p.bySKU && p.q.SKU != "":
		return 1 // one product
	case !p.bySKU && (!p.store || p.q.Store != ""):
		return 1 // aggregates over products, or one store
	}
	return min(runtime.GOMAXPROCS(0), maxSeriesParts)
}

// compareKeys orders series keys as the SQL does: field by field, bytes.
func compareKeys(a, b shelfwise.SeriesKey) int {
	return cmp.Or(
		strings.Compare(string(a.SKU), string(b.SKU)),
		strings.Compare(string(a.Store), string(b.Store)),
		strings.Compare(a.Department, b.Department),
		strings.Compare(a.Category, b.Category),
		strings.Compare(a.Subcategory, b.Subcategory),
	)
}

// seriesParallel streams q's series from parts partitions, merged in key
// order.
func (db *DB) seriesParallel(ctx context.Context, q shelfwise.SeriesQuery, parts int, fn func(*shelfwise.Series) error) error {
	plans := make([]*seriesPlan, parts)
	for k := range plans {
		p, err := planSeries(q, k, parts)
		if err != nil {
			return err
		}
		plans[k] = p
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chans := make([]chan *shelfwise.Series, parts)
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for k, p := range plans {
		ch := make(chan *shelfwise.Series, 4)
		chans[k] = ch
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(ch)
			errs[k] = db.seriesPart(ctx, p, func(s *shelfwise.Series) error {
				select {
				case ch <- s:
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			})
		}()
	}
	err := mergeSeries(chans, fn)
	cancel()
	wg.Wait()
	if err != nil {
		return err
	}
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// mergeSeries calls fn on the series of the key-ordered streams in key
// order, until every stream is closed or fn fails.
func mergeSeries(chans []chan *shelfwise.Series, fn func(*shelfwise.Series) error) error {
	heads := make([]*shelfwise.Series, len(chans))
	for k, ch := range chans {
		heads[k] = <-ch
	}
	for {
		best := -1
		for k, h := range heads {
			if h != nil && (best < 0 || compareKeys(h.Key, heads[best].Key) < 0) {
				best = k
			}
		}
		if best < 0 {
			return nil
		}
		if err := fn(heads[best]); err != nil {
			return err
		}
		heads[best] = <-chans[best]
	}
}
