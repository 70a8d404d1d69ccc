package global

import (
	"math"
	"time"

	"github.com/shelfwise/shelfwise"
)

// Feature columns. Keep names and order in sync with featureNames.
const (
	fStep = iota
	fWeekOfYear
	fHoliday
	fHolidayLY
	fLY
	fLYPrev
	fLYNext
	fLY2
	fLast1
	fLast2
	fMean4
	fMean13
	fMean13LY
	fMean4LY
	fYoY13
	fSD52
	fLogLevel
	fGrowth52
	fLastLY
	fStoreType
	fStoreSize
	fDept
	fStore
	fLYWindow
	fDenLY
	fDenLYWindow
	fDenMean13
	fEaster
	fEasterLY
	fXmas
	fXmasLY
	fDenLY2
	fDenMean4
	fDenLYNext
	fStoreYoY13
	fStoreYoY4
	fDeptYoY13
	fStoreLYShape
	fDeptLYShape
	numFeatures
)

var featureNames = [numFeatures]string{
	"step", "week_of_year", "holiday", "holiday_last_year", "last_year", "last_year_prev", "last_year_next",
	"two_years_ago", "last", "last2", "mean4", "mean13", "mean13_last_year", "mean4_last_year", "yoy13", "sd52",
	"log_level", "growth52", "last_last_year", "store_type", "store_size", "dept", "store", "last_year_window",
	"denoised_last_year", "denoised_last_year_window", "denoised_mean13", "easter_days", "easter_days_last_year",
	"pre_christmas_days", "pre_christmas_days_last_year", "denoised_two_years_ago", "denoised_mean4",
	"denoised_last_year_next", "store_yoy13", "store_yoy4", "dept_yoy13", "store_last_year_shape",
	"dept_last_year_shape",
}

// FeatureNames returns the names of the model's feature columns.
func FeatureNames() []string { return featureNames[:] }

// seriesInfo holds per-series static inputs.
type seriesInfo struct {
	storeType, storeSize, dept, store float64
	// storeAgg and deptAgg are the sums of all series of the same store
	// and of the same product/department (nil when lengths differ).
	storeAgg, deptAgg []float64
}

// level is the scale L of a series at origin o: the mean absolute value of
// the last season (or of what exists), at least 1e-3 of the series' largest
// magnitude and never 0.
func level(y []float64, o, p int) float64 {
	lo := max(0, o-p)
	s, mx := 0.0, 0.0
	for _, v := range y[lo:o] {
		s += math.Abs(v)
		mx = max(mx, math.Abs(v))
	}
	l := s / float64(o-lo)
	if l < 1e-3*mx || l == 0 {
		l = max(1e-3*mx, 1)
	}
	return l
}

func meanRange(y []float64, lo, hi int) float64 {
	if lo < 0 || hi > len(y) || hi <= lo {
		return math.NaN()
	}
	s := 0.0
	for _, v := range y[lo:hi] {
		s += v
	}
	return s / float64(hi-lo)
}

func at(y []float64, i, o int) float64 {
	if i < 0 || i >= o {
		return math.NaN()
	}
	return y[i]
}

// features fills row with the features of forecasting step k (1-based) of
// series y from origin o (the first o points are history), for target date
// when (zero for period series).
func (m *Model) features(row []float64, y, den []float64, o, k int, lvl float64, when time.Time, info seriesInfo) {
	p := m.lagAt(o+k-1, o, when)
	t := o + k - 1
	row[fStep] = float64(k)
	row[fWeekOfYear] = math.NaN()
	row[fHoliday] = 0
	row[fHolidayLY] = 0
	row[fEaster], row[fEasterLY] = math.NaN(), math.NaN()
	row[fXmas], row[fXmasLY] = math.NaN(), math.NaN()
	if !when.IsZero() {
		row[fWeekOfYear] = float64(when.YearDay()/7 + 1)
		row[fEaster] = easterOffset(when)
		row[fEasterLY] = easterOffset(when.AddDate(0, 0, -7*p))
		row[fXmas] = preChristmasDays(when)
		row[fXmasLY] = preChristmasDays(when.AddDate(0, 0, -7*p))
		if m.Holiday != nil {
			if m.Holiday(when) {
				row[fHoliday] = 1
			}
			if m.Holiday(when.AddDate(0, 0, -7*p)) {
				row[fHolidayLY] = 1
			}
		}
	}
	inv := 1 / lvl
	row[fLY] = at(y, t-p, o) * inv
	row[fLYPrev] = at(y, t-p-1, o) * inv
	row[fLYNext] = at(y, t-p+1, o) * inv
	row[fLY2] = at(y, t-2*p, o) * inv
	row[fLYWindow] = meanRange(y, max(0, t-p-1), min(o, t-p+2)) * inv
	row[fDenLY] = at(den, t-p, o) * inv
	row[fDenLYWindow] = meanRange(den, max(0, t-p-1), min(o, t-p+2)) * inv
	row[fDenMean13] = meanRange(den, o-13, o) * inv
	row[fDenLY2] = at(den, t-2*p, o) * inv
	row[fDenMean4] = meanRange(den, o-4, o) * inv
	row[fDenLYNext] = at(den, t-p+1, o) * inv
	row[fLast1] = at(y, o-1, o) * inv
	row[fLast2] = at(y, o-2, o) * inv
	row[fMean4] = meanRange(y, o-4, o) * inv
	row[fMean13] = meanRange(y, o-13, o) * inv
	row[fMean13LY] = meanRange(y, o-13-p, o-p) * inv
	row[fMean4LY] = meanRange(y, o-4-p, o-p) * inv
	row[fYoY13] = row[fMean13] - row[fMean13LY]
	row[fLastLY] = at(y, o-1-p, o) * inv
	var ss, s1 float64
	lo := max(0, o-p)
	for _, v := range y[lo:o] {
		s1 += v
		ss += v * v
	}
	nn := float64(o - lo)
	mu := s1 / nn
	row[fSD52] = math.Sqrt(max(ss/nn-mu*mu, 0)) * inv
	row[fLogLevel] = math.Log(lvl)
	prev := meanRange(y, o-2*p, o-p)
	row[fGrowth52] = math.NaN()
	if !math.IsNaN(prev) && prev != 0 {
		row[fGrowth52] = mu / prev
	}
	row[fStoreYoY13], row[fStoreLYShape] = aggFeatures(info.storeAgg, o, t, p, 13)
	row[fStoreYoY4], _ = aggFeatures(info.storeAgg, o, t, p, 4)
	row[fDeptYoY13], row[fDeptLYShape] = aggFeatures(info.deptAgg, o, t, p, 13)
	row[fStoreType] = info.storeType
	row[fStoreSize] = info.storeSize
	row[fDept] = info.dept
	row[fStore] = info.store
}

