package ingest

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math/bits"
	"unsafe"

	"github.com/shelfwise/shelfwise"
)

// maxFirstLines is how many offending line numbers a rule keeps.
const maxFirstLines = 5

// Report accumulates an import's counts: rows read and accepted, each
// cleaning rule's hits with the first offending lines, and the fingerprint of
// the normalised rows.
type Report struct {
	format, source string
	read, accepted int64
	rules          []*shelfwise.RuleCount
	byName         map[string]*shelfwise.RuleCount
	fp             fingerprint
	progress       func(int64)
}

// NewReport starts a report for format reading source.
func NewReport(format, source string) *Report {
	return &Report{format: format, source: source, byName: map[string]*shelfwise.RuleCount{}}
}

// Rule declares a cleaning rule and what happens to the rows that hit it, so
// the report lists it (with a zero count) even when no row hits it. Rules
// are listed in the order declared.
func (r *Report) Rule(name, action string) {
	if _, ok := r.byName[name]; ok {
		return
	}
	rc := &shelfwise.RuleCount{Rule: name, Action: action, FirstLines: []int64{}}
	r.rules = append(r.rules, rc)
	r.byName[name] = rc
}

// Hit counts one row (at 1-based line) against a declared rule.
func (r *Report) Hit(name string, line int64) {
	rc, ok := r.byName[name]
	if !ok {
		r.Rule(name, "flagged")
		rc = r.byName[name]
	}
	rc.Count++
	if len(rc.FirstLines) < maxFirstLines {
		rc.FirstLines = append(rc.FirstLines, line)
	}
}

// Count returns the hits of a rule so far.
func (r *Report) Count(name string) int64 {
	if rc, ok := r.byName[name]; ok {
		return rc.Count
	}
	return 0
}

// RowRead counts a data row read (before any rule).
func (r *Report) RowRead() {
	r.read++
	if r.progress != nil && r.read%65536 == 0 {
		r.progress(r.read)
	}
}

// Accept counts a row that was written (possibly flagged, but not dropped).
func (r *Report) Accept() { r.accepted++ }

// Fingerprint adds one normalised row to the fingerprint. Give the fields
// after normalisation, so the same data from another file type (CSV vs
// Parquet) gives the same fingerprint.
func (r *Report) Fingerprint(fields ...string) { r.fp.add(rowHash(fields...)) }

// FingerprintHash adds a row already hashed with rowHash.
func (r *Report) FingerprintHash(h [16]byte) { r.fp.add(h) }

// Finish returns the report as the domain type.
func (r *Report) Finish() shelfwise.ImportReport {
	if r.progress != nil {
		r.progress(r.read)
	}
	rules := make([]shelfwise.RuleCount, len(r.rules))
	for i, rc := range r.rules {
		rules[i] = *rc
		rules[i].FirstLines = append([]int64{}, rc.FirstLines...)
	}
	return shelfwise.ImportReport{
		Format:      r.format,
		Source:      r.source,
		Fingerprint: r.fp.String(r.format),
		RowsRead:    r.read,
		Accepted:    r.accepted,
		Rules:       rules,
		Written:     map[string]int64{},
	}
}

// fingerprint is an order-independent hash of a multiset of rows: the sum
// modulo 2^128 of each row's FNV-128a hash, plus the row count. Re-ordered
// rows give the same fingerprint; any changed, added or removed row changes it.
type fingerprint struct {
	hi, lo uint64
	n      uint64
}

// rowHash hashes a row's normalised fields (FNV-128a, each field followed by
// the unit separator 0x1f), for fingerprints and duplicate detection. It is
// hash/fnv's New128a computed in place, without allocating.
func rowHash(fields ...string) [16]byte {
	hi, lo := uint64(fnvOffsetHi), uint64(fnvOffsetLo)
	for _, s := range fields {
		for i := 0; i < len(s); i++ {
			hi, lo = fnvStep(hi, lo, s[i])
		}
		hi, lo = fnvStep(hi, lo, 0x1f)
	}
	var sum [16]byte
	binary.BigEndian.PutUint64(sum[:8], hi)
	binary.BigEndian.PutUint64(sum[8:], lo)
	return sum
}

