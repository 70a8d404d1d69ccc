package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
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
	oneArgs []driver.NamedValue
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
	return b.w.c.Raw(func(dc any) error {
		return b.w.db.driverExec(ctx, dc, b.many, &b.args, b.buf)
	})
}

// driverExec runs query, prepared once per connection, with vals on the
// driver connection dc, reusing the argument slice *args.
func (db *DB) driverExec(ctx context.Context, dc any, query string, args *[]driver.NamedValue, vals []any) error {
	s, err := db.wstmts.prepared(ctx, dc, query)
	if err != nil {
		return err
	}
	if err := bind(args, vals); err != nil {
		return err
	}
	_, err = stmtExec(s, *args)
	return err
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

// flush writes the buffered rows one by one (a live batch leaves up to 63
// rows here, so this is on the path of every small ingest call).
func (b *inserter) flush(ctx context.Context) error {
	if b.n == 0 {
		return nil
	}
	err := b.w.c.Raw(func(dc any) error {
		for i := 0; i < b.n; i++ {
			if err := b.w.db.driverExec(ctx, dc, b.one, &b.oneArgs, b.buf[i*b.cols:(i+1)*b.cols]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("insert into %s: %w", b.table, err)
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
