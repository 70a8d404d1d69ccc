package http

import (
	"fmt"
	"html/template"
	"math"
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
	padL, padR, padT, padB = 64, 16, 28, 40
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
	c.axes(&b, x0, x1, y0, y1, sx, sy)
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
	if y1 == y0 {
		y1 = y0 + 1
	}
	if x1 == x0 {
		x1 = x0 + 1
	}
	if len(c.FixedY) != 2 {
		y1 += 0.05 * (y1 - y0)
	}
	return
}

func (c *Chart) axes(b *strings.Builder, x0, x1, y0, y1 float64, sx, sy func(float64) float64) {
	fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" class="axis"/>`, padL, sy(y0), c.Width-padR, sy(y0))
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%.1f" class="axis"/>`, padL, padT, padL, sy(y0))
	for _, y := range niceTicks(y0, y1, 5) {
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" class="grid"/>`, padL, sy(y), c.Width-padR, sy(y))
		fmt.Fprintf(b, `<text x="%d" y="%.1f" class="yt">%s</text>`, padL-6, sy(y)+4, num(y))
	}
	var xs []float64
	if c.XTime {
		xs = timeTicks(x0, x1, 6)
	} else {
		xs = niceTicks(x0, x1, 6)
	}
	for _, x := range xs {
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" class="xt">%s</text>`, sx(x), sy(y0)+16, c.xText(x))
	}
	if c.YLabel != "" {
		fmt.Fprintf(b, `<text x="12" y="%d" class="yl" transform="rotate(-90 12 %d)">%s</text>`,
			padT+int(sy(y0)-float64(padT))/2, padT+int(sy(y0)-float64(padT))/2, template.HTMLEscapeString(c.YLabel))
	}
	if c.XLabel != "" {
		fmt.Fprintf(b, `<text x="%d" y="%.1f" class="xl">%s</text>`, (c.Width+padL)/2, sy(y0)+32, template.HTMLEscapeString(c.XLabel))
	}
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
	pos := func() (int, int) {
		x, y := padL+(i%3)*((c.Width-padL)/3), top+(i/3)*18+4
		i++
		return x, y
	}
	for _, bd := range c.Bands {
		x, y := pos()
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="24" height="10" fill="%s" fill-opacity="%.2f"/><text x="%d" y="%d" class="lg">%s</text>`,
			x, y, bd.Color, bd.Opacity, x+30, y+9, template.HTMLEscapeString(bd.Name))
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
		fmt.Fprintf(b, `<text x="%d" y="%d" class="lg">%s</text>`, x+30, y+9, template.HTMLEscapeString(l.Name))
	}
}

// niceTicks returns about n round numbers covering [lo, hi].
func niceTicks(lo, hi float64, n int) []float64 {
	if hi <= lo || n < 1 {
		return []float64{lo}
	}
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var out []float64
	for x := math.Ceil(lo/step) * step; x <= hi+step*1e-9; x += step {
		out = append(out, math.Round(x/step)*step)
	}
	return out
}

// timeTicks returns about n tick times (Unix seconds) on day, week, month or
// year boundaries covering [lo, hi].
func timeTicks(lo, hi float64, n int) []float64 {
	span := (hi - lo) / 86400
	start := time.Unix(int64(lo), 0).UTC()
	var next func(time.Time) time.Time
	t := time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, time.UTC)
	switch { // at most about n ticks, so the dates never overlap
	case span <= float64(n):
		next = func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }
	case span <= 7*float64(n):
		next = func(t time.Time) time.Time { return t.AddDate(0, 0, 7) }
	case span <= 31*float64(n):
		t = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
		next = func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }
	case span <= 92*float64(n):
		t = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
		next = func(t time.Time) time.Time { return t.AddDate(0, 3, 0) }
	default:
		t = time.Date(t.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
		next = func(t time.Time) time.Time { return t.AddDate(1, 0, 0) }
	}
	var out []float64
	for ; float64(t.Unix()) <= hi; t = next(t) {
		if float64(t.Unix()) >= lo {
			out = append(out, float64(t.Unix()))
		}
	}
	return out
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
