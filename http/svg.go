package http

import (
	"fmt"
	"html/template"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Chart is a line chart rendered on the server as inline SVG: lines,
// shaded bands and markers over numeric x (Unix seconds when XTime). Lines
// differ by dash pattern and marker as well as colour, so the chart reads
// without colour.
type Chart struct {
	Title  string
	Width  int
	Height int
	XTime  bool // x values are Unix seconds; ticks show dates
	XLabel string
	YLabel string
	Lines  []Line
	Bands  []Band
	// Bars, if set, draws a bar chart of Bars over [BarLo[i], BarHi[i]).
	Bars         []float64
	BarLo, BarHi []float64
	// Diagonal draws y = x (for calibration plots).
	Diagonal bool
	// FixedY, if set, is the y range [0]..[1].
	FixedY []float64
	// XInteger keeps x ticks on whole numbers (versions, counts).
	XInteger bool

	padL int // left margin, wide enough for the y tick labels
}

// Line is one series of a chart.
type Line struct {
	Name   string
	X, Y   []float64
	Dash   string // SVG stroke-dasharray, "" = solid
	Marker bool   // draw a circle at each point
	Color  string
}

// Band is a shaded interval between Lo and Hi.
type Band struct {
	Name  string
	X     []float64
	Lo    []float64
	Hi    []float64
	Color string
	// Opacity of the fill.
	Opacity float64
}

const (
	padR, padT, padB = 16, 28, 40
	// charW is the width of one character of the 11px axis font, a
	// slight overestimate, used to keep labels apart and inside the chart.
	charW = 6.5
)

// SVG renders the chart.
func (c *Chart) SVG() template.HTML {
	if c.Width == 0 {
		c.Width = 760
	}
	if c.Height == 0 {
		c.Height = 280
	}
	x0, x1, y0, y1, ok := c.bounds()
	yticks := niceTicks(y0, y1, 5)
	ylabels := tickLabels(yticks)
	c.padL = 40
	for _, l := range ylabels {
		c.padL = max(c.padL, 14+int(charW*float64(len(l))))
	}
	if c.YLabel != "" {
		c.padL += 18 // the rotated axis title, clear of the tick labels
	}
	padL := c.padL
	var b strings.Builder
	legendH := 18 * ((len(c.Lines) + len(c.Bands) + 2) / 3)
	h := c.Height + legendH
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="100%%" role="img" aria-label="%s" class="chart">`,
		c.Width, h, template.HTMLEscapeString(c.Title))
	fmt.Fprintf(&b, `<title>%s</title>`, template.HTMLEscapeString(c.Title))
	fmt.Fprintf(&b, `<text x="%d" y="16" class="ct">%s</text>`, padL, template.HTMLEscapeString(c.Title))
	if !ok {
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="empty">no data</text></svg>`, c.Width/2-30, c.Height/2)
		return template.HTML(b.String())
	}
	pw, ph := float64(c.Width-padL-padR), float64(c.Height-padT-padB)
	sx := func(x float64) float64 { return float64(padL) + (x-x0)/(x1-x0)*pw }
	sy := func(y float64) float64 { return float64(padT) + (1-(y-y0)/(y1-y0))*ph }
	c.axes(&b, x0, x1, y0, yticks, ylabels, sx, sy)
	for i, bar := range c.Bars {
		if i >= len(c.BarLo) || i >= len(c.BarHi) {
			break
		}
		bx0, bx1 := sx(c.BarLo[i]), sx(c.BarHi[i])
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" class="bar"><title>%s–%s: %s</title></rect>`,
			bx0+1, sy(bar), math.Max(1, bx1-bx0-2), sy(y0)-sy(bar), num(c.BarLo[i]), num(c.BarHi[i]), num(bar))
	}
	for _, bd := range c.Bands {
		var pts []string
		for i := range bd.X {
			if finite(bd.Hi[i]) {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", sx(bd.X[i]), sy(bd.Hi[i])))
			}
		}
		for i := len(bd.X) - 1; i >= 0; i-- {
			if finite(bd.Lo[i]) {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", sx(bd.X[i]), sy(bd.Lo[i])))
			}
		}
		fmt.Fprintf(&b, `<polygon points="%s" fill="%s" fill-opacity="%.2f" stroke="none"/>`,
			strings.Join(pts, " "), bd.Color, bd.Opacity)
	}
	if c.Diagonal {
		lo, hi := math.Max(x0, y0), math.Min(x1, y1)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="diag"/>`, sx(lo), sy(lo), sx(hi), sy(hi))
	}
	for _, l := range c.Lines {
		var d strings.Builder
		pen := false
		for i := range l.X {
			if !finite(l.Y[i]) {
				pen = false
				continue
			}
			cmd := "L"
			if !pen {
				cmd = "M"
			}
			fmt.Fprintf(&d, "%s%.1f,%.1f ", cmd, sx(l.X[i]), sy(l.Y[i]))
			pen = true
		}
		dash := ""
		if l.Dash != "" {
			dash = fmt.Sprintf(` stroke-dasharray="%s"`, l.Dash)
		}
		fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="%s" stroke-width="2"%s/>`, d.String(), l.Color, dash)
		if l.Marker {
			for i := range l.X {
				if finite(l.Y[i]) {
					fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"><title>%s: %s</title></circle>`,
						sx(l.X[i]), sy(l.Y[i]), l.Color, c.xText(l.X[i]), num(l.Y[i]))
				}
			}
		}
	}
	c.legend(&b, c.Height)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// bounds returns the data ranges, padded, and whether there is any data.
