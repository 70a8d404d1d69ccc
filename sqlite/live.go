package sqlite

import (
	"context"
	"fmt"

	"github.com/shelfwise/shelfwise"
)

// write runs fn in its own write transaction under the writer lock and
// commits if fn succeeds. Rows it adds carry import id 0 ("live").
func (db *DB) write(ctx context.Context, fn func(w *writer) error) error {
	if err := db.lockWriter(ctx); err != nil {
		return err
	}
	defer db.unlockWriter()
	w, err := db.beginWriter(ctx, 0)
	if err != nil {
		return err
	}
	defer w.rollback()
	if err := fn(w); err != nil {
		return err
	}
	if err := w.flush(ctx); err != nil {
		return err
	}
	return w.commit(ctx)
}

// PutProducts upserts catalogue entries in their own transaction.
func (db *DB) PutProducts(ctx context.Context, ps []shelfwise.Product) error {
	return db.write(ctx, func(w *writer) error { return w.putProducts(ctx, ps) })
}

// PutStores upserts stores in their own transaction.
func (db *DB) PutStores(ctx context.Context, ss []shelfwise.Store) error {
	return db.write(ctx, func(w *writer) error { return w.putStores(ctx, ss) })
}

// AddEvents durably appends live events and order lines in one transaction
// (the connection runs with synchronous=FULL, so a true return means the
// rows are on disk). A non-empty idempotencyKey is recorded in the same
// transaction; a key already seen makes the call a no-op returning false.
func (db *DB) AddEvents(ctx context.Context, idempotencyKey string, evs []shelfwise.Event, lines []shelfwise.OrderLine) (bool, error) {
	added := false
	err := db.write(ctx, func(w *writer) error {
		if idempotencyKey != "" {
			res, err := w.exec(ctx, `INSERT INTO idempotency_keys(key, t) VALUES (?, ?) ON CONFLICT(key) DO NOTHING`,
				idempotencyKey, toMS(db.Now()))
			if err != nil {
				return fmt.Errorf("add events: %w", err)
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				return nil // seen before: write nothing
			}
		}
		if err := w.addEvents(ctx, evs); err != nil {
			return err
		}
		if err := w.addOrderLines(ctx, lines); err != nil {
			return err
		}
		added = true
		return nil
	})
	if err != nil {
		return false, err
	}
	return added, nil
}

// Version returns the store's version, "<writes>-<token>": the number of
// write transactions committed since the version began (an import, live
// events, catalogue changes, an erasure, stored forecasts...) and a random
// token drawn afresh by each in its own transaction. Two equal versions
// mean the same data, even across a store deleted and re-created or
// restored from a backup; a different one means something was written in
// between, not necessarily anything a reader cares about.
func (db *DB) Version(ctx context.Context) (string, error) {
	var g int64
	var token []byte
	if err := db.r.QueryRowContext(ctx, `SELECT generation, token FROM store_generation WHERE id = 1`).Scan(&g, &token); err != nil {
		return "", err
	}
	return fmt.Sprintf("%d-%x", g, token), nil
}
