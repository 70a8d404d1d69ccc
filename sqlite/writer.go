package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/shelfwise/shelfwise"
)

// writer is one write transaction with its dictionary caches and batched
// inserters. ImportTx and the live AddEvents both write through one.
type writer struct {
	db       *DB
	c        *sql.Conn // the write connection, inside BEGIN IMMEDIATE
	importID any       // boxed once: the id every row of this transaction carries

	skus, stores, customers, invoices, sessions, countries, covNames *dict

	args   []driver.NamedValue  // reused by exec and query
	ins    map[string]*inserter // by table
	counts map[string]int64     // rows written outside the inserters
	// dropped holds the CREATE INDEX statements of indexes dropped for a
	// bulk load, recreated before commit.
	dropped []string
}

// beginWriter takes the write connection and begins an immediate
// transaction on it. The caller holds the writer lock and must end the
// writer with commit or rollback.
func (db *DB) beginWriter(ctx context.Context, importID int64) (*writer, error) {
	c, err := db.w.Conn(ctx)
	if err != nil {
		return nil, err
	}
	w := &writer{db: db, c: c, importID: importID, ins: map[string]*inserter{}, counts: map[string]int64{}}
	if _, err := w.exec(ctx, "BEGIN IMMEDIATE"); err != nil {
		c.Close()
		return nil, err
	}
	w.skus = newDict("sku_dict", 1<<18)
	w.stores = newDict("store_dict", 1<<14)
	w.customers = newDict("customer_dict", 1<<18)
	w.invoices = newDict("invoice_dict", 1<<16)
	w.sessions = newDict("session_dict", 1<<16)
	w.countries = newDict("country_dict", 1<<10)
	w.covNames = newDict("covariate_dict", 1<<10)
	return w, nil
}

// commit commits the transaction (the caller has flushed) and releases the
// connection. The writer is done afterwards, whatever the outcome.
func (w *writer) commit(ctx context.Context) error {
	if w.c == nil {
		return errors.New("sqlite: transaction already ended")
	}
	// Every write changes the store's version with it (see DB.Version).
	_, err := w.exec(ctx, `UPDATE store_generation SET generation = generation + 1, token = randomblob(16) WHERE id = 1`)
	if err == nil {
		_, err = w.exec(ctx, "COMMIT")
	}
	if err != nil {
		w.rollback()
		return err
	}
	return w.release()
}

// rollback discards the transaction and releases the connection; a no-op
// once the writer is done.
func (w *writer) rollback() error {
	if w.c == nil {
		return nil
	}
	// Not the caller's context: a cancelled import must still roll back.
	_, err := w.c.ExecContext(context.Background(), "ROLLBACK")
	if err != nil && !strings.Contains(err.Error(), "no transaction is active") {
		w.release()
		return err
	}
	return w.release()
}

// release returns the connection to the pool (its prepared statements
// stay cached on it for the next transaction).
func (w *writer) release() error {
	err := w.c.Close()
	w.c, w.ins = nil, nil
	return err
}

// inserter returns the batched inserter for table.
func (w *writer) inserter(table string, cols ...string) *inserter {
	if b, ok := w.ins[table]; ok {
		return b
	}
	b := newInserter(w, table, cols)
	w.ins[table] = b
	return b
}

// flush writes every buffered row and restores the indexes a bulk load
// dropped.
func (w *writer) flush(ctx context.Context) error {
	for _, b := range w.ins {
		if err := b.flush(ctx); err != nil {
			return err
		}
	}
	return w.restoreIndexes(ctx)
}

// written returns the rows written per table.
func (w *writer) written() map[string]int64 {
	m := map[string]int64{}
	for t, n := range w.counts {
		m[t] += n
	}
	for t, b := range w.ins {
		if b.written+int64(b.n) > 0 {
			m[t] = b.written + int64(b.n)
		}
	}
	return m
}

// Boxed small codes: appending them allocates nothing.
var (
	boxed = [...]any{int64(0), int64(1), int64(2), int64(3), int64(4)}
)

func boolCode(b bool) any {
	if b {
		return boxed[1]
	}
	return boxed[0]
}

func kindCode(k shelfwise.LineKind) (any, error) {
	switch k {
	case shelfwise.LineSale, "":
		return boxed[0], nil
	case shelfwise.LineReturn:
		return boxed[1], nil
	case shelfwise.LineAdjustment:
		return boxed[2], nil
	}
	return nil, shelfwise.Errorf(shelfwise.EINVALID, "unknown order line kind %q", k)
}

var lineKinds = [...]shelfwise.LineKind{shelfwise.LineSale, shelfwise.LineReturn, shelfwise.LineAdjustment}

func kindOf(c int64) shelfwise.LineKind {
	if c >= 0 && int(c) < len(lineKinds) {
		return lineKinds[c]
	}
	return shelfwise.LineKind(fmt.Sprint("unknown-", c))
}

func eventCode(t shelfwise.EventType) (int64, error) {
	switch t {
	case shelfwise.EventView:
		return 1, nil
	case shelfwise.EventSearch:
		return 2, nil
	case shelfwise.EventCart:
		return 3, nil
	case shelfwise.EventPurchase:
		return 4, nil
	}
	return 0, shelfwise.Errorf(shelfwise.EINVALID, "unknown event type %q", t)
}

var eventTypes = [...]shelfwise.EventType{"", shelfwise.EventView, shelfwise.EventSearch, shelfwise.EventCart, shelfwise.EventPurchase}

func eventTypeOf(c int64) shelfwise.EventType {
	if c > 0 && int(c) < len(eventTypes) {
		return eventTypes[c]
	}
	return shelfwise.EventType(fmt.Sprint("unknown-", c))
}

func grainCode(g shelfwise.Grain) (int64, error) {
	switch g {
	case shelfwise.GrainDay, "":
		return 0, nil
	case shelfwise.GrainWeek:
		return 1, nil
	case shelfwise.GrainPeriod:
		return 2, nil
	}
	return 0, shelfwise.Errorf(shelfwise.EINVALID, "unknown grain %q", g)
}

// jsonText encodes a map as JSON, "" when empty.
func jsonText[M ~map[string]V, V any](m M) (string, error) {
	if len(m) == 0 {
		return "", nil
	}
	b, err := json.Marshal(m)
	return string(b), err
}

// jsonMap decodes what jsonText wrote (nil for "").
func jsonMap[V any](s string) (map[string]V, error) {
	if s == "" {
		return nil, nil
	}
	var m map[string]V
	err := json.Unmarshal([]byte(s), &m)
	return m, err
}
