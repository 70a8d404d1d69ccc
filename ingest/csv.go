package ingest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/shelfwise/shelfwise"
)

// openFile opens path for reading, transparently decompressing gzip (by its
// magic bytes, whatever the name) and dropping a UTF-8 byte-order mark.
func openFile(path string) (readCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return readCloser{}, &shelfwise.InputError{File: path, Err: errors.New("cannot open: " + errors.Unwrap(err).Error())}
	}
	br := bufio.NewReaderSize(f, 1<<16)
	magic, _ := br.Peek(2)
	var r io.Reader = br
	closeFn := f.Close
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return readCloser{}, &shelfwise.InputError{File: path, Err: fmt.Errorf("corrupt gzip header: %v", err)}
		}
		r = bufio.NewReaderSize(&gzipErr{zr}, 1<<16)
		closeFn = func() error { zr.Close(); return f.Close() }
	} else {
		r = br
	}
	bom := []byte{0xEF, 0xBB, 0xBF}
	pr := bufio.NewReaderSize(r, 1<<16)
	if head, _ := pr.Peek(3); bytes.Equal(head, bom) {
		pr.Discard(3)
	}
	return readCloser{pr, closeFn}, nil
}

// gzipErr turns gzip's bare io.ErrUnexpectedEOF into a message a user can act on.
type gzipErr struct{ r io.Reader }

func (g *gzipErr) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("truncated or corrupt gzip data: %w", err)
	}
	return n, err
}

type readCloser struct {
	io.Reader
	close func() error
}

func (r readCloser) Close() error { return r.close() }

// csvFile walks the records of a tabular file with a header — a delimited
// text file (openCSV) or a Parquet file (openParquet) — giving typed,
// line-numbered access to the fields of the current record. For Parquet,
// "line" is the 1-based row number plus one, as if a header came first.
type csvFile struct {
	path   string
	closer func() error
	next   func() ([]string, int64, error)
	header []string
	cols   map[string]int
	rec    []string
	line   int64
}

// csvOptions configure openCSV.
type csvOptions struct {
	Comma rune
	// Required lists the columns that must exist, each as alternatives:
	// {"InvoiceNo", "Invoice"} accepts either spelling.
	Required [][]string
	// LazyQuotes accepts quotes inside unquoted fields.
	LazyQuotes bool
	// Sniff guesses the delimiter (comma, semicolon, tab or pipe) from the
	// header line when Comma is 0.
	Sniff bool
}

// normCol normalises a column name for matching: lower case, without
// spaces, underscores, dots and quotes.
func normCol(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '_', '.', '"', '-':
			return -1
		}
		return r
	}, s)
}

// openCSV opens path and reads its header. It fails on an empty file and
// on missing required columns, naming what it found.
func openCSV(path string, o csvOptions) (*csvFile, error) {
	rc, err := openFile(path)
	if err != nil {
		return nil, err
	}
	if br, ok := rc.Reader.(*bufio.Reader); ok {
		if isJSONLines(br) {
			return openJSONL(path, rc, o)
		}
		if o.Comma == 0 && o.Sniff {
			o.Comma = sniffComma(br)
		}
	}
	r := csv.NewReader(rc)
	if o.Comma != 0 {
		r.Comma = o.Comma
	}
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	r.LazyQuotes = o.LazyQuotes
	f := &csvFile{path: path, closer: rc.Close}
	hdr, err := r.Read()
	if err == io.EOF {
		rc.Close()
		return nil, &shelfwise.InputError{File: path, Line: 1, Err: errors.New("empty file: expected a header row")}
	} else if err != nil {
		rc.Close()
		return nil, wrapCSVErr(path, r, 0, err)
	}
	f.next = func() ([]string, int64, error) {
		rec, err := r.Read()
		if err != nil {
			if err == io.EOF {
				return nil, 0, err
			}
			return nil, 0, wrapCSVErr(path, r, f.line, err)
		}
		line, _ := r.FieldPos(0)
		return rec, int64(line), nil
	}
	if err := f.setHeader(hdr, o.Required); err != nil {
		rc.Close()
		return nil, err
	}
	return f, nil
}

// setHeader records the header and checks the required columns.
func (f *csvFile) setHeader(hdr []string, required [][]string) error {
	f.header = append([]string(nil), hdr...)
	f.cols = map[string]int{}
	for i, h := range f.header {
		if _, dup := f.cols[normCol(h)]; !dup {
			f.cols[normCol(h)] = i
		}
	}
	for _, alts := range required {
		if f.Col(alts...) < 0 {
			return &shelfwise.InputError{File: f.path, Line: 1, Field: alts[0],
				Err: fmt.Errorf("missing column %s in header (found: %s)", strings.Join(alts, " or "), strings.Join(f.header, ", "))}
		}
	}
	return nil
}

