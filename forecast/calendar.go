package forecast

import (
	"slices"
	"time"

	"github.com/shelfwise/shelfwise"
)

// CalendarEvents turns a calendar into the event regressors of Local.Events:
// one indicator per event kind (its Type, or its Name when byName), in
// sorted order, set on the steps that hold an event of that kind (the day,
// or the week or period starting at the step for weekly series). An event
// with a Region applies only to series whose store is in that region
// (regionOf; SNAP days per state in M5), one with a Store only to that
// store. Period-indexed series (no dates) get no events.
func CalendarEvents(cal []shelfwise.CalendarEvent, byName bool, regionOf func(shelfwise.StoreID) string) func(s *shelfwise.Series, t int) []float64 {
	kindOf := func(ev shelfwise.CalendarEvent) string {
		if byName {
			return ev.Name
		}
		return ev.Type
	}
	var kinds []string
	for _, ev := range cal {
		if k := kindOf(ev); !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	slices.Sort(kinds)
	type dated struct {
		kind          int
		region, store string
	}
	byDay := map[int64][]dated{}
	for _, ev := range cal {
		d := ev.Date.Unix() / 86400
		byDay[d] = append(byDay[d], dated{slices.Index(kinds, kindOf(ev)), ev.Region, string(ev.Store)})
	}
	return func(s *shelfwise.Series, t int) []float64 {
		out := make([]float64, len(kinds))
		days := 1
		switch s.Grain {
		case shelfwise.GrainWeek:
			days = 7
		case shelfwise.GrainDay:
		default:
			return out
		}
		start := s.Time(t)
		region := ""
		if regionOf != nil {
			region = regionOf(s.Key.Store)
		}
		for k := 0; k < days; k++ {
			for _, ev := range byDay[start.Add(time.Duration(k)*24*time.Hour).Unix()/86400] {
				if (ev.region != "" && ev.region != region) || (ev.store != "" && ev.store != string(s.Key.Store)) {
					continue
				}
				out[ev.kind] = 1
			}
		}
		return out
	}
}
