package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
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

// flush writes every buffered row.
func (w *writer) flush(ctx context.Context) error {
	for _, b := range w.ins {
		if err := b.flush(ctx); err != nil {
			return err
		}
	}
	return nil
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
	sel, ins string
	m        map[string]any
	lastCode string
	lastID   any
}

func newDict(table string) *dict {
	return &dict{
		sel: "SELECT id FROM " + table + " WHERE code = ?",
		ins: "INSERT INTO " + table + "(code) VALUES (?)",
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
	err = s.QueryRowContext(ctx, code).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		res, ierr := w.exec(ctx, d.ins, code)
		if ierr != nil {
			return nil, ierr
		}
		id, err = res.LastInsertId()
	}
	if err != nil {
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

// rowsPerInsert is how many rows one multi-row INSERT carries; fewer
// statement executions is most of what makes bulk inserts fast.
const rowsPerInsert = 64

// inserter buffers rows of one table and writes them with a prepared
// multi-row INSERT.
type inserter struct {
	w           *writer
	cols        int
	many, one   string
	buf         []any
	n           int // rows buffered
	written     int64
	manyStmt    *sql.Stmt
	oneStmtSlot *sql.Stmt
}

func newInserter(w *writer, table string, cols []string) *inserter {
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
	head := "INSERT INTO " + table + "(" + strings.Join(cols, ",") + ") VALUES "
	return &inserter{
		w:    w,
		cols: len(cols),
		one:  head + row,
		many: head + strings.TrimSuffix(strings.Repeat(row+",", rowsPerInsert), ","),
		buf:  make([]any, 0, len(cols)*rowsPerInsert),
	}
}

// add counts the row just appended to b.buf and writes a full batch.
func (b *inserter) add(ctx context.Context) error {
	b.n++
	if len(b.buf) != b.n*b.cols {
		return fmt.Errorf("sqlite: internal error: row of %d values for %d columns", len(b.buf)-(b.n-1)*b.cols, b.cols)
	}
	if b.n < rowsPerInsert {
		return nil
	}
	if b.manyStmt == nil {
		s, err := b.w.stmt(ctx, b.many)
		if err != nil {
			return err
		}
		b.manyStmt = s
	}
	if _, err := b.manyStmt.ExecContext(ctx, b.buf...); err != nil {
		return err
	}
	b.written += int64(b.n)
	b.buf, b.n = b.buf[:0], 0
	return nil
}

// flush writes the buffered rows one by one.
func (b *inserter) flush(ctx context.Context) error {
	if b.n == 0 {
		return nil
	}
	if b.oneStmtSlot == nil {
		s, err := b.w.stmt(ctx, b.one)
		if err != nil {
			return err
		}
		b.oneStmtSlot = s
	}
	for i := 0; i < b.n; i++ {
		if _, err := b.oneStmtSlot.ExecContext(ctx, b.buf[i*b.cols:(i+1)*b.cols]...); err != nil {
			return err
		}
	}
	b.written += int64(b.n)
	b.buf, b.n = b.buf[:0], 0
	return nil
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
