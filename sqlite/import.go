package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/shelfwise/shelfwise"
)

var _ shelfwise.ImportTx = (*importTx)(nil)

// importTx is one import: a single write transaction holding the writer
// lock from BeginImport until Commit or Rollback. Its methods must be
// called from one goroutine at a time.
//
// The Sink methods check their records, copy them and hand them to a
// writer goroutine, so the caller parses the next batch while SQLite stores
// this one (two cores instead of one on a large import). An error the
// writer hits is returned by the next call, or by Commit, which then rolls
// everything back.
type importTx struct {
	meta shelfwise.ImportMeta
	w    *writer
	id   int64
	once sync.Once // releases the writer lock
	done bool

	jobs chan func() error // to the writer goroutine; nil until the first
	wg   sync.WaitGroup
	mu   sync.Mutex
	err  error // the writer goroutine's first error

	// Recycled copies of the high-volume record batches.
	lines  slicePool[shelfwise.OrderLine]
	events slicePool[shelfwise.Event]
	points slicePool[shelfwise.SalesPoint]
	covs   slicePool[shelfwise.Covariate]
}

// slicePool recycles batch copies between the caller and the writer
// goroutine, so a large import does not allocate a copy of every batch.
type slicePool[T any] struct {
	free chan []T
}

func (p *slicePool[T]) get(xs []T) []T {
	if p.free == nil {
		p.free = make(chan []T, queueDepth+2)
	}
	select {
	case b := <-p.free:
		if cap(b) >= len(xs) {
			return append(b[:0], xs...)
		}
	default:
	}
	return slices.Clone(xs)
}

func (p *slicePool[T]) put(b []T) {
	clear(b) // drop the strings it refers to
	select {
	case p.free <- b[:0]:
	default:
	}
}

// queueDepth is how many batches may wait for the writer goroutine.
const queueDepth = 2

