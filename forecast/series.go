package forecast

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/shelfwise/shelfwise"
)

// SeriesOptions control how sales points become series.
type SeriesOptions struct {
	// Revenue takes SalesPoint.Revenue as the value instead of Units.
	Revenue bool
	// FullLengthOnly keeps only series observed at every step of the
	// overall date (or period) range.
	FullLengthOnly bool
}

type pointKey struct {
	sku   shelfwise.SKU
	store shelfwise.StoreID
}

// FromSalesPoints groups sales points by SKU x store into regular series in
// key order. Dated grains (day, week) are laid on a regular grid from the
// series' first to last point; steps with no point are zero and marked
// unavailable (not observed is not zero demand). Where any point of a series
// carries Available=true, the points' flags are kept; otherwise the series
// is taken as always available (formats without availability data).
// Censored flags are kept as given. The promotion intensity of a step is
// the largest of its feature, display and deal shares (nil when none).
func FromSalesPoints(points []shelfwise.SalesPoint, o SeriesOptions) ([]*shelfwise.Series, error) {
	groups := map[pointKey][]int{}
	var keys []pointKey
	for i, p := range points {
		k := pointKey{p.SKU, p.Store}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], i)
	}
	slices.SortFunc(keys, func(a, b pointKey) int {
		if c := cmp.Compare(a.store, b.store); c != 0 {
			return c
		}
		return cmp.Compare(a.sku, b.sku)
	})
	lo, hi, err := pointsRange(points)
	if err != nil {
		return nil, err
	}
	out := make([]*shelfwise.Series, 0, len(keys))
	for _, k := range keys {
		s, err := buildSeries(points, groups[k], k, o)
		if err != nil {
			return nil, err
		}
		if o.FullLengthOnly && !coversRange(s, lo, hi) {
			continue
		}
		out = append(out, s)
	}
	return out, nil
}

// pointsRange returns the overall first and last step index (days since the
// epoch for dates, periods otherwise).
func pointsRange(points []shelfwise.SalesPoint) (int, int, error) {
	lo, hi := int(^uint(0)>>1), -int(^uint(0)>>1)
	for _, p := range points {
		i := stepIndex(p)
		lo, hi = min(lo, i), max(hi, i)
	}
	return lo, hi, nil
}

func stepIndex(p shelfwise.SalesPoint) int {
	switch p.Grain {
	case shelfwise.GrainDay:
		return int(p.Date.Unix() / 86400)
	case shelfwise.GrainWeek:
		return int(p.Date.Unix() / (7 * 86400))
	}
	return p.Period
}

func coversRange(s *shelfwise.Series, lo, hi int) bool {
	if len(s.Values) != hi-lo+1 {
		return false
	}
	for _, a := range s.Available {
		if !a {
			return false
		}
	}
	return true
}

func buildSeries(points []shelfwise.SalesPoint, idx []int, k pointKey, o SeriesOptions) (*shelfwise.Series, error) {
	first := points[idx[0]]
	lo, hi := stepIndex(first), stepIndex(first)
	for _, i := range idx {
		p := points[i]
		if p.Grain != first.Grain {
			return nil, fmt.Errorf("forecast: series %s@%s mixes grains %s and %s", k.sku, k.store, first.Grain, p.Grain)
		}
		si := stepIndex(p)
		lo, hi = min(lo, si), max(hi, si)
	}
	n := hi - lo + 1
	s := &shelfwise.Series{
		Key:       shelfwise.SeriesKey{SKU: k.sku, Store: k.store},
		Grain:     first.Grain,
		Values:    make([]float64, n),
		Price:     make([]float64, n),
		Promo:     make([]float64, n),
		Available: make([]bool, n),
		Censored:  make([]bool, n),
	}
	anyAvail, anyCens, anyPrice, anyPromo := false, false, false, false
	seen := make([]bool, n)
	for _, i := range idx {
		p := points[i]
		t := stepIndex(p) - lo
		if seen[t] {
			return nil, fmt.Errorf("forecast: series %s@%s has two points at step %d", k.sku, k.store, t)
		}
		seen[t] = true
		v := p.Units
		if o.Revenue {
			v = p.Revenue
		}
		s.Values[t] = v
		s.Price[t] = p.Price
		s.Promo[t] = max(p.Feature, p.Display, p.Deal)
		anyPromo = anyPromo || s.Promo[t] != 0
		s.Available[t] = p.Available
		s.Censored[t] = p.Censored
		anyAvail = anyAvail || p.Available
		anyCens = anyCens || p.Censored
		anyPrice = anyPrice || p.Price != 0
		if t == 0 {
			s.Start = p.Date
		}
	}
	if first.Grain == shelfwise.GrainPeriod {
		s.StartPeriod = lo
		s.Start = time.Time{}
	}
	if !anyAvail {
		copy(s.Available, seen)
	}
	if allTrue(s.Available) {
		s.Available = nil
	}
	if !anyCens {
		s.Censored = nil
	}
	if !anyPrice {
		s.Price = nil
	}
	if !anyPromo {
		s.Promo = nil
	}
	return s, nil
}

func allTrue(b []bool) bool {
	for _, v := range b {
		if !v {
			return false
		}
	}
	return true
}