// FNV-128 parameters: offset basis and prime 2^88 + 2^8 + 0x3b.
const (
	fnvOffsetHi   = 0x6c62272e07bb0142
	fnvOffsetLo   = 0x62b821756295c58d
	fnvPrimeLo    = 0x13b
	fnvPrimeShift = 24 // the prime's high word is 1<<24
)

// fnvStep is one FNV-1a step on the 128-bit state (hi, lo).
func fnvStep(hi, lo uint64, c byte) (uint64, uint64) {
	lo ^= uint64(c)
	// (hi, lo) * prime mod 2^128, prime = 1<<88 + fnvPrimeLo.
	mhi, mlo := bits.Mul64(lo, fnvPrimeLo)
	mhi += hi*fnvPrimeLo + lo<<fnvPrimeShift
	return mhi, mlo
}

func (f *fingerprint) add(sum [16]byte) {
	lo, c := bits.Add64(f.lo, binary.BigEndian.Uint64(sum[8:]), 0)
	f.lo = lo
	f.hi += binary.BigEndian.Uint64(sum[:8]) + c
	f.n++
}

// String renders the fingerprint with the format name, since the same
// values mean different things in different formats.
func (f *fingerprint) String(format string) string {
	var b [24]byte
	binary.BigEndian.PutUint64(b[:8], f.hi)
	binary.BigEndian.PutUint64(b[8:16], f.lo)
	binary.BigEndian.PutUint64(b[16:], f.n)
	return format + ":" + hex.EncodeToString(b[:])
}

// rowError marks a row that cannot be parsed, for eachRow.
type rowError struct{ err error }

func (e rowError) Error() string { return e.err.Error() }
func (e rowError) Unwrap() error { return e.err }

// badRow wraps a parse error so eachRow sets the row aside (or fails the
// read once more than Options.MaxBadRows rows were bad).
func badRow(err error) error { return rowError{err} }

// eachRow walks the records of f, counting each read in rep and checking
// ctx now and then, and calls fn with the record's line. A badRow error from
// fn is counted under RuleUnparseable until more than maxBad rows were bad,
// then returned unwrapped (the InputError naming file, line and field); any
// other error stops the walk.
func eachRow(ctx context.Context, f *csvFile, rep *Report, maxBad int, fn func(line int64) error) error {
	var bad, n int64
	for {
		ok, err := f.Next()
		if err != nil || !ok {
			return err
		}
		rep.RowRead()
		if n++; n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		err = fn(f.Line())
		var re rowError
		if errors.As(err, &re) {
			if bad++; bad > int64(maxBad) {
				return re.err
			}
			rep.Hit(RuleUnparseable, f.Line())
		} else if err != nil {
			return err
		}
	}
}

// keyCache memoises pseudonyms: exports repeat a customer on every line,
// and one HMAC-SHA256 per line is the largest single cost of an import.
// It forgets everything when it holds maxCachedKeys entries, so memory stays
// bounded on exports with millions of customers.
type keyCache struct {
	p *shelfwise.Pseudonymizer
	m map[string]shelfwise.CustomerKey
}

const maxCachedKeys = 1 << 18

func newKeyCache(p *shelfwise.Pseudonymizer) *keyCache {
	return &keyCache{p: p, m: map[string]shelfwise.CustomerKey{}}
}

// Key returns the pseudonym of a raw (already normalised) identifier.
func (c *keyCache) Key(raw string) shelfwise.CustomerKey {
	if k, ok := c.m[raw]; ok {
		return k
	}
	k := c.p.Key(raw)
	if len(c.m) >= maxCachedKeys {
		clear(c.m)
	}
	c.m[raw] = k
	return k
}

// unsafeString views b as a string without copying, for hashing scratch
// buffers; the string must not outlive the next write to b.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