func (c *Chart) bounds() (x0, x1, y0, y1 float64, ok bool) {
	x0, y0 = math.Inf(1), math.Inf(1)
	x1, y1 = math.Inf(-1), math.Inf(-1)
	see := func(x, y float64) {
		if !finite(x) || !finite(y) {
			return
		}
		x0, x1 = math.Min(x0, x), math.Max(x1, x)
		y0, y1 = math.Min(y0, y), math.Max(y1, y)
		ok = true
	}
	for _, l := range c.Lines {
		for i := range l.X {
			see(l.X[i], l.Y[i])
		}
	}
	for _, bd := range c.Bands {
		for i := range bd.X {
			see(bd.X[i], bd.Lo[i])
			see(bd.X[i], bd.Hi[i])
		}
	}
	for i := range c.Bars {
		if i < len(c.BarLo) && i < len(c.BarHi) {
			see(c.BarLo[i], c.Bars[i])
			see(c.BarHi[i], 0)
		}
	}
	if !ok {
		return
	}
	if len(c.FixedY) == 2 {
		y0, y1 = c.FixedY[0], c.FixedY[1]
	} else if y0 > 0 && y0 < 0.5*y1 {
		y0 = 0 // start at zero unless the data sit far from it
	}
	if y1 == y0 { // a flat line or one point: centre it
		if d := math.Abs(y0) * 0.05; d == 0 {
			y1 = 1
		} else {
			y0, y1 = y0-d, y1+d
		}
	}
	if x1 == x0 {
		d := 0.5
		if c.XTime {
			d = 86400
		}
		x0, x1 = x0-d, x1+d
	}
	if len(c.FixedY) != 2 {
		y1 += 0.05 * (y1 - y0)
	}
	return
}