// Close closes the file.
func (f *csvFile) Close() error { return f.closer() }

// Header returns the header row.
func (f *csvFile) Header() []string { return f.header }

// Col returns the index of the first of names present in the header, or -1.
func (f *csvFile) Col(names ...string) int {
	for _, n := range names {
		if i, ok := f.cols[normCol(n)]; ok {
			return i
		}
	}
	return -1
}

// Next reads the next record. It returns false at the end of the file; a
// malformed record or a read error (e.g. truncated gzip) is an InputError
// with the line.
func (f *csvFile) Next() (bool, error) {
	rec, line, err := f.next()
	if err == io.EOF {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	f.line = line
	f.rec = rec
	if len(rec) > len(f.header) {
		return false, &shelfwise.InputError{File: f.path, Line: int(line),
			Err: fmt.Errorf("%d fields but the header has %d (an unquoted delimiter inside a value?)", len(rec), len(f.header))}
	}
	return true, nil
}

// wrapCSVErr locates a read error: a CSV syntax error at its line, anything
// else (e.g. truncated gzip) just after the last good record.
func wrapCSVErr(path string, r *csv.Reader, last int64, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if pe.Err != nil && !errors.Is(pe.Err, csv.ErrQuote) && !errors.Is(pe.Err, csv.ErrBareQuote) && !errors.Is(pe.Err, csv.ErrFieldCount) {
			return &shelfwise.InputError{File: path, Line: pe.StartLine, Err: pe.Err}
		}
		return &shelfwise.InputError{File: path, Line: pe.Line, Err: pe.Err}
	}
	return &shelfwise.InputError{File: path, Line: int(last) + 1, Err: err}
}

// Line returns the 1-based line where the current record starts.
func (f *csvFile) Line() int64 { return f.line }

// Record returns the current record's fields (valid until the next Next).
func (f *csvFile) Record() []string { return f.rec }

// Str returns column i of the current record, trimmed; "" if i < 0 or the
// record is short.
func (f *csvFile) Str(i int) string {
	if i < 0 || i >= len(f.rec) {
		return ""
	}
	return strings.TrimSpace(f.rec[i])
}

// name returns the header name of column i.
func (f *csvFile) name(i int) string {
	if i >= 0 && i < len(f.header) {
		return f.header[i]
	}
	return fmt.Sprintf("column %d", i+1)
}

// Errorf returns an InputError at the current line for column i.
func (f *csvFile) Errorf(i int, format string, args ...any) error {
	return &shelfwise.InputError{File: f.path, Line: int(f.line), Field: f.name(i), Err: fmt.Errorf(format, args...)}
}

// Float parses column i as a number; empty, NA and NaN are errors.
func (f *csvFile) Float(i int) (float64, error) {
	s := f.Str(i)
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, f.Errorf(i, "not a number: %q", s)
	}
	return v, nil
}

// OptFloat parses column i as a number, returning ok=false for an empty
// field or NA.
func (f *csvFile) OptFloat(i int) (v float64, ok bool, err error) {
	s := f.Str(i)
	if s == "" || s == "NA" || s == "NaN" || s == "nan" || s == "null" {
		return 0, false, nil
	}
	v, err = strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false, f.Errorf(i, "not a number: %q", s)
	}
	return v, true, nil
}

// Int parses column i as an integer (accepting "12.0").
func (f *csvFile) Int(i int) (int64, error) {
	s := f.Str(i)
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v, nil
	}
	if v, err := strconv.ParseFloat(s, 64); err == nil && v == float64(int64(v)) {
		return int64(v), nil
	}
	return 0, f.Errorf(i, "not an integer: %q", s)
}

// Bool parses TRUE/FALSE, true/false, 1/0, yes/no.
func (f *csvFile) Bool(i int) (bool, error) {
	switch strings.ToLower(f.Str(i)) {
	case "true", "1", "yes", "y", "t":
		return true, nil
	case "false", "0", "no", "n", "f":
		return false, nil
	}
	return false, f.Errorf(i, "not a boolean (TRUE/FALSE): %q", f.Str(i))
}

// timeLayouts are the date-time layouts exports commonly use, tried in order.
// Slash dates are read month first (1/2/2006 is January 2nd) and only that
// way: trying day-first as a fallback would read 05/01 as May 1st but 13/01
// as January 13th in the same file. Day-first exports name their layout
// (the generic format's time_layout).
var timeLayouts = []string{
	"2006-01-02 15:04:05",
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04",
	"2006-01-02",
	"20060102",
	"1/2/2006 15:04",
	"1/2/2006 15:04:05",
	"1/2/2006",
}

