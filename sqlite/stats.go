package sqlite

import (
	"context"
	"database/sql"

	"github.com/shelfwise/shelfwise"
)

// Stats summarises what the store holds. Products, Stores and Customers
// count every distinct SKU, store and customer pseudonym the data mentions
// (catalogue or not); Series counts product x store pairs with order lines or
// sales points; Imports counts completed imports. FirstTime and LastTime span
// order lines, events and sales points.
func (db *DB) Stats(ctx context.Context) (shelfwise.Stats, error) {
	var s shelfwise.Stats
	var minT, maxT, minE, maxE, minD, maxD sql.NullInt64
	err := db.r.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM sku_dict),
		(SELECT COUNT(*) FROM store_dict),
		(SELECT COUNT(*) FROM customer_dict),
		(SELECT COUNT(*) FROM order_lines),
		(SELECT COUNT(*) FROM invoice_dict),
		(SELECT COUNT(*) FROM events),
		(SELECT COUNT(*) FROM sessions),
		(SELECT COUNT(*) FROM sales_points),
		(SELECT COUNT(*) FROM (
			SELECT sku_id, store_id FROM order_lines WHERE sku_id NOT IN `+nonProductSKUs+` GROUP BY sku_id, store_id
			UNION
			SELECT sku_id, store_id FROM sales_points WHERE sku_id NOT IN `+nonProductSKUs+` GROUP BY sku_id, store_id)),
		(SELECT COUNT(*) FROM prices),
		(SELECT COUNT(*) FROM promotions),
		(SELECT COUNT(*) FROM stock_levels),
		(SELECT COUNT(*) FROM calendar_events),
		(SELECT COUNT(*) FROM covariates),
		(SELECT COUNT(*) FROM imports WHERE report IS NOT NULL),
		(SELECT MIN(t) FROM order_lines), (SELECT MAX(t) FROM order_lines),
		(SELECT MIN(t) FROM events), (SELECT MAX(t) FROM events),
		(SELECT MIN(day) FROM sales_points), (SELECT MAX(day) FROM sales_points)`).Scan(
		&s.Products, &s.Stores, &s.Customers, &s.OrderLines, &s.Invoices, &s.Events, &s.Sessions,
		&s.SalesPoints, &s.Series, &s.Prices, &s.Promotions, &s.StockLevels, &s.CalendarDays, &s.Covariates, &s.Imports,
		&minT, &maxT, &minE, &maxE, &minD, &maxD)
	if err != nil {
		return s, err
	}
	if minD.Valid {
		minD.Int64 *= msPerDay
		maxD.Int64 *= msPerDay
	}
	lo, hi := int64(0), int64(0)
	found := false
	for _, p := range [][2]sql.NullInt64{{minT, maxT}, {minE, maxE}, {minD, maxD}} {
		if !p[0].Valid {
			continue
		}
		if !found || p[0].Int64 < lo {
			lo = p[0].Int64
		}
		if !found || p[1].Int64 > hi {
			hi = p[1].Int64
		}
		found = true
	}
	if found {
		s.FirstTime, s.LastTime = fromMS(lo), fromMS(hi)
	}
	return s, nil
}
