package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"time"
)

// stmtCache keeps the write connection's prepared statements from one
// transaction to the next. A live ingest call is a small transaction: it
// used to prepare a dozen statements (dictionary lookups and inserts,
// BEGIN, COMMIT) every time, a fifth of its CPU. Statements are prepared on
// the driver connection and executed with argument slices that are reused,
// bypassing what database/sql allocates per call. Only the holder of the
// writer lock uses the cache.
type stmtCache struct {
	conn  any // the driver connection the statements belong to
	stmts map[string]driver.Stmt
}

// prepared returns query prepared on the driver connection dc.
func (c *stmtCache) prepared(ctx context.Context, dc any, query string) (driver.Stmt, error) {
	if c.conn != dc {
		// The pool replaced a failed connection: its statements are gone
		// with it (finalizing them now would touch freed memory).
		c.conn, c.stmts = dc, map[string]driver.Stmt{}
	}
	if s, ok := c.stmts[query]; ok {
		return s, nil
	}
	p, ok := dc.(driver.ConnPrepareContext)
	if !ok {
		return nil, errors.New("sqlite: driver connection cannot prepare with a context")
	}
	s, err := p.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare %q: %w", firstLine(query), err)
	}
	c.stmts[query] = s
	return s, nil
}

// close finalizes the statements; dc must be their connection.
func (c *stmtCache) close(dc any) error {
	if c.conn != dc {
		return nil
	}
	var errs []error
	for _, s := range c.stmts {
		errs = append(errs, s.Close())
	}
	c.conn, c.stmts = nil, nil
	return errors.Join(errs...)
}

// closeStatements finalizes the write connection's cached statements, so
// closing the connection releases the database file at once. It does
// nothing while a writer holds the connection (Close during a write).
func (db *DB) closeStatements() error {
	select {
	case db.wsem <- struct{}{}:
		defer db.unlockWriter()
	default:
		return nil
	}
	if len(db.wstmts.stmts) == 0 {
		return nil
	}
	c, err := db.w.Conn(context.Background())
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Raw(func(dc any) error { return db.wstmts.close(dc) })
}

// bind fills *args with vals as driver values, reusing its backing array.
func bind(args *[]driver.NamedValue, vals []any) error {
	if cap(*args) < len(vals) {
		*args = make([]driver.NamedValue, len(vals))
	}
	*args = (*args)[:len(vals)]
	for i, v := range vals {
		switch v.(type) {
		case nil, int64, float64, string, []byte, bool, time.Time:
		default:
			cv, err := driver.DefaultParameterConverter.ConvertValue(v)
			if err != nil {
				return fmt.Errorf("argument %d: %w", i+1, err)
			}
			v = cv
		}
		(*args)[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	return nil
}

// stmtExec runs a prepared statement. A context that can be cancelled would
// cost the driver a goroutine per execution; callers check ctx between
// statements instead.
func stmtExec(s driver.Stmt, args []driver.NamedValue) (driver.Result, error) {
	ex, ok := s.(driver.StmtExecContext)
	if !ok {
		return nil, errors.New("sqlite: driver statement cannot execute with a context")
	}
	return ex.ExecContext(context.Background(), args)
}

// exec runs query, prepared once per connection, in the transaction.
func (w *writer) exec(ctx context.Context, query string, vals ...any) (sql.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var res driver.Result
	err := w.c.Raw(func(dc any) error {
		s, err := w.db.wstmts.prepared(ctx, dc, query)
		if err != nil {
			return err
		}
		if err := bind(&w.args, vals); err != nil {
			return err
		}
		res, err = stmtExec(s, w.args)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// query runs query, prepared once per connection, in the transaction and
// calls fn with each row (the slice is reused between rows).
func (w *writer) query(ctx context.Context, query string, vals []any, fn func(row []driver.Value) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return w.c.Raw(func(dc any) error {
		s, err := w.db.wstmts.prepared(ctx, dc, query)
		if err != nil {
			return err
		}
		qs, ok := s.(driver.StmtQueryContext)
		if !ok {
			return errors.New("sqlite: driver statement cannot query with a context")
		}
		if err := bind(&w.args, vals); err != nil {
			return err
		}
		rows, err := qs.QueryContext(context.Background(), w.args)
		if err != nil {
			return err
		}
		defer rows.Close()
		row := make([]driver.Value, len(rows.Columns()))
		for {
			if err := rows.Next(row); err == io.EOF {
				return rows.Close()
			} else if err != nil {
				return err
			}
			if err := fn(row); err != nil {
				return err
			}
		}
	})
}

// text returns a TEXT column value.
func text(v driver.Value) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	}
	return fmt.Sprint(v)
}