func (c *Chart) axes(b *strings.Builder, x0, x1, y0 float64, yticks []float64, ylabels []string, sx, sy func(float64) float64) {
	padL := c.padL
	fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" class="axis"/>`, padL, sy(y0), c.Width-padR, sy(y0))
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%.1f" class="axis"/>`, padL, padT, padL, sy(y0))
	for i, y := range yticks {
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" class="grid"/>`, padL, sy(y), c.Width-padR, sy(y))
		fmt.Fprintf(b, `<text x="%d" y="%.1f" class="yt">%s</text>`, padL-6, sy(y)+4, ylabels[i])
	}
	// As many x ticks as their labels leave room for.
	var xs []float64
	var xl []string
	if c.XTime {
		xs, xl = c.timeAxis(x0, x1)
	} else {
		room := float64(c.Width-padL-padR) / (charW*6 + 12)
		xs = niceTicks(x0, x1, max(2, min(6, int(room))))
		if c.XInteger {
			xs = slices.DeleteFunc(xs, func(x float64) bool { return x != math.Trunc(x) })
		}
		xl = tickLabels(xs)
	}
	for i, x := range xs {
		// A label at an end is moved inward just enough not to be cut off.
		w := charW * float64(len(xl[i]))
		at := math.Max(w/2+2, math.Min(sx(x), float64(c.Width)-2-w/2))
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" class="xt">%s</text>`, at, sy(y0)+16, xl[i])
	}
	if c.YLabel != "" {
		mid := padT + int(sy(y0)-float64(padT))/2
		fmt.Fprintf(b, `<text x="12" y="%d" class="yl" transform="rotate(-90 12 %d)">%s</text>`,
			mid, mid, template.HTMLEscapeString(c.YLabel))
	}
	if c.XLabel != "" {
		fmt.Fprintf(b, `<text x="%d" y="%.1f" class="xl">%s</text>`, (c.Width+padL)/2, sy(y0)+32, template.HTMLEscapeString(c.XLabel))
	}
}

// timeAxis returns the date ticks of [x0, x1] and their labels, as many as
// fit the chart's width.
func (c *Chart) timeAxis(x0, x1 float64) ([]float64, []string) {
	room := float64(c.Width-c.padL-padR) / (charW*10 + 14)
	ticks, step := timeTicksStep(x0, x1, max(2, int(room)))
	labels := make([]string, len(ticks))
	for i, t := range ticks {
		labels[i] = timeLabel(t, step)
	}
	return ticks, labels
}

// tickLabels formats ticks compactly (num), with more digits when the
// compact form would show two ticks alike.
func tickLabels(ticks []float64) []string {
	out := make([]string, len(ticks))
	for i, t := range ticks {
		out[i] = num(t)
	}
	if len(ticks) < 2 || !hasRepeats(out) {
		return out
	}
	step := math.Abs(ticks[1] - ticks[0])
	dec := 0
	for dec < 10 && math.Abs(step*math.Pow(10, float64(dec))-math.Round(step*math.Pow(10, float64(dec)))) > 1e-6*math.Pow(10, float64(dec)) {
		dec++
	}
	for i, t := range ticks {
		out[i] = strconv.FormatFloat(t, 'f', dec, 64)
	}
	return out
}

func hasRepeats(s []string) bool {
	for i := 1; i < len(s); i++ {
		if s[i] == s[i-1] {
			return true
		}
	}
	return false
}

func (c *Chart) xText(x float64) string {
	if c.XTime {
		return time.Unix(int64(x), 0).UTC().Format("2006-01-02")
	}
	return num(x)
}

// legend writes one entry per band and line: a sample of its pattern and
// its name.
func (c *Chart) legend(b *strings.Builder, top int) {
	i := 0
	padL := c.padL
	colW := (c.Width - padL) / 3
	pos := func() (int, int) {
		x, y := padL+(i%3)*colW, top+(i/3)*18+4
		i++
		return x, y
	}
	// fit clips a name to its legend column.
	fit := func(name string) string {
		n := int(float64(colW-38) / charW)
		if r := []rune(name); len(r) > n && n > 1 {
			return string(r[:n-1]) + "…"
		}
		return name
	}
	for _, bd := range c.Bands {
		x, y := pos()
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="24" height="10" fill="%s" fill-opacity="%.2f"/><text x="%d" y="%d" class="lg">%s</text>`,
			x, y, bd.Color, bd.Opacity, x+30, y+9, template.HTMLEscapeString(fit(bd.Name)))
	}
	for _, l := range c.Lines {
		x, y := pos()
		dash := ""
		if l.Dash != "" {
			dash = fmt.Sprintf(` stroke-dasharray="%s"`, l.Dash)
		}
		fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"%s/>`, x, y+5, x+24, y+5, l.Color, dash)
		if l.Marker {
			fmt.Fprintf(b, `<circle cx="%d" cy="%d" r="3.5" fill="%s"/>`, x+12, y+5, l.Color)
		}
		fmt.Fprintf(b, `<text x="%d" y="%d" class="lg">%s</text>`, x+30, y+9, template.HTMLEscapeString(fit(l.Name)))
	}
}

