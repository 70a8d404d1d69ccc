package sqlite

import (
	"strings"

	"github.com/shelfwise/shelfwise"
)

// where collects SQL conditions and their arguments.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// String renders " WHERE a AND b", or "" without conditions.
func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// and renders " AND a AND b", or "".
func (w *where) and() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " AND " + strings.Join(w.conds, " AND ")
}

// inList renders "(?, ?, ?)" for n values.
func inList(n int) string {
	return "(" + strings.TrimSuffix(strings.Repeat("?,", n), ",") + ")"
}

// nonProductSKUs is the subquery of SKU ids flagged as non-products.
const nonProductSKUs = `(SELECT sku_id FROM products WHERE non_product = 1)`

// orderWhere turns an OrderFilter into conditions on order_lines alias l.
func orderWhere(f shelfwise.OrderFilter) (*where, error) {
	w := &where{}
	if !f.From.IsZero() {
		w.add("l.t >= ?", toMS(f.From))
	}
	if !f.To.IsZero() {
		w.add("l.t < ?", toMS(f.To))
	}
	if f.Customer != "" {
		// "<> 0" lets SQLite use the partial customer index.
		w.add("l.customer_id = (SELECT id FROM customer_dict WHERE code = ?) AND l.customer_id <> 0", string(f.Customer))
	}
	if f.SKU != "" {
		w.add("l.sku_id = (SELECT id FROM sku_dict WHERE code = ?)", string(f.SKU))
	}
	if f.Store != "" {
		w.add("l.store_id = (SELECT id FROM store_dict WHERE code = ?)", string(f.Store))
	}
	if len(f.Kinds) > 0 {
		args := make([]any, len(f.Kinds))
		for i, k := range f.Kinds {
			if k == "" {
				return nil, shelfwise.Errorf(shelfwise.EINVALID, "empty line kind in filter")
			}
			c, err := kindCode(k)
			if err != nil {
				return nil, err
			}
			args[i] = c
		}
		w.add("l.kind IN "+inList(len(args)), args...)
	}
	if f.ProductsOnly {
		w.add("l.sku_id NOT IN " + nonProductSKUs)
	}
	return w, nil
}
