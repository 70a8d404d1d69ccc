package calendar

import "testing"

func TestEaster(t *testing.T) {
	for y, want := range map[int]string{2000: "2000-04-23", 2010: "2010-04-04", 2011: "2011-04-24", 2024: "2024-03-31", 2025: "2025-04-20", 2038: "2038-04-25"} {
		if got := Easter(y).Format("2006-01-02"); got != want {
			t.Errorf("Easter(%d)=%s, want %s", y, got, want)
		}
	}
}
