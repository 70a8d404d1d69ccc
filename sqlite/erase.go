package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/shelfwise/shelfwise"
)

// eraseByID deletes a customer's rows from the fact tables. "<> 0" lets
// SQLite use the partial customer indexes.
var eraseByID = []string{
	`DELETE FROM order_lines WHERE customer_id = ? AND customer_id <> 0`,
	`DELETE FROM events WHERE customer_id = ? AND customer_id <> 0`,
	`DELETE FROM sessions WHERE customer_id = ? AND customer_id <> 0`,
}

// EraseCustomer removes every row about customer c: order lines, events,
// sessions, cached features and recommendations, and the pseudonym itself.
// One audit row records the time, the action and the number of rows removed,
// never the customer. ENOTFOUND if the store knew nothing about c.
func (db *DB) EraseCustomer(ctx context.Context, c shelfwise.CustomerKey) (int64, error) {
	if c == "" {
		return 0, shelfwise.Errorf(shelfwise.EINVALID, "erase: empty customer key")
	}
	var total int64
	err := db.write(ctx, func(w *writer) error {
		total = 0
		existed := false
		var id int64
		err := w.c.QueryRowContext(ctx, `SELECT id FROM customer_dict WHERE code = ?`, string(c)).Scan(&id)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		default:
			existed = true
		}
		del := func(query string, arg any) error {
			res, err := w.c.ExecContext(ctx, query, arg)
			if err != nil {
				return fmt.Errorf("erase customer: %w", err)
			}
			n, err := res.RowsAffected()
			total += n
			return err
		}
		if existed {
			for _, q := range eraseByID {
				if err := del(q, id); err != nil {
					return err
				}
			}
			if _, err := w.c.ExecContext(ctx, `DELETE FROM customer_dict WHERE id = ?`, id); err != nil {
				return err
			}
		}
		for _, q := range []string{
			`DELETE FROM customer_features WHERE customer = ?`,
			`DELETE FROM recommendation_cache WHERE customer = ?`,
		} {
			if err := del(q, string(c)); err != nil {
				return err
			}
		}
		if !existed && total == 0 {
			return shelfwise.Errorf(shelfwise.ENOTFOUND, "no data about this customer")
		}
		_, err = w.c.ExecContext(ctx, `INSERT INTO audit_log(t, action, count) VALUES (?, ?, ?)`,
			toMS(db.Now()), AuditEraseCustomer, total)
		return err
	})
	if err != nil {
		return 0, err
	}
	return total, nil
}

// AuditEraseCustomer is the audit log action of a customer's erasure.
const AuditEraseCustomer = "erase_customer"

// AuditEntry is one row of the privacy audit log.
type AuditEntry struct {
	Time   time.Time
	Action string
	Count  int64
}

// AuditLog returns the privacy audit log, oldest first.
func (db *DB) AuditLog(ctx context.Context) ([]AuditEntry, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT t, action, count FROM audit_log ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var t int64
		if err := rows.Scan(&t, &e.Action, &e.Count); err != nil {
			return nil, err
		}
		e.Time = fromMS(t)
		out = append(out, e)
	}
	return out, rows.Err()
}
