package sqlite

import (
	"context"
	"database/sql"

	"github.com/shelfwise/shelfwise"
)

// skuCond restricts alias x to one SKU when sku is not empty.
func skuCond(sku shelfwise.SKU) *where {
	w := &where{}
	if sku != "" {
		w.add("x.sku_id = (SELECT id FROM sku_dict WHERE code = ?)", string(sku))
	}
	return w
}

// Prices returns the stored shelf prices (of one SKU, or all for ""),
// ordered by SKU, store and start.
func (db *DB) Prices(ctx context.Context, sku shelfwise.SKU) ([]shelfwise.Price, error) {
	w := skuCond(sku)
	rows, err := db.r.QueryContext(ctx, `SELECT s.code, COALESCE(st.code, ''), x.start, x.end, x.price
		FROM prices x JOIN sku_dict s ON s.id = x.sku_id LEFT JOIN store_dict st ON st.id = x.store_id`+w.String()+`
		ORDER BY s.code, st.code, x.start, x.id`, w.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []shelfwise.Price
	for rows.Next() {
		var p shelfwise.Price
		var s, st string
		var start int64
		var end sql.NullInt64
		if err := rows.Scan(&s, &st, &start, &end, &p.Price); err != nil {
			return nil, err
		}
		p.SKU, p.Store, p.Start, p.End = shelfwise.SKU(s), shelfwise.StoreID(st), fromMS(start), fromNullMS(end)
		out = append(out, p)
	}
	return out, rows.Err()
}

// Promotions returns the stored promotions (of one SKU, or all for ""),
// ordered by SKU, store and start. Store-wide promotions (empty SKU) come
// first and are included in every SKU's promotions, since they apply to it.
func (db *DB) Promotions(ctx context.Context, sku shelfwise.SKU) ([]shelfwise.Promotion, error) {
	w := &where{}
	if sku != "" {
		w.add("x.sku_id IN (0, (SELECT id FROM sku_dict WHERE code = ?))", string(sku))
	}
	rows, err := db.r.QueryContext(ctx, `SELECT COALESCE(s.code, ''), COALESCE(st.code, ''), x.start, x.end, x.kind, x.discount, x.value
		FROM promotions x LEFT JOIN sku_dict s ON s.id = x.sku_id LEFT JOIN store_dict st ON st.id = x.store_id`+w.String()+`
		ORDER BY s.code, st.code, x.start, x.id`, w.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []shelfwise.Promotion
	for rows.Next() {
		var p shelfwise.Promotion
		var s, st string
		var start int64
		var end sql.NullInt64
		if err := rows.Scan(&s, &st, &start, &end, &p.Kind, &p.Discount, &p.Value); err != nil {
			return nil, err
		}
		p.SKU, p.Store, p.Start, p.End = shelfwise.SKU(s), shelfwise.StoreID(st), fromMS(start), fromNullMS(end)
		out = append(out, p)
	}
	return out, rows.Err()
}

// StockLevels returns the stored stock levels (of one SKU, or all for ""),
// ordered by SKU, store and time.
func (db *DB) StockLevels(ctx context.Context, sku shelfwise.SKU) ([]shelfwise.StockLevel, error) {
	w := skuCond(sku)
	rows, err := db.r.QueryContext(ctx, `SELECT s.code, COALESCE(st.code, ''), x.t, x.on_hand
		FROM stock_levels x JOIN sku_dict s ON s.id = x.sku_id LEFT JOIN store_dict st ON st.id = x.store_id`+w.String()+`
		ORDER BY s.code, st.code, x.t, x.id`, w.args...)
	return scanStockLevels(rows, err)
}

// stockRanks numbers each product-store's stock levels from the latest
// (k = 1).
const stockRanks = `SELECT sku_id, store_id, t, on_hand,
	ROW_NUMBER() OVER (PARTITION BY sku_id, store_id ORDER BY t DESC, id DESC) AS k FROM stock_levels`

// LatestStockLevels returns each product's latest stock level at each
// store (the last by time, then by arrival), ordered by SKU and store. The
// window runs down the (sku, store, time) index: it sorts at most one
// product-store's levels at a time, never the table.
func (db *DB) LatestStockLevels(ctx context.Context) ([]shelfwise.StockLevel, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT s.code, COALESCE(st.code, ''), y.t, y.on_hand
		FROM (`+stockRanks+`) y
		JOIN sku_dict s ON s.id = y.sku_id LEFT JOIN store_dict st ON st.id = y.store_id
		WHERE y.k = 1 ORDER BY s.code, st.code`)
	return scanStockLevels(rows, err)
}

// scanStockLevels reads the rows (SKU, store, time, on hand) of a stock
// level query that returned err.
func scanStockLevels(rows *sql.Rows, err error) ([]shelfwise.StockLevel, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []shelfwise.StockLevel
	for rows.Next() {
		var l shelfwise.StockLevel
		var s, st string
		var t int64
		if err := rows.Scan(&s, &st, &t, &l.OnHand); err != nil {
			return nil, err
		}
		l.SKU, l.Store, l.Time = shelfwise.SKU(s), shelfwise.StoreID(st), fromMS(t)
		out = append(out, l)
	}
	return out, rows.Err()
}

// Calendar returns the stored calendar events ordered by date.
func (db *DB) Calendar(ctx context.Context) ([]shelfwise.CalendarEvent, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT x.t, x.name, x.type, x.region, COALESCE(st.code, '')
		FROM calendar_events x LEFT JOIN store_dict st ON st.id = x.store_id ORDER BY x.t, x.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []shelfwise.CalendarEvent
	for rows.Next() {
		var c shelfwise.CalendarEvent
		var t int64
		var st string
		if err := rows.Scan(&t, &c.Name, &c.Type, &c.Region, &st); err != nil {
			return nil, err
		}
		c.Date, c.Store = fromMS(t), shelfwise.StoreID(st)
		out = append(out, c)
	}
	return out, rows.Err()
}