// niceTicks returns about n round numbers covering [lo, hi].
func niceTicks(lo, hi float64, n int) []float64 {
	if hi <= lo || n < 1 {
		return []float64{lo}
	}
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	// The round step nearest the raw one (in ratio), so a range gets
	// about n ticks rather than as few as n/2.
	step, best := mag, math.Inf(1)
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if d := math.Abs(math.Log(m * mag / raw)); d < best {
			step, best = m*mag, d
		}
	}
	var out []float64
	for x := math.Ceil(lo/step) * step; x <= hi+step*1e-9; x += step {
		out = append(out, math.Round(x/step)*step)
	}
	return out
}

// timeTicks returns at most about n tick times (Unix seconds) on day,
// week, month, quarter, half-year or year boundaries covering [lo, hi].
func timeTicks(lo, hi float64, n int) []float64 {
	ticks, _ := timeTicksStep(lo, hi, n)
	return ticks
}

// timeStep is a tick spacing in calendar units.
type timeStep struct{ days, months, years int }

// timeSteps are the tick spacings tried, finest first.
var timeSteps = []timeStep{{days: 1}, {days: 2}, {days: 7}, {days: 14}, {months: 1}, {months: 2}, {months: 3},
	{months: 6}, {years: 1}, {years: 2}, {years: 5}, {years: 10}}

// timeTicksStep is timeTicks with the spacing it chose: the finest one
// giving at most n ticks (so the dates never overlap).
func timeTicksStep(lo, hi float64, n int) ([]float64, timeStep) {
	start := time.Unix(int64(lo), 0).UTC()
	day := time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, time.UTC)
	var out []float64
	for _, st := range timeSteps {
		t := day
		switch {
		case st.years > 0:
			t = time.Date(t.Year()-t.Year()%st.years, 1, 1, 0, 0, 0, 0, time.UTC)
		case st.months > 0:
			m := int(t.Month()) - 1
			t = time.Date(t.Year(), time.Month(m-m%st.months+1), 1, 0, 0, 0, 0, time.UTC)
		case st.days == 7 || st.days == 14:
			t = t.AddDate(0, 0, -((int(t.Weekday()) + 6) % 7)) // Mondays
		}
		out = out[:0]
		for ; float64(t.Unix()) <= hi; t = t.AddDate(st.years, st.months, st.days) {
			if float64(t.Unix()) >= lo {
				out = append(out, float64(t.Unix()))
			}
		}
		if len(out) <= n {
			return out, st
		}
	}
	return out, timeSteps[len(timeSteps)-1]
}

// timeLabel writes a tick time as precisely as its spacing needs:
// 2006-01-02 for days and weeks, Jan 2006 for months, 2006 for years.
func timeLabel(x float64, st timeStep) string {
	t := time.Unix(int64(x), 0).UTC()
	switch {
	case st.years > 0:
		return t.Format("2006")
	case st.months > 0:
		return t.Format("Jan 2006")
	}
	return t.Format("2006-01-02")
}

// num formats a number compactly for axes and tooltips.
func num(x float64) string {
	a := math.Abs(x)
	switch {
	case a >= 1e9:
		return trimZeros(fmt.Sprintf("%.2f", x/1e9)) + "G"
	case a >= 1e6:
		return trimZeros(fmt.Sprintf("%.2f", x/1e6)) + "M"
	case a >= 1e4:
		return trimZeros(fmt.Sprintf("%.1f", x/1e3)) + "k"
	case a >= 100 || a == math.Trunc(a):
		return fmt.Sprintf("%.0f", x)
	case a >= 1:
		return trimZeros(fmt.Sprintf("%.2f", x))
	default:
		return trimZeros(fmt.Sprintf("%.3f", x))
	}
}

func trimZeros(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}
