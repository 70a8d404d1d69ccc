package http

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/shelfwise/shelfwise"
)

// decodeJSON decodes exactly one JSON object from the body into v,
// rejecting unknown fields, and turns decoding failures into clear
// EINVALID/ETOOLARGE errors naming the field.
func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return jsonError(err)
		}
		return shelfwise.Errorf(shelfwise.EINVALID, "unexpected data after the JSON object")
	}
	return nil
}

// jsonError explains a decoding error.
func jsonError(err error) error {
	var mbe *http.MaxBytesError
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &mbe):
		return shelfwise.Errorf(shelfwise.ETOOLARGE, "request body exceeds the limit of %d bytes", mbe.Limit)
	case errors.Is(err, io.EOF):
		return shelfwise.Errorf(shelfwise.EINVALID, "empty request body: expected a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return shelfwise.Errorf(shelfwise.EINVALID, "malformed JSON: the body ends in the middle of a value")
	case errors.As(err, &se):
		return shelfwise.Errorf(shelfwise.EINVALID, "malformed JSON at byte %d: %s", se.Offset, se.Error())
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			return shelfwise.Errorf(shelfwise.EINVALID, "the body must be %s, not a JSON %s", jsonType(te.Type), te.Value)
		}
		return shelfwise.Errorf(shelfwise.EINVALID, "field %s: expected %s, got %s", field, jsonType(te.Type), te.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return shelfwise.Errorf(shelfwise.EINVALID, "unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return shelfwise.Errorf(shelfwise.EINVALID, "malformed JSON: %v", err)
}

// jsonType names a Go type as the JSON type expected.
func jsonType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return t.String()
}

func invalidField(field, format string, args ...any) error {
	return shelfwise.Errorf(shelfwise.EINVALID, "field %s: %s", field, fmt.Sprintf(format, args...))
}

// parseTime reads an RFC 3339 time.
func parseTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, invalidField(field, "required (an RFC 3339 time like 2024-05-01T12:00:00Z)")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, invalidField(field, "%q is not an RFC 3339 time like 2024-05-01T12:00:00Z", clip(s))
	}
	return t.UTC(), nil
}

// clip shortens user input quoted in messages.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

func checkFinite(field string, x float64) error {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return invalidField(field, "must be a finite number")
	}
	return nil
}

func checkLen(field, s string, max int) error {
	if len(s) > max {
		return invalidField(field, "longer than %d bytes", max)
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 }) {
		return invalidField(field, "contains control characters")
	}
	return nil
}

// queryInt reads an integer query parameter in [lo, hi], def when absent.
func queryInt(r *http.Request, name string, def, lo, hi int) (int, error) {
	return intParam(r.URL.Query(), name, def, lo, hi)
}

// intParam reads an integer parameter of parsed query values v.
func intParam(v url.Values, name string, def, lo, hi int) (int, error) {
	s := v.Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, shelfwise.Errorf(shelfwise.EINVALID, "query parameter %s must be an integer from %d to %d", name, lo, hi)
	}
	return n, nil
}

// floatParam reads a finite number parameter of parsed query values v in
// [lo, hi], def when absent.
func floatParam(v url.Values, name string, def, lo, hi float64) (float64, error) {
	s := v.Get(name)
	if s == "" {
		return def, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || f < lo || f > hi {
		return 0, shelfwise.Errorf(shelfwise.EINVALID, "query parameter %s must be a number from %g to %g", name, lo, hi)
	}
	return f, nil
}

// commaList splits a comma-separated list (of SKUs, categories) into its
// entries, trimmed, dropping empty ones.
func commaList[S ~string](s string) []S { return trimmedList[S](strings.Split(s, ",")) }

// trimmedList is the entries of xs (SKUs, categories) trimmed, without
// the empty ones.
func trimmedList[S ~string](xs []string) []S {
	var out []S
	for _, x := range xs {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, S(x))
		}
	}
	return out
}

// boolParam reads a boolean parameter of parsed query values v.
func boolParam(v url.Values, name string, def bool) (bool, error) {
	s := v.Get(name)
	if s == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, shelfwise.Errorf(shelfwise.EINVALID, "query parameter %s must be true or false", name)
	}
	return b, nil
}
