package sqlite

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/shelfwise/shelfwise"
)

// Interactions aggregates, per customer x product within [q.From, q.To),
// the sale lines (Lines), the net quantity of sales and returns (Quantity)
// and, with q.WithEvents, the views and add-to-carts of behaviour events.
// FirstTime and LastTime span the sale lines, or every counted row where a
// pair has no sale. Anonymous rows and non-product lines (postage, fees) are
// skipped. The result is ordered by customer, then SKU. Customers are split
// into partitions aggregated in parallel.
func (db *DB) Interactions(ctx context.Context, q shelfwise.InteractionQuery) ([]shelfwise.Interaction, error) {
	skus, err := queryCodes(ctx, db.r, "sku_dict")
	if err != nil {
		return nil, err
	}
	custs, err := queryCodes(ctx, db.r, "customer_dict")
	if err != nil {
		return nil, err
	}
	parts := min(runtime.GOMAXPROCS(0), maxSeriesParts)
	outs := make([][]shelfwise.Interaction, parts)
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for k := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[k], errs[k] = db.interactionsPart(ctx, q, k, parts, skus, custs)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	out := slices.Concat(outs...)
	slices.SortFunc(out, func(a, b shelfwise.Interaction) int {
		if c := strings.Compare(string(a.Customer), string(b.Customer)); c != 0 {
			return c
		}
		return strings.Compare(string(a.SKU), string(b.SKU))
	})
	return out, nil
}

// interactionsPart aggregates the customers with id % parts == part.
func (db *DB) interactionsPart(ctx context.Context, q shelfwise.InteractionQuery, part, parts int, skus, custs map[int64]string) ([]shelfwise.Interaction, error) {
	var w where
	w.add(fmt.Sprintf("customer_id %% %d = %d", parts, part))
	if !q.From.IsZero() {
		w.add("t >= ?", toMS(q.From))
	}
	if !q.To.IsZero() {
		w.add("t < ?", toMS(q.To))
	}
	query := `SELECT customer_id AS c, sku_id AS s, kind = 0 AS sale, quantity AS q, 0 AS views, 0 AS carts, t
		FROM order_lines WHERE customer_id <> 0 AND kind IN (0, 1) AND sku_id NOT IN ` + nonProductSKUs + w.and()
	args := slices.Clone(w.args)
	if q.WithEvents {
		query += ` UNION ALL SELECT customer_id, sku_id, 0, 0, type = 1, type = 3, t
		FROM events WHERE customer_id <> 0 AND sku_id <> 0 AND type IN (1, 3)` + w.and()
		args = append(args, w.args...)
	}
	rows, err := db.r.QueryContext(ctx, `WITH x AS (`+query+`)
		SELECT x.c, x.s, SUM(x.sale), SUM(x.q), SUM(x.views), SUM(x.carts),
			COALESCE(MIN(CASE WHEN x.sale THEN x.t END), MIN(x.t)),
			COALESCE(MAX(CASE WHEN x.sale THEN x.t END), MAX(x.t))
		FROM x GROUP BY x.c, x.s`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []shelfwise.Interaction
	for rows.Next() {
		var it shelfwise.Interaction
		var c, s, first, last int64
		if err := rows.Scan(&c, &s, &it.Lines, &it.Quantity, &it.Views, &it.Carts, &first, &last); err != nil {
			return nil, err
		}
		it.Customer, it.SKU = shelfwise.CustomerKey(custs[c]), shelfwise.SKU(skus[s])
		it.FirstTime, it.LastTime = fromMS(first), fromMS(last)
		out = append(out, it)
	}
	return out, rows.Err()
}
