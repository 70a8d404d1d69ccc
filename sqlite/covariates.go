package sqlite

import (
	"context"
	"fmt"

	"github.com/shelfwise/shelfwise"
)

var _ shelfwise.CovariateSink = (*importTx)(nil)

// AddCovariates appends covariates (temperature, CPI, markdowns...). They go
// through the same writer goroutine and batched inserter as the fact
// tables, so they commit or roll back with the rest of the import.
func (t *importTx) AddCovariates(ctx context.Context, cs []shelfwise.Covariate) error {
	return enqueue(ctx, t, cs, &t.covs, checkCovariate, t.w.addCovariates)
}

var covariateCols = []string{"import_id", "name_id", "store_id", "sku_id", "t", "value"}

func (w *writer) addCovariates(ctx context.Context, cs []shelfwise.Covariate) error {
	if err := checkAll(cs, checkCovariate); err != nil {
		return err
	}
	b := w.inserter("covariates", covariateCols...)
	if err := w.skus.prefetch(ctx, w, len(cs), func(i int) string { return string(cs[i].SKU) }); err != nil {
		return err
	}
	for i := range cs {
		c := &cs[i]
		name, err := w.covNames.id(ctx, w, c.Name)
		if err != nil {
			return err
		}
		sku, store, err := w.skuStore(ctx, c.SKU, c.Store)
		if err != nil {
			return err
		}
		b.buf = append(b.buf, w.importID, name, store, sku, toMS(c.Date), c.Value)
		if err := b.add(ctx); err != nil {
			return err
		}
	}
	return nil
}

func checkCovariate(i int, c *shelfwise.Covariate) error {
	if c.Name == "" {
		return invalid("covariate %d: missing name", i)
	}
	if err := needTime(fmt.Sprintf("covariate %d (%s)", i, c.Name), c.Date); err != nil {
		return err
	}
	return finite("covariate "+c.Name, c.Value)
}

// covariateWhere turns a CovariateQuery into conditions on covariates
// alias x. A store or SKU keeps the rows recorded for it and the rows that
// apply to every store or product (id 0).
func covariateWhere(q shelfwise.CovariateQuery) *where {
	w := &where{}
	if len(q.Names) > 0 {
		args := make([]any, len(q.Names))
		for i, n := range q.Names {
			args[i] = n
		}
		w.add("x.name_id IN (SELECT id FROM covariate_dict WHERE code IN "+inList(len(args))+")", args...)
	}
	if q.Store != "" {
		w.add("x.store_id IN (0, (SELECT id FROM store_dict WHERE code = ?))", string(q.Store))
	}
	if q.SKU != "" {
		w.add("x.sku_id IN (0, (SELECT id FROM sku_dict WHERE code = ?))", string(q.SKU))
	}
	if !q.From.IsZero() {
		w.add("x.t >= ?", toMS(q.From))
	}
	if !q.To.IsZero() {
		w.add("x.t < ?", toMS(q.To))
	}
	return w
}

// Covariates returns the stored covariates matching q, ordered by name,
// store, SKU and date (chain-wide rows, with an empty store or SKU, first).
func (db *DB) Covariates(ctx context.Context, q shelfwise.CovariateQuery) ([]shelfwise.Covariate, error) {
	w := covariateWhere(q)
	rows, err := db.r.QueryContext(ctx, `SELECT n.code, COALESCE(st.code, ''), COALESCE(s.code, ''), x.t, x.value
		FROM covariates x JOIN covariate_dict n ON n.id = x.name_id
		LEFT JOIN store_dict st ON st.id = x.store_id LEFT JOIN sku_dict s ON s.id = x.sku_id`+w.String()+`
		ORDER BY n.code, st.code, s.code, x.t, x.id`, w.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []shelfwise.Covariate
	var name, store, sku string
	for rows.Next() {
		var c shelfwise.Covariate
		var t int64
		if err := rows.Scan(&name, &store, &sku, &t, &c.Value); err != nil {
			return nil, err
		}
		c.Name, c.Store, c.SKU, c.Date = name, shelfwise.StoreID(store), shelfwise.SKU(sku), fromMS(t)
		out = append(out, c)
		if len(out)%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
	}
	return out, rows.Err()
}