// Time parses column i as a time in UTC, trying layouts (or timeLayouts).
func (f *csvFile) Time(i int, layouts ...string) (time.Time, error) {
	s := f.Str(i)
	t, err := parseTime(s, layouts...)
	if err != nil {
		return time.Time{}, f.Errorf(i, "not a date/time: %q", s)
	}
	return t, nil
}

func parseTime(s string, layouts ...string) (time.Time, error) {
	if len(layouts) == 0 {
		if t, ok := parseISODateTime(s); ok {
			return t, nil
		}
		layouts = timeLayouts
	}
	for _, l := range layouts {
		if t, err := time.ParseInLocation(l, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("not a date/time: %q", s)
}

// findFile resolves --data for a dataset: a file is used as given; for a
// folder, the first of names that exists in it (also with .gz added) is.
func findFile(path string, names ...string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", &shelfwise.InputError{File: path, Err: errors.New("no such file or folder")}
	}
	if !st.IsDir() {
		return path, nil
	}
	for _, n := range names {
		for _, cand := range []string{n, n + ".gz"} {
			p := filepath.Join(path, cand)
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
		}
	}
	return "", &shelfwise.InputError{File: path, Err: fmt.Errorf("folder has none of the expected files: %s", strings.Join(names, ", "))}
}

// companion finds a file beside main (the main file of a multi-file
// dataset), trying names with and without .gz; "" when absent.
func companion(main string, names ...string) string {
	dir := filepath.Dir(main)
	for _, n := range names {
		for _, cand := range []string{n, n + ".gz"} {
			p := filepath.Join(dir, cand)
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	return ""
}

// sniffComma guesses the delimiter of a delimited file from its first line:
// the most frequent of comma, semicolon, tab and pipe outside quotes (comma
// when none occurs).
func sniffComma(br *bufio.Reader) rune {
	head, _ := br.Peek(1 << 14)
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	counts := map[byte]int{}
	inQuote := false
	for _, c := range head {
		switch {
		case c == '"':
			inQuote = !inQuote
		case !inQuote && (c == ',' || c == ';' || c == '\t' || c == '|'):
			counts[c]++
		}
	}
	best, bestN := byte(','), 0
	for _, c := range []byte{',', ';', '\t', '|'} {
		if counts[c] > bestN {
			best, bestN = c, counts[c]
		}
	}
	return rune(best)
}

// openFields opens a whitespace-separated text file with a header line (the
// layout of CDNOW_master.txt and other fixed-width exports): fields are
// separated by runs of spaces or tabs, leading spaces and CR line endings are
// ignored, blank lines are skipped. No quoting is supported.
func openFields(path string, o csvOptions) (*csvFile, error) {
	rc, err := openFile(path)
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(rc)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<20)
	var line int64
	var rec []string
	read := func() ([]string, int64, error) {
		for sc.Scan() {
			line++
			rec = appendFields(rec[:0], sc.Bytes())
			if len(rec) > 0 {
				return rec, line, nil
			}
		}
		if err := sc.Err(); err != nil {
			return nil, 0, &shelfwise.InputError{File: path, Line: int(line + 1), Err: err}
		}
		return nil, 0, io.EOF
	}
	f := &csvFile{path: path, closer: rc.Close}
	hdr, _, err := read()
	if err == io.EOF {
		rc.Close()
		return nil, &shelfwise.InputError{File: path, Line: 1, Err: errors.New("empty file: expected a header row")}
	} else if err != nil {
		rc.Close()
		return nil, err
	}
	if err := f.setHeader(hdr, o.Required); err != nil {
		rc.Close()
		return nil, err
	}
	f.next = read
	return f, nil
}

// appendFields splits b at runs of blanks (space, tab, CR) into dst.
func appendFields(dst []string, b []byte) []string {
	i := 0
	for i < len(b) {
		for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r') {
			i++
		}
		j := i
		for j < len(b) && b[j] != ' ' && b[j] != '\t' && b[j] != '\r' {
			j++
		}
		if j > i {
			dst = append(dst, string(b[i:j]))
		}
		i = j
	}
	return dst
}

// parseISODateTime parses "2006-01-02 15:04:05" (the most common layout,
// and how Parquet timestamps are rendered) without time.Parse's layout
// interpretation. ok is false for anything else, including invalid dates.
func parseISODateTime(s string) (time.Time, bool) {
	if len(s) != 19 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	num := func(i, n int) int {
		v := 0
		for _, c := range []byte(s[i : i+n]) {
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	y, mo, d, h, mi, sec := num(0, 4), num(5, 2), num(8, 2), num(11, 2), num(14, 2), num(17, 2)
	if y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, 0, time.UTC)
	if t.Day() != d { // e.g. February 30th normalised into March
		return time.Time{}, false
	}
	return t, true
}
