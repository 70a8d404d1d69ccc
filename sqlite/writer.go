package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/shelfwise/shelfwise"
)

// writer is one write transaction with its dictionary caches and batched
// inserters. ImportTx and the live AddEvents both write through one.
type writer struct {
	db       *DB
	tx       *sql.Tx
	importID any // boxed once: the id every row of this transaction carries

	skus, stores, customers, invoices, sessions, countries *dict

	stmts  map[string]*sql.Stmt // prepared in tx
	ins    map[string]*inserter // by table
	counts map[string]int64     // rows written outside the inserters
	// dropped holds the CREATE INDEX statements of indexes dropped for a
	// bulk load, recreated before commit.
	dropped []string
}

func (db *DB) newWriter(tx *sql.Tx, importID int64) *writer {
	w := &writer{db: db, tx: tx, importID: importID, stmts: map[string]*sql.Stmt{}, ins: map[string]*inserter{}, counts: map[string]int64{}}
	w.skus = newDict("sku_dict")
	w.stores = newDict("store_dict")
	w.customers = newDict("customer_dict")
	w.invoices = newDict("invoice_dict")
	w.sessions = newDict("session_dict")
	w.countries = newDict("country_dict")
	return w
}

// stmt returns query prepared in the transaction, once per transaction.
// (Preparing on the pool would wait for the one write connection, which
// the transaction holds.)
func (w *writer) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if s, ok := w.stmts[query]; ok {
		return s, nil
	}
	s, err := w.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare %q: %w", firstLine(query), err)
	}
	w.stmts[query] = s
	return s, nil
}

// exec runs a prepared statement in the transaction.
func (w *writer) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	s, err := w.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
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

// zeroID is the boxed id of the empty value in every dictionary.
var zeroID any = int64(0)

// maxDictCache bounds a dictionary cache; past it the cache starts over, so
// memory stays bounded on imports with millions of invoices or customers.
const maxDictCache = 1 << 18

// dict maps codes to ids of one dictionary table, inserting new codes.
// Ids are cached boxed, so appending them to an argument list allocates
// nothing.
type dict struct {
	sel      string
	m        map[string]any
	lastCode string
	lastID   any
}

func newDict(table string) *dict {
	return &dict{
		// One statement whether the code is new or not: an upsert that
		// returns the id either way.
		sel: "INSERT INTO " + table + "(code) VALUES (?) ON CONFLICT(code) DO UPDATE SET code = excluded.code RETURNING id",
		m:   make(map[string]any),
	}
}

// id returns the id of code, creating it; the empty code is id 0.
func (d *dict) id(ctx context.Context, w *writer, code string) (any, error) {
	if code == "" {
		return zeroID, nil
	}
	if d.lastID != nil && code == d.lastCode {
		return d.lastID, nil
	}
	if v, ok := d.m[code]; ok {
		d.lastCode, d.lastID = code, v
		return v, nil
	}
	s, err := w.stmt(ctx, d.sel)
	if err != nil {
		return nil, err
	}
	var id int64
	if err := s.QueryRowContext(ctx, code).Scan(&id); err != nil {
		return nil, err
	}
	if len(d.m) >= maxDictCache {
		clear(d.m)
	}
	v := any(id)
	d.m[code] = v
	d.lastCode, d.lastID = code, v
	return v, nil
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

// finite rejects NaN and infinite numbers, which SQLite would store as NULL.
func finite(what string, xs ...float64) error {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return shelfwise.Errorf(shelfwise.EINVALID, "%s: number %v is not finite", what, x)
		}
	}
	return nil
}

// needTime rejects a missing time.
func needTime(what string, t time.Time) error {
	if t.IsZero() {
		return shelfwise.Errorf(shelfwise.EINVALID, "%s: missing time", what)
	}
	return nil
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
