package ingest

import (
	"hash/fnv"
	"testing"
)

// TestRowHashIsFNV128a checks the in-place hash against hash/fnv.
func TestRowHashIsFNV128a(t *testing.T) {
	for _, fields := range [][]string{{}, {""}, {"a"}, {"536365", "85123A", "WHITE HANGING HEART T-LIGHT HOLDER", "6"}, {"\xff\x00", "é"}} {
		h := fnv.New128a()
		for _, f := range fields {
			h.Write([]byte(f))
			h.Write([]byte{0x1f})
		}
		var want [16]byte
		h.Sum(want[:0])
		if got := rowHash(fields...); got != want {
			t.Errorf("rowHash(%q)=%x, want %x", fields, got, want)
		}
	}
}

func TestISODateTimeRoundTrip(t *testing.T) {
	for _, s := range []string{"2010-12-01 08:26:00", "2011-12-09 12:50:59", "0001-01-01 00:00:00", "2024-02-29 23:59:59"} {
		tm, ok := parseISODateTime(s)
		if !ok || formatISODateTime(tm) != s || tm.Format("2006-01-02 15:04:05") != s {
			t.Errorf("%s: ok=%v got %s", s, ok, formatISODateTime(tm))
		}
	}
	for _, s := range []string{"2011-02-30 10:00:00", "2011-13-01 10:00:00", "2011-01-01 24:00:00", "2011-01-01T10:00:00", "2011-01-0a 10:00:00"} {
		if _, ok := parseISODateTime(s); ok {
			t.Errorf("%s accepted", s)
		}
	}
}
