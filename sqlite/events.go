package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/shelfwise/shelfwise"
)

// Events streams the behaviour events matching f in time order (ties in
// insertion order).
func (db *DB) Events(ctx context.Context, f shelfwise.EventFilter, fn func(shelfwise.Event) error) error {
	var w where
	if !f.From.IsZero() {
		w.add("e.t >= ?", toMS(f.From))
	}
	if !f.To.IsZero() {
		w.add("e.t < ?", toMS(f.To))
	}
	if f.Customer != "" {
		w.add("e.customer_id = (SELECT id FROM customer_dict WHERE code = ?) AND e.customer_id <> 0", string(f.Customer))
	}
	if f.Session != "" {
		w.add("e.session_id = (SELECT id FROM session_dict WHERE code = ?)", string(f.Session))
	}
	if len(f.Types) > 0 {
		args := make([]any, len(f.Types))
		for i, t := range f.Types {
			c, err := eventCode(t)
			if err != nil {
				return err
			}
			args[i] = c
		}
		w.add("e.type IN "+inList(len(args)), args...)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT e.t, COALESCE(se.code, ''), COALESCE(c.code, ''), e.type,
			COALESCE(s.code, ''), e.query, e.quantity, e.price, COALESCE(st.code, '')
		FROM events e
		LEFT JOIN session_dict se ON se.id = e.session_id
		LEFT JOIN customer_dict c ON c.id = e.customer_id
		LEFT JOIN sku_dict s ON s.id = e.sku_id
		LEFT JOIN store_dict st ON st.id = e.store_id`+w.String()+`
		ORDER BY e.t, e.id`, w.args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var e shelfwise.Event
		var t, typ int64
		var sess, cust, sku, store string
		if err := rows.Scan(&t, &sess, &cust, &typ, &sku, &e.Query, &e.Quantity, &e.Price, &store); err != nil {
			return err
		}
		e.Time, e.Type = fromMS(t), eventTypeOf(typ)
		e.Session, e.Customer = shelfwise.SessionID(sess), shelfwise.CustomerKey(cust)
		e.SKU, e.Store = shelfwise.SKU(sku), shelfwise.StoreID(store)
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Sessions streams the summarised sessions in the order they were stored.
func (db *DB) Sessions(ctx context.Context, fn func(shelfwise.Session) error) error {
	rows, err := db.r.QueryContext(ctx, `SELECT COALESCE(se.code, ''), COALESCE(c.code, ''), s.start,
			s.features, s.categorical, s.purchased
		FROM sessions s
		LEFT JOIN session_dict se ON se.id = s.session_id
		LEFT JOIN customer_dict c ON c.id = s.customer_id
		ORDER BY s.id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var s shelfwise.Session
		var id, cust, feats, cats string
		var start sql.NullInt64
		if err := rows.Scan(&id, &cust, &start, &feats, &cats, &s.Purchased); err != nil {
			return err
		}
		s.ID, s.Customer, s.Start = shelfwise.SessionID(id), shelfwise.CustomerKey(cust), fromNullMS(start)
		if s.Features, err = jsonMap[float64](feats); err != nil {
			return fmt.Errorf("session %s features: %w", id, err)
		}
		if s.Categorical, err = jsonMap[string](cats); err != nil {
			return fmt.Errorf("session %s categorical: %w", id, err)
		}
		if err := fn(s); err != nil {
			return err
		}
	}
	return rows.Err()
}
