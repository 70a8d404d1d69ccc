package sqlite

import (
	"context"

	"github.com/shelfwise/shelfwise"
)

// OrderLines streams the order lines matching f in time order (ties in
// insertion order). Times come back in UTC.
func (db *DB) OrderLines(ctx context.Context, f shelfwise.OrderFilter, fn func(shelfwise.OrderLine) error) error {
	w, err := orderWhere(f)
	if err != nil {
		return err
	}
	rows, err := db.r.QueryContext(ctx, `SELECT l.t, COALESCE(i.code, ''), COALESCE(st.code, ''), COALESCE(c.code, ''),
			s.code, l.quantity, l.unit_price, l.discount, l.kind, COALESCE(co.code, '')
		FROM order_lines l
		JOIN sku_dict s ON s.id = l.sku_id
		LEFT JOIN invoice_dict i ON i.id = l.invoice_id
		LEFT JOIN store_dict st ON st.id = l.store_id
		LEFT JOIN customer_dict c ON c.id = l.customer_id
		LEFT JOIN country_dict co ON co.id = l.country_id`+w.String()+`
		ORDER BY l.t, l.id`, w.args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var (
		t          int64
		kind       int64
		inv, store string
		cust, sku  string
	)
	for rows.Next() {
		var l shelfwise.OrderLine
		if err := rows.Scan(&t, &inv, &store, &cust, &sku, &l.Quantity, &l.UnitPrice, &l.Discount, &kind, &l.Country); err != nil {
			return err
		}
		l.Time = fromMS(t)
		l.Invoice, l.Store, l.Customer, l.SKU = shelfwise.InvoiceID(inv), shelfwise.StoreID(store), shelfwise.CustomerKey(cust), shelfwise.SKU(sku)
		l.Kind = kindOf(kind)
		if err := fn(l); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Baskets streams the invoices among the lines matching f, in the order of
// their first line's time, each with its distinct SKUs in first-seen order.
// Lines without an invoice form no basket. The basket's customer, store and
// time are those of its first line.
func (db *DB) Baskets(ctx context.Context, f shelfwise.OrderFilter, fn func(shelfwise.Basket) error) error {
	w, err := orderWhere(f)
	if err != nil {
		return err
	}
	w.add("l.invoice_id <> 0")
	rows, err := db.r.QueryContext(ctx, `WITH x AS (
			SELECT l.id, l.invoice_id, l.t, l.customer_id, l.store_id, l.sku_id,
				MIN(l.t) OVER (PARTITION BY l.invoice_id) AS t0
			FROM order_lines l`+w.String()+`)
		SELECT x.invoice_id, i.code, x.t0, COALESCE(c.code, ''), COALESCE(st.code, ''), s.code
		FROM x
		JOIN invoice_dict i ON i.id = x.invoice_id
		JOIN sku_dict s ON s.id = x.sku_id
		LEFT JOIN customer_dict c ON c.id = x.customer_id
		LEFT JOIN store_dict st ON st.id = x.store_id
		ORDER BY x.t0, x.invoice_id, x.t, x.id`, w.args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var (
		cur  shelfwise.Basket
		curI int64 = -1
		seen       = map[shelfwise.SKU]bool{}
	)
	for rows.Next() {
		var id, t0 int64
		var inv, cust, store, sku string
		if err := rows.Scan(&id, &inv, &t0, &cust, &store, &sku); err != nil {
			return err
		}
		if id != curI {
			if curI >= 0 {
				if err := fn(cur); err != nil {
					return err
				}
			}
			curI = id
			cur = shelfwise.Basket{Invoice: shelfwise.InvoiceID(inv), Customer: shelfwise.CustomerKey(cust),
				Store: shelfwise.StoreID(store), Time: fromMS(t0)}
			clear(seen)
		}
		if s := shelfwise.SKU(sku); !seen[s] {
			seen[s] = true
			cur.SKUs = append(cur.SKUs, s)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if curI >= 0 {
		return fn(cur)
	}
	return nil
}

// Interactions aggregates, per customer x product within [q.From, q.To),
// the sale lines (Lines), the net quantity of sales and returns (Quantity)
// and, with q.WithEvents, the views and add-to-carts of behaviour events.
// FirstTime and LastTime span the sale lines, or every counted row where a
// pair has no sale. Anonymous rows and non-product lines (postage, fees) are
// skipped. The result is ordered by customer, then SKU.
func (db *DB) Interactions(ctx context.Context, q shelfwise.InteractionQuery) ([]shelfwise.Interaction, error) {
	var lw, ew where
	if !q.From.IsZero() {
		lw.add("t >= ?", toMS(q.From))
	}
	if !q.To.IsZero() {
		lw.add("t < ?", toMS(q.To))
	}
	ew.conds = lw.conds
	query := `SELECT customer_id AS c, sku_id AS s, kind = 0 AS sale, quantity AS q, 0 AS views, 0 AS carts, t
		FROM order_lines WHERE customer_id <> 0 AND kind IN (0, 1) AND sku_id NOT IN ` + nonProductSKUs + lw.and()
	args := append([]any(nil), lw.args...)
	if q.WithEvents {
		query += ` UNION ALL SELECT customer_id, sku_id, 0, 0, type = 1, type = 3, t
		FROM events WHERE customer_id <> 0 AND sku_id <> 0 AND type IN (1, 3)` + ew.and()
		args = append(args, lw.args...)
	}
	rows, err := db.r.QueryContext(ctx, `WITH x AS (`+query+`)
		SELECT cd.code, sd.code, SUM(x.sale), SUM(x.q), SUM(x.views), SUM(x.carts),
			COALESCE(MIN(CASE WHEN x.sale THEN x.t END), MIN(x.t)),
			COALESCE(MAX(CASE WHEN x.sale THEN x.t END), MAX(x.t))
		FROM x JOIN customer_dict cd ON cd.id = x.c JOIN sku_dict sd ON sd.id = x.s
		GROUP BY x.c, x.s
		ORDER BY cd.code, sd.code`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []shelfwise.Interaction
	for rows.Next() {
		var it shelfwise.Interaction
		var c, s string
		var first, last int64
		if err := rows.Scan(&c, &s, &it.Lines, &it.Quantity, &it.Views, &it.Carts, &first, &last); err != nil {
			return nil, err
		}
		it.Customer, it.SKU = shelfwise.CustomerKey(c), shelfwise.SKU(s)
		it.FirstTime, it.LastTime = fromMS(first), fromMS(last)
		out = append(out, it)
	}
	return out, rows.Err()
}
