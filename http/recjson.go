package http

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"unicode/utf8"
)

// Recommendation responses are the hottest path of the API (a shop asks for
// every page view), so they are encoded by hand into a pooled buffer
// instead of through encoding/json's reflection. The output is byte for
// byte what json.Encoder (with SetEscapeHTML(false)) writes for RecListOut;
// TestRecJSONMatchesEncodingJSON checks it.

var recBufs = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// writeRecs writes l as a RecListOut.
func (s *Server) writeRecs(w http.ResponseWriter, l RecList) {
	bp := recBufs.Get().(*[]byte)
	b := appendRecList((*bp)[:0], l)
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["X-Content-Type-Options"] = nosniff
	w.WriteHeader(http.StatusOK)
	w.Write(b)
	if cap(b) <= 64<<10 {
		*bp = b
		recBufs.Put(bp)
	}
}

// Header values shared by every response (never modified).
var (
	jsonContentType = []string{"application/json"}
	nosniff         = []string{"nosniff"}
)

// appendRecList appends the JSON of l as a RecListOut, with the newline
// json.Encoder ends a value with.
func appendRecList(b []byte, l RecList) []byte {
	b = append(b, `{"items":[`...)
	for i, it := range l.Items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"sku":`...)
		b = appendJSONString(b, string(it.SKU))
		b = append(b, `,"score":`...)
		b = appendJSONFloat(b, it.Score)
		b = append(b, `,"reason":`...)
		b = appendJSONString(b, it.Reason)
		b = append(b, `,"source":`...)
		b = appendJSONString(b, it.Source)
		b = append(b, '}')
	}
	b = append(b, `],"model":`...)
	b = appendJSONString(b, l.Model)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, int64(l.Version), 10)
	return append(b, "}\n"...)
}

// appendJSONFloat formats f as encoding/json does. A non-finite score,
// which encoding/json cannot encode, is written as 0.
func appendJSONFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, '0')
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// 1e-07 -> 1e-7, as encoding/json writes it.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s as encoding/json does without HTML escaping:
// quotes, backslashes and control characters escaped, invalid UTF-8 as
// U+FFFD, and U+2028/U+2029 escaped for JavaScript.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
