package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"sync"

	"github.com/shelfwise/shelfwise"
)

var _ shelfwise.ImportTx = (*importTx)(nil)

// importTx is one import: a single write transaction holding the writer
// lock from BeginImport until Commit or Rollback. Its methods must be
// called from one goroutine at a time.
type importTx struct {
	meta shelfwise.ImportMeta
	w    *writer
	id   int64
	once sync.Once // releases the writer lock
	done bool
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
	if err := t.check(); err != nil {
		return err
	}
	return t.w.putProducts(ctx, ps)
}

// PutStores upserts stores within the import.
func (t *importTx) PutStores(ctx context.Context, ss []shelfwise.Store) error {
	if err := t.check(); err != nil {
		return err
	}
	return t.w.putStores(ctx, ss)
}

// AddOrderLines appends order lines.
func (t *importTx) AddOrderLines(ctx context.Context, ls []shelfwise.OrderLine) error {
	if err := t.check(); err != nil {
		return err
	}
	return t.w.addOrderLines(ctx, ls)
}

// AddEvents appends behaviour events.
func (t *importTx) AddEvents(ctx context.Context, evs []shelfwise.Event) error {
	if err := t.check(); err != nil {
		return err
	}
	return t.w.addEvents(ctx, evs)
}

// AddSessions appends summarised sessions.
func (t *importTx) AddSessions(ctx context.Context, ss []shelfwise.Session) error {
	if err := t.check(); err != nil {
		return err
	}
	return t.w.addSessions(ctx, ss)
}

// AddSalesPoints appends aggregated sales observations.
func (t *importTx) AddSalesPoints(ctx context.Context, ps []shelfwise.SalesPoint) error {
	if err := t.check(); err != nil {
		return err
	}
	return t.w.addSalesPoints(ctx, ps)
}

// AddPrices appends shelf prices.
func (t *importTx) AddPrices(ctx context.Context, ps []shelfwise.Price) error {
	if err := t.check(); err != nil {
		return err
	}
	return t.w.addPrices(ctx, ps)
}

// AddPromotions appends promotions.
func (t *importTx) AddPromotions(ctx context.Context, ps []shelfwise.Promotion) error {
	if err := t.check(); err != nil {
		return err
	}
	return t.w.addPromotions(ctx, ps)
}

// AddStockLevels appends stock levels.
func (t *importTx) AddStockLevels(ctx context.Context, ss []shelfwise.StockLevel) error {
	if err := t.check(); err != nil {
		return err
	}
	return t.w.addStockLevels(ctx, ss)
}

// AddCalendarEvents appends calendar events.
func (t *importTx) AddCalendarEvents(ctx context.Context, cs []shelfwise.CalendarEvent) error {
	if err := t.check(); err != nil {
		return err
	}
	return t.w.addCalendarEvents(ctx, cs)
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
	err := t.commit(ctx, report)
	if err != nil {
		t.w.rollback()
	}
	return err
}

func (t *importTx) commit(ctx context.Context, report shelfwise.ImportReport) error {
	if err := t.w.flush(ctx); err != nil {
		return fmt.Errorf("commit import: %w", err)
	}
	if report.Format == "" {
		report.Format = t.meta.Format
	}
	if report.Source == "" {
		report.Source = t.meta.Source
	}
	if report.Time.IsZero() {
		report.Time = t.meta.Time
	}
	written := t.w.written()
	if report.Written == nil {
		report.Written = map[string]int64{}
	} else {
		report.Written = maps.Clone(report.Written)
	}
	maps.Copy(report.Written, written)
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
