package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/shelfwise/shelfwise"
)

// Hierarchy levels a SeriesQuery may group by, in key order.
var seriesLevels = []struct {
	name string
	expr string // SQL expression over base alias b and joins
	join string
}{
	{"sku", "sd.code", "JOIN sku_dict sd ON sd.id = b.sku_id"},
	{"store", "COALESCE(std.code, '')", "LEFT JOIN store_dict std ON std.id = b.store_id"},
	{"department", "COALESCE(p.department, '')", "LEFT JOIN products p ON p.sku_id = b.sku_id"},
	{"category", "COALESCE(p.category, '')", ""},
	{"subcategory", "COALESCE(p.subcategory, '')", ""},
}

// maxSeriesSteps guards against a stray date turning a series into an
// enormous zero-filled array.
const maxSeriesSteps = 1 << 22

// mondayDay is the day number of Monday 1970-01-05: weeks built from daily
// data start on Mondays.
const mondayDay = 4

// seriesRow is one day (or period) of one series, aggregated over sources.
type seriesRow struct {
	step      int64 // day number, or period index
	v         float64
	psum, pw  float64 // price x weight and weight, over priced rows
	promo     float64
	available bool // some observation that step was on sale
	censored  bool
	weekly    bool // comes from weekly sales points
}

// seriesPlan is a Series query compiled to SQL.
type seriesPlan struct {
	q      shelfwise.SeriesQuery
	levels []bool // by seriesLevels index
	nkeys  int
	sql    string
	args   []any
	bySKU  bool
	store  bool
}

