package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
)

// rowsPerInsert is how many rows one multi-row INSERT carries; fewer
// statement executions is most of what makes bulk inserts fast.
const rowsPerInsert = 64

// bulkMinRows is the number of rows from which an import may switch a table
// to bulk loading: its secondary indexes are dropped inside the transaction
// and rebuilt (sorted, in one pass) before commit. Keeping an index up to
// date row by row costs more than rebuilding it once the import is a
// sizeable part of the table. Readers never see the difference: the drop
// and the rebuild are in the same transaction.
var bulkMinRows int64 = 1 << 16

// bulkRatio: switch only while the table held at most this many times the
// rows the import has written so far (rechecked at every doubling).
const bulkRatio = 4

// inserter buffers rows of one table and writes them with a prepared
// multi-row INSERT.
type inserter struct {
	w         *writer
	table     string
	cols      int
	many, one string
	buf       []any
	n         int // rows buffered
	written   int64
	nextCheck int64 // written count at which to reconsider bulk loading
	bulk      bool
	// The full-batch INSERT runs on the driver connection directly with
	// one reused argument slice: database/sql would allocate and convert
	// the arguments of every execution.
	args    []driver.NamedValue
	ds      driver.Stmt
	oneStmt *sql.Stmt
}

func newInserter(w *writer, table string, cols []string) *inserter {
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
	head := "INSERT INTO " + table + "(" + strings.Join(cols, ",") + ") VALUES "
	return &inserter{
		w:         w,
		table:     table,
		cols:      len(cols),
		one:       head + row,
		many:      head + strings.TrimSuffix(strings.Repeat(row+",", rowsPerInsert), ","),
		buf:       make([]any, 0, len(cols)*rowsPerInsert),
		nextCheck: bulkMinRows,
	}
}

// execMany runs the full-batch INSERT with the rows in b.buf.
func (b *inserter) execMany(ctx context.Context) error {
	if b.args == nil {
		b.args = make([]driver.NamedValue, len(b.buf))
		for i := range b.args {
			b.args[i].Ordinal = i + 1
		}
	}
	for i, v := range b.buf {
		b.args[i].Value = v
	}
	return b.w.c.Raw(func(dc any) error {
		if b.ds == nil {
			p, ok := dc.(driver.ConnPrepareContext)
			if !ok {
				return errors.New("sqlite: driver connection cannot prepare with a context")
			}
			ds, err := p.PrepareContext(ctx, b.many)
			if err != nil {
				return err
			}
			b.ds = ds
		}
		ex, ok := b.ds.(driver.StmtExecContext)
		if !ok {
			return errors.New("sqlite: driver statement cannot execute with a context")
		}
		// A context that can be cancelled would cost the driver a goroutine
		// per execution; cancellation is checked between batches instead.
		_, err := ex.ExecContext(context.Background(), b.args)
		return err
	})
}

// close finalises the driver statement.
func (b *inserter) close() error {
	if b.ds == nil {
		return nil
	}
	ds := b.ds
	b.ds = nil
	return b.w.c.Raw(func(any) error { return ds.Close() })
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
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := b.execMany(ctx); err != nil {
		return fmt.Errorf("insert into %s: %w", b.table, err)
	}
	b.written += int64(b.n)
	b.buf, b.n = b.buf[:0], 0
	if b.written >= b.nextCheck {
		return b.considerBulk(ctx)
	}
	return nil
}

// flush writes the buffered rows one by one.
func (b *inserter) flush(ctx context.Context) error {
	if b.n == 0 {
		return nil
	}
	if b.oneStmt == nil {
		s, err := b.w.stmt(ctx, b.one)
		if err != nil {
			return err
		}
		b.oneStmt = s
	}
	for i := 0; i < b.n; i++ {
		if _, err := b.oneStmt.ExecContext(ctx, b.buf[i*b.cols:(i+1)*b.cols]...); err != nil {
			return fmt.Errorf("insert into %s: %w", b.table, err)
		}
	}
	b.written += int64(b.n)
	b.buf, b.n = b.buf[:0], 0
	return nil
}

// considerBulk drops the table's secondary indexes when this import is
// large next to what the table held before it.
func (b *inserter) considerBulk(ctx context.Context) error {
	b.nextCheck *= 2
	if b.bulk {
		return nil
	}
	tx := b.w.c
	var maxID sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT MAX(id) FROM `+b.table).Scan(&maxID); err != nil {
		return err
	}
	if before := maxID.Int64 - b.written; before > bulkRatio*b.written {
		return nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT name, sql FROM sqlite_master
		WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL`, b.table)
	if err != nil {
		return err
	}
	var names, sqls []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			rows.Close()
			return err
		}
		names, sqls = append(names, name), append(sqls, def)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for i, name := range names {
		if _, err := tx.ExecContext(ctx, `DROP INDEX "`+name+`"`); err != nil {
			return fmt.Errorf("bulk load %s: %w", b.table, err)
		}
		b.w.dropped = append(b.w.dropped, sqls[i])
	}
	b.bulk = true
	return nil
}

// restoreIndexes rebuilds the indexes dropped for bulk loads.
func (w *writer) restoreIndexes(ctx context.Context) error {
	for len(w.dropped) > 0 {
		if _, err := w.c.ExecContext(ctx, w.dropped[0]); err != nil {
			return fmt.Errorf("rebuild index: %w", err)
		}
		w.dropped = w.dropped[1:]
	}
	return nil
}