// enqueue checks xs, copies it and queues write on the copy.
// A nil pool clones xs.
func enqueue[T any](ctx context.Context, t *importTx, xs []T, pool *slicePool[T], check func(int, *T) error, write func(context.Context, []T) error) error {
	if err := t.check(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := t.asyncErr(); err != nil {
		return err
	}
	if err := checkAll(xs, check); err != nil {
		return err
	}
	if len(xs) == 0 {
		return nil
	}
	var cp []T
	if pool != nil {
		cp = pool.get(xs)
	} else {
		cp = slices.Clone(xs)
	}
	if t.jobs == nil {
		t.jobs = make(chan func() error, queueDepth)
		t.wg.Add(1)
		go t.run()
	}
	t.jobs <- func() error {
		err := write(ctx, cp)
		if pool != nil {
			pool.put(cp)
		}
		return err
	}
	return nil
}

// run is the writer goroutine: it runs the queued writes in order until
// the first error, then only drains the queue.
func (t *importTx) run() {
	defer t.wg.Done()
	for job := range t.jobs {
		if t.asyncErr() != nil {
			continue
		}
		if err := job(); err != nil {
			t.mu.Lock()
			t.err = err
			t.mu.Unlock()
		}
	}
}

func (t *importTx) asyncErr() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

// drain waits until every queued write ran and returns the first error.
func (t *importTx) drain() error {
	if t.jobs != nil {
		close(t.jobs)
		t.wg.Wait()
		t.jobs = nil
	}
	return t.asyncErr()
}

// BeginImport starts an import: it takes the writer lock (waiting for a
// running import or event batch to finish) and opens the write transaction.
// The caller must call Commit or Rollback; until then other writers wait,
// and calling the DB's own write methods from the same goroutine deadlocks
// (use the ImportTx's methods instead). Readers see none of the import
// until Commit.
func (db *DB) BeginImport(ctx context.Context, meta shelfwise.ImportMeta) (shelfwise.ImportTx, error) {
	if meta.Time.IsZero() {
		meta.Time = db.Now()
	}
	if err := db.lockWriter(ctx); err != nil {
		return nil, err
	}
	w, err := db.beginWriter(ctx, 0)
	if err != nil {
		db.unlockWriter()
		return nil, fmt.Errorf("begin import: %w", err)
	}
	res, err := w.c.ExecContext(ctx, `INSERT INTO imports(format, source, started) VALUES (?, ?, ?)`,
		meta.Format, meta.Source, toMS(meta.Time))
	var id int64
	if err == nil {
		id, err = res.LastInsertId()
	}
	if err != nil {
		w.rollback()
		db.unlockWriter()
		return nil, fmt.Errorf("begin import: %w", err)
	}
	w.importID = id
	return &importTx{meta: meta, w: w, id: id}, nil
}

// check refuses use after Commit or Rollback.
func (t *importTx) check() error {
	if t.done {
		return shelfwise.Errorf(shelfwise.EINVALID, "import already committed or rolled back")
	}
	return nil
}

// PutProducts upserts catalogue entries within the import.
func (t *importTx) PutProducts(ctx context.Context, ps []shelfwise.Product) error {
	return enqueue(ctx, t, ps, nil, checkProduct, t.w.putProducts)
}

// PutStores upserts stores within the import.
func (t *importTx) PutStores(ctx context.Context, ss []shelfwise.Store) error {
	return enqueue(ctx, t, ss, nil, checkStore, t.w.putStores)
}

// AddOrderLines appends order lines.
func (t *importTx) AddOrderLines(ctx context.Context, ls []shelfwise.OrderLine) error {
	return enqueue(ctx, t, ls, &t.lines, checkOrderLine, t.w.addOrderLines)
}

// AddEvents appends behaviour events.
func (t *importTx) AddEvents(ctx context.Context, evs []shelfwise.Event) error {
	return enqueue(ctx, t, evs, &t.events, checkEvent, t.w.addEvents)
}

// AddSessions appends summarised sessions.
func (t *importTx) AddSessions(ctx context.Context, ss []shelfwise.Session) error {
	return enqueue(ctx, t, ss, nil, checkSession, t.w.addSessions)
}

// AddSalesPoints appends aggregated sales observations.
func (t *importTx) AddSalesPoints(ctx context.Context, ps []shelfwise.SalesPoint) error {
	return enqueue(ctx, t, ps, &t.points, checkSalesPoint, t.w.addSalesPoints)
}

// AddPrices appends shelf prices.
func (t *importTx) AddPrices(ctx context.Context, ps []shelfwise.Price) error {
	return enqueue(ctx, t, ps, nil, checkPrice, t.w.addPrices)
}

// AddPromotions appends promotions.
func (t *importTx) AddPromotions(ctx context.Context, ps []shelfwise.Promotion) error {
	return enqueue(ctx, t, ps, nil, checkPromotion, t.w.addPromotions)
}

// AddStockLevels appends stock levels.
func (t *importTx) AddStockLevels(ctx context.Context, ss []shelfwise.StockLevel) error {
	return enqueue(ctx, t, ss, nil, checkStockLevel, t.w.addStockLevels)
}

// AddCalendarEvents appends calendar events.
func (t *importTx) AddCalendarEvents(ctx context.Context, cs []shelfwise.CalendarEvent) error {
	return enqueue(ctx, t, cs, nil, checkCalendarEvent, t.w.addCalendarEvents)
}

// Commit writes the buffered rows and the report, then commits. The report's
// Written counts are set from the rows actually written; empty Format,
// Source and Time come from the ImportMeta. A report whose non-empty
// Fingerprint is already stored gives ECONFLICT and nothing is written.
func (t *importTx) Commit(ctx context.Context, report shelfwise.ImportReport) error {
	if err := t.check(); err != nil {
		return err
	}
	t.done = true
	defer t.release()
	err := t.drain()
	if err == nil {
		err = t.commit(ctx, report)
	}
	if err != nil {
		t.w.rollback()
	}
	return err
}

func (t *importTx) commit(ctx context.Context, report shelfwise.ImportReport) error {
	if report.Format == "" {
		report.Format = t.meta.Format
	}
	if report.Source == "" {
		report.Source = t.meta.Source
	}
	if report.Time.IsZero() {
		report.Time = t.meta.Time
	}
	var fp any
	if report.Fingerprint != "" {
		fp = report.Fingerprint
		var n int
		if err := t.w.c.QueryRowContext(ctx, `SELECT COUNT(*) FROM imports WHERE fingerprint = ?`, fp).Scan(&n); err != nil {
			return fmt.Errorf("commit import: %w", err)
		}
		if n > 0 {
			return conflict(report.Fingerprint)
		}
	}
	// After the duplicate check: a duplicate import need not rebuild indexes.
	if err := t.w.flush(ctx); err != nil {
		return fmt.Errorf("commit import: %w", err)
	}
	if report.Written == nil {
		report.Written = map[string]int64{}
	} else {
		report.Written = maps.Clone(report.Written)
	}
	maps.Copy(report.Written, t.w.written())
	js, err := json.Marshal(report)
	if err != nil {
		return err
	}
	_, err = t.w.c.ExecContext(ctx, `UPDATE imports SET fingerprint = ?, report = ? WHERE id = ?`, fp, string(js), t.id)
	if isConstraint(err) {
		return conflict(report.Fingerprint)
	} else if err != nil {
		return fmt.Errorf("commit import: %w", err)
	}
	if err := t.w.commit(ctx); err != nil {
		return fmt.Errorf("commit import: %w", err)
	}
	return nil
}

func conflict(fp string) error {
	return shelfwise.Errorf(shelfwise.ECONFLICT, "this data was already imported (fingerprint %.16s)", fp)
}

// Rollback discards the import; it is a no-op after Commit or Rollback.
func (t *importTx) Rollback() error {
	if t.done {
		return nil
	}
	t.done = true
	defer t.release()
	t.drain()
	return t.w.rollback()
}

func (t *importTx) release() { t.once.Do(t.w.db.unlockWriter) }

// Imports lists completed imports, newest first.
func (db *DB) Imports(ctx context.Context) ([]shelfwise.ImportReport, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT report FROM imports WHERE report IS NOT NULL ORDER BY id DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []shelfwise.ImportReport
	for rows.Next() {
		var js string
		if err := rows.Scan(&js); err != nil {
			return nil, err
		}
		var r shelfwise.ImportReport
		if err := json.Unmarshal([]byte(js), &r); err != nil {
			return nil, fmt.Errorf("imports: stored report: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
