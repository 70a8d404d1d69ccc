package simulate

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/shelfwise/shelfwise"
)

// blockDays is the number of days a partition simulates between hand-overs
// to the sink: it bounds the memory in flight.
const blockDays = 7

// Run simulates the chain described by cfg and streams every record in
// batches into sink: stores, products, calendar events, regular prices and
// promotions first, then, block by block of days, order lines (sales and
// returns), behaviour events, sessions and stock levels (or SalesPoints in
// aggregate mode). Records and their order depend only on cfg, never on
// cfg.Workers or scheduling. It returns the ground truth; on a sink error or
// cancellation it stops and returns the error.
func Run(ctx context.Context, cfg Config, sink shelfwise.Sink) (*Truth, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	t := newWorld(cfg)
	w := newWorldData(cfg, t)
	em := &emitter{sink: sink, batch: cfg.BatchSize, counts: t.Counts}
	if err := em.static(ctx, w); err != nil {
		return nil, err
	}
	censored := map[seriesKey][]int{}
	done := 0
	err := runBlocks(ctx, w, func(res *blockResult, last bool) error {
		for _, c := range res.censored {
			k := seriesKey{int(c.p), int(c.s)}
			censored[k] = append(censored[k], int(c.d))
		}
		t.Sessions.Sessions = append(t.Sessions.Sessions, res.truth...)
		if err := em.block(ctx, res); err != nil {
			return err
		}
		if last && cfg.Progress != nil {
			done = min(cfg.Days, done+blockDays)
			cfg.Progress(done, cfg.Days)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	keys := make([]seriesKey, 0, len(censored))
	for k := range censored {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].p != keys[j].p {
			return keys[i].p < keys[j].p
		}
		return keys[i].s < keys[j].s
	})
	for _, k := range keys {
		t.Censored = append(t.Censored, CensoredTruth{SKU: t.Products[k.p].SKU, Store: t.Stores[k.s].ID, Days: censored[k]})
	}
	t.prepare()
	return t, nil
}

// runBlocks runs every partition in its own goroutine, at most cfg.Workers
// computing at once, and hands their block results to consume in a fixed
// order (block by block, partition by partition); last marks the last
// partition of a block.
func runBlocks(parent context.Context, w *world, consume func(res *blockResult, last bool) error) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	specs := w.partitions()
	days := w.cfg.Days
	blocks := (days + blockDays - 1) / blockDays
	sem := make(chan struct{}, w.cfg.Workers)
	chans := make([]chan *blockResult, len(specs))
	var wg sync.WaitGroup
	for i, spec := range specs {
		ch := make(chan *blockResult, 1)
		chans[i] = ch
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(ch)
			var pt *part
			for b := range blocks {
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					return
				}
				if pt == nil {
					pt = newPart(w, i, spec)
				}
				res, err := pt.runBlock(ctx, b*blockDays, min(days, (b+1)*blockDays))
				<-sem
				if err != nil {
					return
				}
				select {
				case ch <- res:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	var err error
loop:
	for range blocks {
		for i := range specs {
			res, ok := <-chans[i]
			if !ok {
				err = parent.Err()
				if err == nil {
					err = fmt.Errorf("simulate: partition %d stopped early", i)
				}
				break loop
			}
			if err = consume(res, i == len(specs)-1); err != nil {
				break loop
			}
		}
	}
	cancel()
	wg.Wait()
	return err
}

// Series simulates cfg in aggregate mode and calls fn with one daily series
// per product x store (units sold, shelf price, promotion flag,
// availability and stockout censoring), partition by partition, without
// building SalesPoints: the light way to feed forecasting benchmarks at M5
// scale. The series equal the SalesPoints Run writes for the same cfg.
// cfg.Progress counts partitions.
func Series(ctx context.Context, cfg Config, fn func(*shelfwise.Series) error) (*Truth, error) {
	cfg.Aggregate = true
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	t := newWorld(cfg)
	w := newWorldData(cfg, t)
	specs := w.partitions()
	err := orderedPool(ctx, len(specs), cfg.Workers,
		func(ctx context.Context, i int) ([]*shelfwise.Series, error) {
			return newPart(w, i, specs[i]).series(ctx)
		},
		func(i int, ss []*shelfwise.Series) error {
			for _, s := range ss {
				if err := fn(s); err != nil {
					return err
				}
			}
			if cfg.Progress != nil {
				cfg.Progress(i+1, len(specs))
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// series simulates the partition over the whole horizon into series.
func (pt *part) series(ctx context.Context) ([]*shelfwise.Series, error) {
	w := pt.w
	days := w.cfg.Days
	out := make([]*shelfwise.Series, len(pt.cells))
	for j := range out {
		out[j] = &shelfwise.Series{
			Key:       shelfwise.SeriesKey{SKU: w.skus[pt.cells[j].p], Store: w.t.Stores[pt.spec.store].ID},
			Grain:     shelfwise.GrainDay,
			Start:     w.t.Start,
			Values:    make([]float64, days),
			Price:     make([]float64, days),
			Promo:     make([]float64, days),
			Available: make([]bool, days),
			Censored:  make([]bool, days),
		}
	}
	for d := range days {
		if d%blockDays == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		for j := range pt.cells {
			c := &pt.cells[j]
			sold, censored, ok := pt.step(c, d)
			if !ok {
				continue
			}
			s := out[j]
			s.Values[d] = sold
			s.Price[d] = c.price
			s.Available[d] = true
			s.Censored[d] = censored
			if c.promo != nil {
				s.Promo[d] = 1
			}
		}
	}
	return out, nil
}

// orderedPool computes n tasks with at most workers at once and consumes
// their results in index order; at most workers+1 results are held at a
// time. It returns the first error and waits for every goroutine it
// started.
func orderedPool[T any](parent context.Context, n, workers int, compute func(context.Context, int) (T, error), consume func(int, T) error) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	type result struct {
		v   T
		err error
	}
	slots := make([]chan result, n)
	for i := range slots {
		slots[i] = make(chan result, 1)
	}
	window := make(chan struct{}, workers+1)
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range n {
			select {
			case window <- struct{}{}:
			case <-ctx.Done():
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					slots[i] <- result{err: ctx.Err()}
					return
				}
				v, err := compute(ctx, i)
				<-sem
				slots[i] <- result{v, err}
			}()
		}
	}()
	var err error
	for i := range n {
		var res result
		select {
		case res = <-slots[i]:
			<-window
		case <-ctx.Done():
			res.err = ctx.Err()
		}
		if err = res.err; err == nil {
			err = consume(i, res.v)
		}
		if err != nil {
			break
		}
	}
	cancel()
	wg.Wait()
	return err
}