// planSeries compiles q. With parts > 1 the plan covers only partition part
// of the series keys (by SKU id, else store id, modulo parts).
func planSeries(q shelfwise.SeriesQuery, part, parts int) (*seriesPlan, error) {
	if q.Grain == "" {
		q.Grain = shelfwise.GrainDay
	}
	if q.Grain != shelfwise.GrainDay && q.Grain != shelfwise.GrainWeek && q.Grain != shelfwise.GrainPeriod {
		return nil, shelfwise.Errorf(shelfwise.EINVALID, "unknown grain %q (want day, week or period)", q.Grain)
	}
	if q.Measure == "" {
		q.Measure = "units"
	}
	if q.Measure != "units" && q.Measure != "revenue" {
		return nil, shelfwise.Errorf(shelfwise.EINVALID, "unknown measure %q (want units or revenue)", q.Measure)
	}
	p := &seriesPlan{q: q, levels: make([]bool, len(seriesLevels))}
	for _, l := range q.Level {
		found := false
		for i, sl := range seriesLevels {
			if strings.EqualFold(l, sl.name) {
				p.levels[i], found = true, true
			}
		}
		if !found {
			return nil, shelfwise.Errorf(shelfwise.EINVALID, "unknown series level %q (want sku, store, department, category or subcategory)", l)
		}
	}
	p.bySKU, p.store = p.levels[0], p.levels[1]

	// Filters common to both sources.
	var common where
	common.add("sku_id NOT IN " + nonProductSKUs)
	if parts > 1 {
		col := "store_id"
		if p.bySKU {
			col = "sku_id"
		}
		common.add(fmt.Sprintf("%s %% %d = %d", col, parts, part))
	}
	if q.SKU != "" {
		common.add("sku_id = (SELECT id FROM sku_dict WHERE code = ?)", string(q.SKU))
	}
	if q.Store != "" {
		common.add("store_id = (SELECT id FROM store_dict WHERE code = ?)", string(q.Store))
	}
	var base string
	var args []any
	if q.Grain == shelfwise.GrainPeriod {
		base = `SELECT sku_id, store_id, period AS step, ` + pointValue(q.Measure) + ` AS v, price,
			CASE WHEN units > 0 THEN units ELSE 1e-9 END AS pw, max(feature, display, deal) AS promo,
			available AS avail, censored AS cens, 0 AS wk
			FROM sales_points WHERE grain = 2` + common.and()
		args = common.args
	} else {
		lines, points := common, common
		lines.conds = append([]string{"kind = 0"}, lines.conds...)
		pointGrains := "grain = 0"
		if q.Grain == shelfwise.GrainWeek {
			pointGrains = "grain IN (0, 1)"
		}
		points.conds = append([]string{pointGrains}, points.conds...)
		lines.args = append([]any(nil), common.args...)
		points.args = append([]any(nil), common.args...)
		if !q.From.IsZero() {
			lines.add("t >= ?", toMS(q.From))
			points.add("day * 86400000 >= ?", toMS(q.From))
		}
		if !q.To.IsZero() {
			lines.add("t < ?", toMS(q.To))
			points.add("day * 86400000 < ?", toMS(q.To))
		}
		lineValue := "quantity"
		if q.Measure == "revenue" {
			lineValue = "quantity * unit_price"
		}
		base = `SELECT sku_id, store_id, (t - 86399999 * (t < 0)) / 86400000 AS step, ` + lineValue + ` AS v,
			unit_price AS price, quantity AS pw, 0 AS promo, 1 AS avail, 0 AS cens, 0 AS wk
			FROM order_lines` + lines.String() + `
			UNION ALL
			SELECT sku_id, store_id, day, ` + pointValue(q.Measure) + `, price,
			CASE WHEN units > 0 THEN units ELSE 1e-9 END, max(feature, display, deal),
			available, censored, grain = 1
			FROM sales_points` + points.String()
		args = append(lines.args, points.args...)
	}
	var keys, joins []string
	for i, sl := range seriesLevels {
		if !p.levels[i] {
			continue
		}
		keys = append(keys, sl.expr)
		if sl.join != "" {
			joins = append(joins, sl.join)
		} else if !containsProducts(joins) {
			joins = append(joins, seriesLevels[2].join)
		}
	}
	p.nkeys = len(keys)
	sel := strings.Join(append(keys, "b.step"), ", ")
	// Every column read costs, so aggregate levels read only the value and
	// the flags are packed: 1 available, 2 censored, 4 weekly.
	cols := `SUM(b.v), MAX(b.avail) + 2 * MAX(b.cens) + 4 * MAX(b.wk)`
	if p.bySKU {
		cols += `, SUM(CASE WHEN b.price > 0 THEN b.price * b.pw ELSE 0 END),
			SUM(CASE WHEN b.price > 0 THEN b.pw ELSE 0 END), MAX(b.promo)`
	}
	p.sql = `SELECT ` + sel + `, ` + cols + `
		FROM (` + base + `) b ` + strings.Join(joins, " ") + `
		GROUP BY ` + sel + ` ORDER BY ` + sel
	p.args = args
	return p, nil
}

func containsProducts(joins []string) bool {
	for _, j := range joins {
		if strings.Contains(j, "products p") {
			return true
		}
	}
	return false
}

// pointValue is a sales point's value for measure. Units fall back to
// revenue where a point carries only revenue (weekly department sales);
// revenue falls back to units x price.
func pointValue(measure string) string {
	if measure == "revenue" {
		return "CASE WHEN revenue = 0 AND units <> 0 THEN units * price ELSE revenue END"
	}
	return "CASE WHEN units = 0 AND revenue <> 0 THEN revenue ELSE units END"
}

