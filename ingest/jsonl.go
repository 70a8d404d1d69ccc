package ingest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/shelfwise/shelfwise"
)

// jsonlScanAhead is how many JSON-lines objects openJSONL reads before
// fixing the header, so a key missing from the first object (a null left
// out) is still found.
const jsonlScanAhead = 1000

// isJSONLines reports whether the text behind r starts, after blank space,
// with "{": one JSON object per line.
func isJSONLines(br *bufio.Reader) bool {
	head, _ := br.Peek(4096)
	for _, c := range head {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{':
			return true
		}
		return false
	}
	return false
}

// openJSONL reads JSON lines — one object per line, keys as columns —
// through the csvFile API. The header is the union of the keys of the first
// jsonlScanAhead objects in first-seen order; a key first seen later is
// appended. Values render as text: strings as they are, numbers as written,
// booleans as true/false, null as "", nested values as their JSON. Line
// numbers are file lines; blank lines are skipped.
func openJSONL(path string, rc io.ReadCloser, o csvOptions) (*csvFile, error) {
	br := bufio.NewReaderSize(rc, 1<<16)
	f := &csvFile{path: path, closer: rc.Close}
	var fileLine int64
	readObj := func() (map[string]string, []string, int64, error) {
		for {
			raw, err := br.ReadSlice('\n')
			if err == bufio.ErrBufferFull {
				// A line longer than the buffer: gather it whole.
				full := append([]byte(nil), raw...)
				for err == bufio.ErrBufferFull {
					raw, err = br.ReadSlice('\n')
					full = append(full, raw...)
				}
				raw = full
			}
			if len(raw) == 0 && err != nil {
				if err == io.EOF {
					return nil, nil, 0, io.EOF
				}
				return nil, nil, 0, &shelfwise.InputError{File: path, Line: int(fileLine + 1), Err: err}
			}
			fileLine++
			if err != nil && err != io.EOF {
				return nil, nil, 0, &shelfwise.InputError{File: path, Line: int(fileLine), Err: err}
			}
			if len(bytes.TrimSpace(raw)) == 0 {
				if err == io.EOF {
					return nil, nil, 0, io.EOF
				}
				continue
			}
			vals, keys, perr := parseJSONObject(raw)
			if perr != nil {
				return nil, nil, 0, &shelfwise.InputError{File: path, Line: int(fileLine), Err: perr}
			}
			return vals, keys, fileLine, nil
		}
	}
	type pending struct {
		vals map[string]string
		line int64
	}
	var ahead []pending
	var hdr []string
	known := map[string]bool{}
	for len(ahead) < jsonlScanAhead {
		vals, keys, line, err := readObj()
		if err == io.EOF {
			break
		} else if err != nil {
			rc.Close()
			return nil, err
		}
		for _, k := range keys {
			if !known[k] {
				known[k] = true
				hdr = append(hdr, k)
			}
		}
		ahead = append(ahead, pending{vals, line})
	}
	if len(ahead) == 0 {
		rc.Close()
		return nil, &shelfwise.InputError{File: path, Line: 1, Err: errors.New("empty file: expected JSON objects, one per line")}
	}
	if err := f.setHeader(hdr, o.Required); err != nil {
		rc.Close()
		return nil, err
	}
	var rec []string
	fill := func(vals map[string]string) []string {
		rec = rec[:0]
		for _, h := range f.header {
			rec = append(rec, vals[h])
		}
		return rec
	}
	f.next = func() ([]string, int64, error) {
		if len(ahead) > 0 {
			p := ahead[0]
			ahead = ahead[1:]
			return fill(p.vals), p.line, nil
		}
		vals, keys, line, err := readObj()
		if err != nil {
			return nil, 0, err
		}
		for _, k := range keys {
			if !known[k] {
				known[k] = true
				f.header = append(f.header, k)
				if _, dup := f.cols[normCol(k)]; !dup {
					f.cols[normCol(k)] = len(f.header) - 1
				}
			}
		}
		return fill(vals), line, nil
	}
	return f, nil
}

// parseJSONObject decodes one JSON object into text values, returning its
// keys in the order written.
func parseJSONObject(raw []byte) (map[string]string, []string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, fmt.Errorf("not valid JSON: %v", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, nil, errors.New("not a JSON object: each line must be one {...} object")
	}
	vals := map[string]string{}
	var keys []string
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, nil, fmt.Errorf("not valid JSON: %v", err)
		}
		key, _ := kt.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, nil, fmt.Errorf("not valid JSON in value of %q: %v", key, err)
		}
		if _, seen := vals[key]; !seen {
			keys = append(keys, key)
		}
		vals[key] = jsonText(v)
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, fmt.Errorf("not valid JSON: %v", err)
	}
	if rest := bytes.TrimSpace(raw[dec.InputOffset():]); len(rest) > 0 {
		return nil, nil, fmt.Errorf("unexpected text after the JSON object: %q", truncate(string(rest), 20))
	}
	return vals, keys, nil
}

// jsonText renders a JSON value as a field's text.
func jsonText(v json.RawMessage) string {
	s := strings.TrimSpace(string(v))
	switch {
	case s == "null":
		return ""
	case strings.HasPrefix(s, `"`):
		var out string
		if json.Unmarshal(v, &out) == nil {
			return out
		}
	}
	return s
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
