package sqlite

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strings"
)

// zeroID is the boxed id of the empty value in every dictionary.
var zeroID any = int64(0)

// dict maps the codes of one dictionary table (SKUs, customers, invoices...)
// to ids within a write transaction, creating missing codes. Ids are cached
// boxed, so appending them to an argument list allocates nothing. The cache
// is bounded: past max entries it starts over, so memory stays bounded on
// imports with millions of invoices.
type dict struct {
	table    string
	max      int
	m        map[string]any
	lastCode string
	lastID   any
	next     int64 // next id to assign; 0 until read from the table
	miss     []string
	seen     map[string]struct{}
}

func newDict(table string, max int) *dict {
	return &dict{table: table, max: max, m: make(map[string]any), seen: make(map[string]struct{})}
}

// id returns the id of code, creating it; the empty code is id 0.
func (d *dict) id(ctx context.Context, w *writer, code string) (any, error) {
	if code == "" {
		return zeroID, nil
	}
	if d.lastID != nil && code == d.lastCode {
		return d.lastID, nil
	}
	v, ok := d.m[code]
	if !ok {
		if err := d.resolve(ctx, w, []string{code}); err != nil {
			return nil, err
		}
		v = d.m[code]
	}
	d.lastCode, d.lastID = code, v
	return v, nil
}

// prefetch caches the codes of n records (code(i) for i < n) in a few
// statements, so that the per-record id calls that follow all hit the
// cache.
func (d *dict) prefetch(ctx context.Context, w *writer, n int, code func(i int) string) error {
	if len(d.m)+n > d.max {
		clear(d.m)
		d.lastCode, d.lastID = "", nil
	}
	miss := d.miss[:0]
	clear(d.seen)
	last := ""
	for i := 0; i < n; i++ {
		c := code(i)
		if c == "" || c == last {
			continue
		}
		last = c
		if _, ok := d.m[c]; ok {
			continue
		}
		if _, ok := d.seen[c]; ok {
			continue
		}
		d.seen[c] = struct{}{}
		miss = append(miss, c)
	}
	d.miss = miss
	if len(miss) == 0 {
		return nil
	}
	return d.resolve(ctx, w, miss)
}

// maxChunk is the largest number of codes one lookup or insert carries.
// Chunks are powers of two so a handful of statement texts serve any size.
const maxChunk = 256

// resolve looks codes up and inserts the missing ones, caching all.
func (d *dict) resolve(ctx context.Context, w *writer, codes []string) error {
	if len(d.m)+len(codes) > d.max {
		clear(d.m)
		d.lastCode, d.lastID = "", nil
	}
	args := make([]any, 0, 2*min(len(codes), maxChunk))
	for rest := codes; len(rest) > 0; {
		k := chunk(len(rest))
		args = args[:0]
		for _, c := range rest[:k] {
			args = append(args, c)
		}
		err := w.query(ctx, "SELECT id, code FROM "+d.table+" WHERE code IN "+inList(k), args, func(row []driver.Value) error {
			id, ok := row[0].(int64)
			if !ok {
				return fmt.Errorf("%s: id %v is not an integer", d.table, row[0])
			}
			d.m[text(row[1])] = any(id)
			return nil
		})
		if err != nil {
			return err
		}
		rest = rest[k:]
	}
	var missing []string
	for _, c := range codes {
		if _, ok := d.m[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if d.next == 0 {
		err := w.query(ctx, "SELECT COALESCE(MAX(id), 0) + 1 FROM "+d.table, nil, func(row []driver.Value) error {
			next, ok := row[0].(int64)
			if !ok {
				return fmt.Errorf("%s: next id %v is not an integer", d.table, row[0])
			}
			d.next = next
			return nil
		})
		if err != nil {
			return err
		}
	}
	for rest := missing; len(rest) > 0; {
		k := chunk(len(rest))
		args = args[:0]
		for i, c := range rest[:k] {
			args = append(args, d.next+int64(i), c)
		}
		if _, err := w.exec(ctx, "INSERT INTO "+d.table+"(id, code) VALUES "+strings.TrimSuffix(strings.Repeat("(?,?),", k), ","), args...); err != nil {
			return err
		}
		for i, c := range rest[:k] {
			d.m[c] = args[2*i]
		}
		d.next += int64(k)
		rest = rest[k:]
	}
	return nil
}

// chunk returns the largest power of two at most min(n, maxChunk).
func chunk(n int) int {
	k := 1
	for k*2 <= n && k*2 <= maxChunk {
		k *= 2
	}
	return k
}