// Series streams regular series at the query's level and grain, one
// callback per series in key order (the level fields in the order sku,
// store, department, category, subcategory). A series runs from its first to
// its last observation, zero-filled between. Sources are sale order lines
// (quantity, or quantity x price for revenue) and sales points; non-product
// lines are skipped. Day series use daily data; week series also take weekly
// sales points and start on the weekday of the series' weekly points, else
// on Mondays; period series come from period-indexed points only (From
// and To do not apply to them).
//
// Where the level includes the SKU, Price holds the average price paid per
// step (then the shelf price from Prices where nothing sold, 0 if unknown),
// Promo the strongest promotion share (feature, display, deal, or 1 under a
// stored Promotion), Available is false on steps whose only observations were
// not on sale, and Censored marks stockouts (flagged points, or a stock level
// at or below zero). Aggregate levels carry Values only.
//
// Reads over many products or stores run key partitions in parallel (see
// seriesmerge.go); fn is always called from the caller's goroutine.
func (db *DB) Series(ctx context.Context, q shelfwise.SeriesQuery, fn func(*shelfwise.Series) error) error {
	p, err := planSeries(q, 0, 1)
	if err != nil {
		return err
	}
	if parts := seriesParts(p); parts > 1 {
		return db.seriesParallel(ctx, q, parts, fn)
	}
	return db.seriesPart(ctx, p, fn)
}