// seasonLag is the lag (in steps) of the comparable period a season
// before a weekly target at when: 52 weeks, except around Easter, which
// moves by up to five weeks between years, where it picks the lag among
// 50..54 whose week sits at the same distance from that year's Easter.
func (m *Model) seasonLag(when time.Time) int {
	p := m.period()
	if p != 52 || when.IsZero() {
		return p
	}
	pos := func(d time.Time) float64 {
		return max(-21, min(21, easter(d.Year()).Sub(d).Hours()/24))
	}
	target := pos(when)
	best, bestCost := p, math.Abs(target-pos(when.AddDate(0, 0, -7*p)))
	for _, l := range []int{51, 53, 50, 54} {
		if c := math.Abs(target - pos(when.AddDate(0, 0, -7*l))); c < bestCost-3 {
			best, bestCost = l, c
		}
	}
	return best
}

// lagAt is seasonLag for target step t of a history of o points, falling
// back to the period where the aligned week is outside the history.
func (m *Model) lagAt(t, o int, when time.Time) int {
	l := m.seasonLag(when)
	if t-l < 0 || t-l >= o {
		return m.period()
	}
	return l
}

// targetDate is the start date of step t of s (zero for period series).
func targetDate(s *shelfwise.Series, t int) time.Time {
	if s.Start.IsZero() {
		return time.Time{}
	}
	return s.Time(t)
}

// preChristmasDays counts the days of the week starting at when that fall
// in the last week before Christmas (18..24 December): weekly buckets shift
// against Christmas from year to year, and these days carry the peak.
func preChristmasDays(when time.Time) float64 {
	n := 0
	for d := 0; d < 7; d++ {
		x := when.AddDate(0, 0, d)
		if x.Month() == time.December && x.Day() >= 18 && x.Day() <= 24 {
			n++
		}
	}
	return float64(n)
}

// aggFeatures returns, for an aggregate series a at origin o, its
// year-on-year change over the last w steps and its value a season before
// the target relative to its level a season before the origin.
func aggFeatures(a []float64, o, t, lag, w int) (yoy, shape float64) {
	if a == nil {
		return math.NaN(), math.NaN()
	}
	ly := meanRange(a, o-w-lag, o-lag)
	yoy, shape = math.NaN(), math.NaN()
	if ly != 0 && !math.IsNaN(ly) {
		yoy = meanRange(a, o-w, o)/ly - 1
		shape = at(a, t-lag, o) / ly
	}
	return yoy, shape
}

// featureComponent maps each feature to the forecast component its SHAP
// contribution is reported under.
var featureComponent = func() [numFeatures]string {
	var c [numFeatures]string
	for f := range c {
		c[f] = "level"
	}
	for _, f := range []int{fHoliday, fHolidayLY, fEaster, fEasterLY, fXmas, fXmasLY} {
		c[f] = "event"
	}
	for _, f := range []int{fWeekOfYear, fLY, fLYPrev, fLYNext, fLY2, fLYWindow, fDenLY, fDenLYWindow, fDenLY2, fDenLYNext, fStoreLYShape, fDeptLYShape} {
		c[f] = "seasonality"
	}
	for _, f := range []int{fYoY13, fGrowth52, fStoreYoY13, fStoreYoY4, fDeptYoY13, fStep} {
		c[f] = "trend"
	}
	return c
}()

// explainStep adds step k's SHAP contributions phi (scaled change units;
// the last element is the expected value) times the level to the
// components.
func explainStep(comps map[string][]float64, k int, phi []float64, lvl float64, h int) {
	add := func(name string, v float64) {
		c := comps[name]
		if c == nil {
			c = make([]float64, h)
			comps[name] = c
		}
		c[k] += v
	}
	for _, name := range []string{"level", "trend", "seasonality", "event"} {
		add(name, 0)
	}
	for f, v := range phi[:len(phi)-1] {
		if f >= numFeatures { // covariates
			add("event", lvl*v)
			continue
		}
		add(featureComponent[f], lvl*v)
	}
	add("level", lvl*phi[len(phi)-1])
}
