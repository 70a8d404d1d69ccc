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
// into partitions aggregated in parallel; lines committed meanwhile are
// counted under their own codes or, if they came too late for a partition,
// not at all.
func (db *DB) Interactions(ctx context.Context, q shelfwise.InteractionQuery) ([]shelfwise.Interaction, error) {
	skus, err := queryCodes(ctx, db.r, "sku_dict")
	if err != nil {
		return nil, err
	}
	custs, err := queryCodes(ctx, db.r, "customer_dict")
	if err != nil {
		return nil, err
	}
	if interactionsHook != nil {
		interactionsHook()
	}
	parts := min(runtime.GOMAXPROCS(0), maxSeriesParts)
	outs := make([][]codedInteraction, parts)
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for k := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[k], errs[k] = db.interactionsPart(ctx, q, k, parts)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	coded := slices.Concat(outs...)
	// Lines committed after the dictionaries were read may name a customer
	// or product they lack: read them again (codes are added, not changed),
	// and leave out a customer erased meanwhile.
	for _, c := range coded {
		_, okC := custs[c.c]
		_, okS := skus[c.s]
		if !okC || !okS {
			if skus, err = queryCodes(ctx, db.r, "sku_dict"); err != nil {
				return nil, err
			}
			if custs, err = queryCodes(ctx, db.r, "customer_dict"); err != nil {
				return nil, err
			}
			break
		}
	}
	out := make([]shelfwise.Interaction, 0, len(coded))
	for _, c := range coded {
		cust, okC := custs[c.c]
		sku, okS := skus[c.s]
		if !okC || !okS {
			continue
		}
		c.it.Customer, c.it.SKU = shelfwise.CustomerKey(cust), shelfwise.SKU(sku)
		out = append(out, c.it)
	}
	slices.SortFunc(out, func(a, b shelfwise.Interaction) int {
		if c := strings.Compare(string(a.Customer), string(b.Customer)); c != 0 {
			return c
		}
		return strings.Compare(string(a.SKU), string(b.SKU))
	})
	return out, nil
}

// interactionsHook, when set (by tests), runs between the dictionary reads
// and the aggregation of Interactions.
var interactionsHook func()

// codedInteraction is an Interaction with its customer and product ids,
// before their codes are looked up.
type codedInteraction struct {
	c, s int64
	it   shelfwise.Interaction
}

// interactionsPart aggregates the customers with id % parts == part.
func (db *DB) interactionsPart(ctx context.Context, q shelfwise.InteractionQuery, part, parts int) ([]codedInteraction, error) {
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
	var out []codedInteraction
	for rows.Next() {
		var c codedInteraction
		var first, last int64
		if err := rows.Scan(&c.c, &c.s, &c.it.Lines, &c.it.Quantity, &c.it.Views, &c.it.Carts, &first, &last); err != nil {
			return nil, err
		}
		c.it.FirstTime, c.it.LastTime = fromMS(first), fromMS(last)
		out = append(out, c)
	}
	return out, rows.Err()
}