// seriesPart streams the series of one plan.
func (db *DB) seriesPart(ctx context.Context, p *seriesPlan, fn func(*shelfwise.Series) error) error {
	var err error
	var ex *extras
	if p.bySKU {
		if ex, err = db.loadExtrasFlags(ctx); err != nil {
			return err
		}
	}
	rows, err := db.r.QueryContext(ctx, p.sql, p.args...)
	if err != nil {
		return fmt.Errorf("series: %w", err)
	}
	defer rows.Close()
	raw := make([]sql.RawBytes, p.nkeys)
	cur := make([]string, p.nkeys)
	dest := make([]any, 0, p.nkeys+6)
	for i := range raw {
		dest = append(dest, &raw[i])
	}
	var r seriesRow
	var flags int64
	dest = append(dest, &r.step, &r.v, &flags)
	if p.bySKU {
		dest = append(dest, &r.psum, &r.pw, &r.promo)
	}
	var buf []seriesRow
	started := false
	emit := func() error {
		s, err := p.build(cur, buf)
		if err != nil {
			return err
		}
		if ex != nil {
			if err := db.fillExtras(ctx, ex, p, s); err != nil {
				return err
			}
		}
		return fn(s)
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		r.available, r.censored, r.weekly = flags&1 != 0, flags&2 != 0, flags&4 != 0
		same := started
		for i := range raw {
			if same && !bytes.Equal(raw[i], []byte(cur[i])) {
				same = false
			}
		}
		if !same {
			if started {
				if err := emit(); err != nil {
					return err
				}
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			for i := range raw {
				cur[i] = string(raw[i])
			}
			buf, started = buf[:0], true
		}
		buf = append(buf, r)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if started {
		return emit()
	}
	return nil
}

// key builds the SeriesKey from the key column values.
func (p *seriesPlan) key(vals []string) shelfwise.SeriesKey {
	var k shelfwise.SeriesKey
	j := 0
	for i := range seriesLevels {
		if !p.levels[i] {
			continue
		}
		v := vals[j]
		j++
		switch i {
		case 0:
			k.SKU = shelfwise.SKU(v)
		case 1:
			k.Store = shelfwise.StoreID(v)
		case 2:
			k.Department = v
		case 3:
			k.Category = v
		case 4:
			k.Subcategory = v
		}
	}
	return k
}

// build turns one series' rows (ordered by step) into a regular Series.
func (p *seriesPlan) build(keyVals []string, rows []seriesRow) (*shelfwise.Series, error) {
	s := &shelfwise.Series{Key: p.key(keyVals), Grain: p.q.Grain}
	bucket := func(step int64) int64 { return step }
	var origin int64
	switch p.q.Grain {
	case shelfwise.GrainWeek:
		anchor := int64(mondayDay)
		for _, r := range rows {
			if r.weekly {
				anchor = r.step - 7*floorDiv(r.step, 7)
				break
			}
		}
		bucket = func(step int64) int64 { return floorDiv(step-anchor, 7) }
		origin = anchor
	}
	first, last := bucket(rows[0].step), bucket(rows[len(rows)-1].step)
	n := last - first + 1
	if n > maxSeriesSteps {
		return nil, fmt.Errorf("series %s spans %d steps (more than %d): check the data's dates", s.Key, n, maxSeriesSteps)
	}
	switch p.q.Grain {
	case shelfwise.GrainDay:
		s.Start = dayTime(first)
	case shelfwise.GrainWeek:
		s.Start = dayTime(origin + 7*first)
	case shelfwise.GrainPeriod:
		s.StartPeriod = int(first)
	}
	s.Values = make([]float64, n)
	if !p.bySKU {
		for _, r := range rows {
			s.Values[bucket(r.step)-first] += r.v
		}
		return s, nil
	}
	psum := make([]float64, n)
	pw := make([]float64, n)
	promo := make([]float64, n)
	seen := make([]bool, n)
	avail := make([]bool, n)
	cens := make([]bool, n)
	anyPromo, anyUnavail, anyCens := false, false, false
	for _, r := range rows {
		i := bucket(r.step) - first
		s.Values[i] += r.v
		psum[i] += r.psum
		pw[i] += r.pw
		promo[i] = max(promo[i], r.promo)
		seen[i] = true
		avail[i] = avail[i] || r.available
		cens[i] = cens[i] || r.censored
		anyPromo = anyPromo || r.promo > 0
		anyCens = anyCens || r.censored
	}
	s.Price = make([]float64, n)
	for i := range s.Price {
		if pw[i] > 0 {
			s.Price[i] = psum[i] / pw[i]
		}
		if seen[i] && !avail[i] {
			anyUnavail = true
		}
	}
	if anyPromo {
		s.Promo = promo
	}
	if anyUnavail {
		for i := range avail {
			avail[i] = avail[i] || !seen[i]
		}
		s.Available = avail
	}
	if anyCens {
		s.Censored = cens
	}
	return s, nil
}

// extras fills SKU-level series from the Prices, Promotions and StockLevels
// tables. Series arrive in SKU order, so it loads one SKU's rows (every
// store) at a time and reuses them for that SKU's store series.
type extras struct {
	prices, promotions, stock bool // which tables can fill anything

	sku       string
	loaded    bool
	priceRows []span
	promoRows []span
	stockouts []span // start = time of a reading at or below zero
}

// span is a row valid over [start, end) at a store ("" = every store).
type span struct {
	store string
	start int64
	end   sql.NullInt64
	value float64
}

func (db *DB) loadExtrasFlags(ctx context.Context) (*extras, error) {
	var e extras
	err := db.r.QueryRowContext(ctx, `SELECT EXISTS(SELECT 1 FROM prices), EXISTS(SELECT 1 FROM promotions),
		EXISTS(SELECT 1 FROM stock_levels WHERE on_hand <= 0)`).Scan(&e.prices, &e.promotions, &e.stock)
	return &e, err
}

// load reads the rows of one SKU, unless they are already loaded.
func (e *extras) load(ctx context.Context, db *DB, sku string) error {
	if e.loaded && e.sku == sku {
		return nil
	}
	e.sku, e.loaded = sku, false
	read := func(on bool, query string, dst []span) ([]span, error) {
		dst = dst[:0]
		if !on {
			return dst, nil
		}
		rows, err := db.r.QueryContext(ctx, query, sku)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var r span
			if err := rows.Scan(&r.store, &r.start, &r.end, &r.value); err != nil {
				return nil, err
			}
			dst = append(dst, r)
		}
		return dst, rows.Err()
	}
	const from = ` x LEFT JOIN store_dict st ON st.id = x.store_id
		WHERE x.sku_id = (SELECT id FROM sku_dict WHERE code = ?)`
	// Store-wide promotions (sku_id 0) apply to every product.
	const promoFrom = ` x LEFT JOIN store_dict st ON st.id = x.store_id
		WHERE x.sku_id IN (0, (SELECT id FROM sku_dict WHERE code = ?))`
	var err error
	if e.priceRows, err = read(e.prices, `SELECT COALESCE(st.code, ''), x.start, x.end, x.price FROM prices`+from, e.priceRows); err != nil {
		return err
	}
	if e.promoRows, err = read(e.promotions, `SELECT COALESCE(st.code, ''), x.start, x.end, 1 FROM promotions`+promoFrom, e.promoRows); err != nil {
		return err
	}
	if e.stockouts, err = read(e.stock, `SELECT COALESCE(st.code, ''), x.t, NULL, x.on_hand FROM stock_levels`+from+` AND x.on_hand <= 0`, e.stockouts); err != nil {
		return err
	}
	e.loaded = true
	return nil
}

// stepOf returns the index of the series step holding time t (it may fall
// outside [0, len)).
func stepOf(s *shelfwise.Series, t time.Time) int64 {
	d := floorDiv(t.Sub(s.Start).Milliseconds(), msPerDay)
	if s.Grain == shelfwise.GrainWeek {
		return floorDiv(d, 7)
	}
	return d
}

// fillExtras completes a SKU-level series from the Prices, Promotions and
// StockLevels tables (a store-level key uses its store's rows and chain-wide
// rows; a chain-level key uses every store's).
func (db *DB) fillExtras(ctx context.Context, ex *extras, p *seriesPlan, s *shelfwise.Series) error {
	if s.Grain == shelfwise.GrainPeriod {
		return nil
	}
	if err := ex.load(ctx, db, string(s.Key.SKU)); err != nil {
		return err
	}
	applies := func(r span) bool { return !p.store || r.store == "" || r.store == string(s.Key.Store) }
	n := int64(len(s.Values))
	if len(ex.priceRows) > 0 && hasUnpriced(s.Price) {
		sum := make([]float64, n)
		cnt := make([]float64, n)
		for _, r := range ex.priceRows {
			if !applies(r) {
				continue
			}
			lo, hi := stepRange(s, r.start, r.end, true)
			for i := max(lo, 0); i < min(hi, n); i++ {
				sum[i] += r.value
				cnt[i]++
			}
		}
		for i := range s.Price {
			if s.Price[i] == 0 && cnt[i] > 0 {
				s.Price[i] = sum[i] / cnt[i]
			}
		}
	}
	for _, r := range ex.promoRows {
		if !applies(r) {
			continue
		}
		lo, hi := stepRange(s, r.start, r.end, false)
		for i := max(lo, 0); i < min(hi, n); i++ {
			if s.Promo == nil {
				s.Promo = make([]float64, n)
			}
			s.Promo[i] = 1
		}
	}
	for _, r := range ex.stockouts {
		if !applies(r) {
			continue
		}
		if i := stepOf(s, fromMS(r.start)); i >= 0 && i < n {
			if s.Censored == nil {
				s.Censored = make([]bool, n)
			}
			s.Censored[i] = true
		}
	}
	return nil
}

// stepRange returns the steps [lo, hi) of s that a validity interval
// [start, end) (ms; NULL end = open) concerns: with atStart, the steps
// whose start lies in it (a shelf price in force when the step begins);
// otherwise every step it overlaps (a promotion running some of the step).
func stepRange(s *shelfwise.Series, start int64, end sql.NullInt64, atStart bool) (int64, int64) {
	step := int64(msPerDay)
	if s.Grain == shelfwise.GrainWeek {
		step *= 7
	}
	origin := toMS(s.Start)
	ceilDiv := func(a int64) int64 { return -floorDiv(-a, step) }
	lo, hi := ceilDiv(start-origin), int64(len(s.Values))
	if !atStart {
		lo = floorDiv(start-origin, step)
	}
	if end.Valid {
		hi = ceilDiv(end.Int64 - origin)
	}
	return lo, hi
}

func hasUnpriced(p []float64) bool {
	for _, x := range p {
		if x == 0 {
			return true
		}
	}
	return false
}
