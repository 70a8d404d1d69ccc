package http

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shelfwise/shelfwise"
)

// Colours of chart elements; every element also differs by dash or marker.
const (
	colHistory  = "#1f4e79"
	colForecast = "#c55a11"
	colBand80   = "#c55a11"
	colBand95   = "#f4b183"
	colActual   = "#385723"
)

// KPI is one headline number of the overview.
type KPI struct {
	Name  string
	Value string
	Note  string
}

type overviewData struct {
	Stats    *shelfwise.Stats
	StatsErr string
	KPIs     []KPI
	Chart    *Chart
	Served   []shelfwise.ModelVersion
	Tasks    []TaskOut
	Jobs     []shelfwise.Job
}

// intText writes an integer with thousands separators.
func intText(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func ago(now, t time.Time) string {
	if t.IsZero() {
		return "no data yet"
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		return "in the future"
	case d < time.Hour:
		return fmt.Sprintf("%d minutes ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d hours ago", int(d.Hours()))
	default:
		return fmt.Sprintf("%d days ago", int(d.Hours()/24))
	}
}

func (d *dashboard) overview(w http.ResponseWriter, r *http.Request, v *view) error {
	ctx := r.Context()
	data := &overviewData{}
	st, err := d.s.cfg.DB.Stats(ctx)
	if err != nil {
		data.StatsErr = shelfwise.ErrorMessage(err)
	} else {
		data.Stats = &st
		data.KPIs = append(data.KPIs,
			KPI{"Order lines", intText(st.OrderLines), intText(st.Invoices) + " invoices"},
			KPI{"Customers", intText(st.Customers), "pseudonymised"},
			KPI{"Products", intText(st.Products), intText(st.Stores) + " stores"},
			KPI{"Events", intText(st.Events), intText(st.Sessions) + " sessions"},
			KPI{"Data freshness", ago(v.Now, st.LastTime), "latest record " + fmtTime(st.LastTime, "2006-01-02 15:04")},
		)
		if k, chart := d.salesTrend(ctx, st); chart != nil {
			data.KPIs = append(data.KPIs, k...)
			data.Chart = chart
		}
	}
	if d.s.cfg.Models != nil && d.s.cfg.Manager != nil {
		if ts, err := d.s.tasks(r); err == nil {
			data.Tasks = ts
		}
	}
	if d.s.cfg.Jobs != nil {
		data.Jobs, _ = d.s.cfg.Jobs.Jobs(ctx, 5)
	}
	v.Data = data
	d.render(w, r, "overview", v)
	return nil
}

// salesTrend reads daily chain revenue for the last 182 days of data and
// returns the last-28-days KPIs and a chart.
func (d *dashboard) salesTrend(ctx context.Context, st shelfwise.Stats) ([]KPI, *Chart) {
	if st.LastTime.IsZero() || st.OrderLines == 0 {
		return nil, nil
	}
	end := st.LastTime.Truncate(24 * time.Hour).Add(24 * time.Hour)
	var s *shelfwise.Series
	err := d.s.cfg.DB.Series(ctx, shelfwise.SeriesQuery{Grain: shelfwise.GrainDay, Measure: "revenue",
		From: end.AddDate(0, 0, -182), To: end}, func(x *shelfwise.Series) error {
		s = x
		return nil
	})
	if err != nil || s == nil || len(s.Values) == 0 {
		if err != nil {
			d.s.log.Warn("overview sales series", "err", err)
		}
		return nil, nil
	}
	n := len(s.Values)
	sum := func(lo, hi int) float64 {
		t := 0.0
		for i := max(0, lo); i < hi && i < n; i++ {
			t += s.Values[i]
		}
		return t
	}
	last, prev := sum(n-28, n), sum(n-56, n-28)
	trend := "no earlier period"
	if prev > 0 && n >= 56 {
		trend = fmt.Sprintf("%+.1f%% vs the 28 days before", 100*(last-prev)/prev)
	}
	kpis := []KPI{{"Sales, last 28 days", num(last), trend}}
	// Weekly sums read better than daily noise. Weeks are counted back
	// from the last day, so every point is a whole week (a partial week
	// would show as a fall in sales).
	var xs, ys []float64
	for i := n % 7; i+7 <= n; i += 7 {
		xs = append(xs, float64(s.Time(i).Unix()))
		ys = append(ys, sum(i, i+7))
	}
	c := &Chart{Title: "Chain sales per week (revenue)", XTime: true, YLabel: "revenue",
		Lines: []Line{{Name: "weekly revenue", X: xs, Y: ys, Color: colHistory, Marker: true}}}
	return kpis, c
}

type forecastData struct {
	Q          ForecastQuery
	Form       map[string]string
	Available  bool
	Note       string
	Chart      *Chart
	Components []*Chart
	Out        *ForecastOut
	Bands      []string
}

func (d *dashboard) forecasts(w http.ResponseWriter, r *http.Request, v *view) error {
	q, err := forecastQuery(r)
	if err != nil {
		return err
	}
	form := map[string]string{}
	for _, k := range []string{"sku", "store", "department", "category", "subcategory", "grain", "horizon"} {
		form[k] = r.URL.Query().Get(k)
	}
	data := &forecastData{Q: q, Form: form, Available: d.s.cfg.Forecaster != nil}
	v.Data = data
	if d.s.cfg.Forecaster == nil {
		data.Note = "Forecasting is not available on this server yet: no forecasting model is wired in. The history below comes straight from the store."
		hist, err := d.history(r.Context(), q)
		if err != nil {
			return err
		}
		if hist != nil {
			data.Chart = historyChart(hist, q)
		}
		d.render(w, r, "forecasts", v)
		return nil
	}
	res, err := d.s.cfg.Forecaster.Forecast(r.Context(), q)
	if err != nil {
		data.Note = shelfwise.ErrorMessage(err)
		d.render(w, r, "forecasts", v)
		return nil
	}
	out := forecastOut(res)
	data.Out = &out
	data.Chart, data.Bands = forecastChart(out, len(out.Mean))
	for _, name := range sortedKeys(out.Components) {
		xs := make([]float64, len(out.Times))
		for i, t := range out.Times {
			xs[i] = float64(t.Unix())
		}
		data.Components = append(data.Components, &Chart{Title: "Component: " + name, XTime: true, Height: 160,
			Lines: []Line{{Name: name, X: xs, Y: out.Components[name], Color: colForecast}}})
	}
	d.render(w, r, "forecasts", v)
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// history reads the stored series matching the query's key.
func (d *dashboard) history(ctx context.Context, q ForecastQuery) (*shelfwise.Series, error) {
	k := q.Key
	var level []string
	for _, f := range []struct{ name, v string }{{"sku", string(k.SKU)}, {"store", string(k.Store)},
		{"department", k.Department}, {"category", k.Category}, {"subcategory", k.Subcategory}} {
		if f.v != "" {
			level = append(level, f.name)
		}
	}
	var found *shelfwise.Series
	err := d.s.cfg.DB.Series(ctx, shelfwise.SeriesQuery{Grain: q.Grain, Level: level, SKU: k.SKU, Store: k.Store},
		func(s *shelfwise.Series) error {
			if s.Key.Department == k.Department && s.Key.Category == k.Category && s.Key.Subcategory == k.Subcategory {
				found = s
			}
			return nil
		})
	if shelfwise.ErrorCode(err) == shelfwise.ENOTIMPL {
		return nil, nil
	}
	return found, err
}

func seriesXY(s *shelfwise.Series, lastN int) (xs, ys []float64) {
	start := max(0, len(s.Values)-lastN)
	for i := start; i < len(s.Values); i++ {
		xs = append(xs, float64(s.Time(i).Unix()))
		ys = append(ys, s.Values[i])
	}
	return
}

func historyChart(s *shelfwise.Series, q ForecastQuery) *Chart {
	xs, ys := seriesXY(s, 365)
	return &Chart{Title: "History of " + s.Key.String() + " (units per " + string(q.Grain) + ")", XTime: true,
		Lines: []Line{{Name: "history", X: xs, Y: ys, Color: colHistory}}}
}

// forecastChart draws the recent history, the mean and the widest two
// central intervals the forecast has, labelled with their real coverage.
func forecastChart(out ForecastOut, h int) (*Chart, []string) {
	c := &Chart{Title: "Forecast of " + out.Key, XTime: true, YLabel: "units"}
	var hx, hy []float64
	for _, p := range out.History[max(0, len(out.History)-3*h):] {
		hx = append(hx, float64(p.Time.Unix()))
		hy = append(hy, p.Value)
	}
	fx := make([]float64, len(out.Times))
	for i, t := range out.Times {
		fx[i] = float64(t.Unix())
	}
	level := func(l float64) []float64 {
		for _, q := range out.Quantiles {
			if q.Level > l-1e-9 && q.Level < l+1e-9 {
				return q.Values
			}
		}
		return nil
	}
	var names []string
	for _, b := range []struct {
		lo, hi  float64
		color   string
		opacity float64
	}{{0.025, 0.975, colBand95, 0.35}, {0.05, 0.95, colBand95, 0.35}, {0.1, 0.9, colBand80, 0.3}} {
		lo, hi := level(b.lo), level(b.hi)
		if lo == nil || hi == nil {
			continue
		}
		name := fmt.Sprintf("%.0f%% interval", 100*(b.hi-b.lo))
		names = append(names, name)
		c.Bands = append(c.Bands, Band{Name: name, X: fx, Lo: lo, Hi: hi, Color: b.color, Opacity: b.opacity})
	}
	c.Lines = []Line{
		{Name: "history", X: hx, Y: hy, Color: colHistory},
		{Name: "forecast mean (" + out.Model + ")", X: fx, Y: out.Mean, Color: colForecast, Dash: "6 4", Marker: len(fx) <= 60},
	}
	return c, names
}

// recRow is a recommendation with its product's name.
type recRow struct {
	RecItem
	Name     string
	Category string
}

type historyRow struct {
	Time     time.Time
	SKU      string
	Name     string
	Quantity float64
	Amount   float64
	Kind     string
}

type recData struct {
	Available bool
	Note      string
	Customer  string // pseudonym shown
	Recs      []recRow
	Model     string
	Version   int
	History   []historyRow
	Trending  []recRow
	Asked     bool
}

func (d *dashboard) productNames(ctx context.Context, items []shelfwise.Recommendation) []recRow {
	out := make([]recRow, len(items))
	for i, it := range items {
		out[i] = recRow{RecItem: RecItem{SKU: string(it.SKU), Score: it.Score, Reason: it.Reason, Source: it.Source}}
		if p, err := d.s.cfg.DB.Product(ctx, it.SKU); err == nil {
			out[i].Name, out[i].Category = p.Name, p.Category
		}
	}
	return out
}

func (d *dashboard) recommendations(w http.ResponseWriter, r *http.Request, v *view) error {
	ctx := r.Context()
	data := &recData{Available: d.s.cfg.Recommender != nil}
	v.Data = data
	raw := strings.TrimSpace(r.URL.Query().Get("customer"))
	if !data.Available {
		data.Note = "Recommendations are not available on this server yet: no recommendation model is wired in."
	}
	if data.Available {
		if l, err := d.s.cfg.Recommender.Trending(ctx, RecQuery{N: 10, Now: v.Now}); err == nil {
			data.Trending = d.productNames(ctx, l.Items)
		}
	}
	if raw == "" {
		d.render(w, r, "recommendations", v)
		return nil
	}
	if len(raw) > maxIDLen {
		return shelfwise.Errorf(shelfwise.EINVALID, "the customer id must be 1 to %d bytes", maxIDLen)
	}
	data.Asked = true
	key := d.s.cfg.Pseudonymizer.Key(raw)
	data.Customer = string(key)
	if data.Available {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		if n < 1 || n > 100 {
			n = 10
		}
		l, err := d.s.cfg.Recommender.ForCustomer(ctx, key, RecQuery{N: n, Now: v.Now})
		if err != nil {
			data.Note = shelfwise.ErrorMessage(err)
		} else {
			data.Recs, data.Model, data.Version = d.productNames(ctx, l.Items), l.Model, l.Version
		}
	}
	var hist []historyRow
	err := d.s.cfg.DB.OrderLines(ctx, shelfwise.OrderFilter{Customer: key, ProductsOnly: true}, func(l shelfwise.OrderLine) error {
		hist = append(hist, historyRow{Time: l.Time, SKU: string(l.SKU), Quantity: l.Quantity, Amount: l.Amount(), Kind: string(l.Kind)})
		return nil
	})
	if err != nil && shelfwise.ErrorCode(err) != shelfwise.ENOTFOUND {
		return err
	}
	slices.Reverse(hist)
	if len(hist) > 50 {
		hist = hist[:50]
	}
	for i := range hist {
		if p, err := d.s.cfg.DB.Product(ctx, shelfwise.SKU(hist[i].SKU)); err == nil {
			hist[i].Name = p.Name
		}
	}
	data.History = hist
	d.render(w, r, "recommendations", v)
	return nil
}

type propensityData struct {
	Available   bool
	Note        string
	Summary     *PropensitySummary
	Metrics     []KPI
	Histogram   *Chart
	Calibration *Chart
}

func (d *dashboard) propensity(w http.ResponseWriter, r *http.Request, v *view) error {
	data := &propensityData{Available: d.s.cfg.Propensity != nil}
	v.Data = data
	if !data.Available {
		data.Note = "Purchase propensity is not available on this server yet: no propensity model is wired in."
		d.render(w, r, "propensity", v)
		return nil
	}
	sum, err := d.s.cfg.Propensity.Summary(r.Context())
	if err != nil {
		data.Note = shelfwise.ErrorMessage(err)
		d.render(w, r, "propensity", v)
		return nil
	}
	data.Summary = &sum
	for _, k := range sortedKeys(sum.Metrics) {
		data.Metrics = append(data.Metrics, KPI{Name: k, Value: num(sum.Metrics[k])})
	}
	h := &Chart{Title: "Score distribution on held-out sessions", XLabel: "predicted purchase probability", YLabel: "sessions"}
	for _, b := range sum.Distribution {
		h.Bars = append(h.Bars, float64(b.Count))
		h.BarLo = append(h.BarLo, b.Lo)
		h.BarHi = append(h.BarHi, b.Hi)
	}
	data.Histogram = h
	cal := &Chart{Title: "Calibration: observed purchase rate per predicted bin", XLabel: "predicted", YLabel: "observed",
		Diagonal: true, FixedY: []float64{0, 1}}
	var xs, ys []float64
	for _, p := range sum.Calibration {
		xs = append(xs, p.Predicted)
		ys = append(ys, p.Observed)
	}
	cal.Lines = []Line{{Name: "model (points: bins)", X: xs, Y: ys, Color: colForecast, Marker: true},
		{Name: "perfect calibration", X: []float64{0, 1}, Y: []float64{0, 1}, Color: "#7f7f7f", Dash: "2 3"}}
	cal.Diagonal = false
	data.Calibration = cal
	d.render(w, r, "propensity", v)
	return nil
}

type modelTask struct {
	TaskOut
	Versions []shelfwise.ModelVersion
	Chart    *Chart
}

type modelsData struct {
	Available bool
	Note      string
	Tasks     []modelTask
	Jobs      []shelfwise.Job
}

func (d *dashboard) models(w http.ResponseWriter, r *http.Request, v *view) error {
	data := &modelsData{Available: d.s.cfg.Models != nil && d.s.cfg.Manager != nil}
	v.Data = data
	v.Flash = d.popFlash(r)
	if !data.Available {
		data.Note = "The model registry is not available on this server."
		d.render(w, r, "models", v)
		return nil
	}
	ts, err := d.s.tasks(r)
	if err != nil {
		return err
	}
	for _, t := range ts {
		vs, err := d.s.cfg.Models.Versions(r.Context(), t.Task)
		if err != nil {
			return err
		}
		mt := modelTask{TaskOut: t, Versions: vs}
		var xs, ys []float64
		metric := ""
		for i := len(vs) - 1; i >= 0; i-- {
			if x, ok := vs[i].Primary(); ok {
				xs, ys, metric = append(xs, float64(vs[i].Version)), append(ys, x), vs[i].PrimaryMetric
			}
		}
		if len(xs) > 0 {
			mt.Chart = &Chart{Title: t.Task + ": " + metric + " by version", XLabel: "version", YLabel: metric, Height: 200, XInteger: true,
				Lines: []Line{{Name: metric + " (held-out)", X: xs, Y: ys, Color: colHistory, Marker: true}}}
		}
		data.Tasks = append(data.Tasks, mt)
	}
	if d.s.cfg.Jobs != nil {
		data.Jobs, _ = d.s.cfg.Jobs.Jobs(r.Context(), 20)
	}
	d.render(w, r, "models", v)
	return nil
}

func (d *dashboard) backToModels(w http.ResponseWriter, r *http.Request, msg string) error {
	d.setFlash(r, msg)
	http.Redirect(w, r, "/dashboard/models", http.StatusSeeOther)
	return nil
}

func (d *dashboard) retrain(w http.ResponseWriter, r *http.Request, v *view) error {
	if err := d.s.needModels(); err != nil {
		return err
	}
	j, err := d.s.cfg.Manager.Retrain(r.Context(), r.PathValue("task"))
	if err != nil {
		return err
	}
	return d.backToModels(w, r, "Queued retrain of "+r.PathValue("task")+" as job "+j.ID+".")
}

func (d *dashboard) promote(w http.ResponseWriter, r *http.Request, v *view) error {
	if err := d.s.needModels(); err != nil {
		return err
	}
	n, err := strconv.Atoi(r.PostForm.Get("version"))
	if err != nil || n < 1 {
		return shelfwise.Errorf(shelfwise.EINVALID, "version must be a positive integer")
	}
	mv, err := d.s.cfg.Manager.Promote(r.Context(), r.PathValue("task"), n, r.PostForm.Get("force") == "1")
	if err != nil {
		return err
	}
	d.s.log.Info("model promoted from the dashboard", "task", mv.Task, "version", mv.Version, "key", v.Key.ID)
	return d.backToModels(w, r, fmt.Sprintf("Promoted %s v%d.", mv.Task, mv.Version))
}

func (d *dashboard) rollback(w http.ResponseWriter, r *http.Request, v *view) error {
	if err := d.s.needModels(); err != nil {
		return err
	}
	mv, err := d.s.cfg.Manager.Rollback(r.Context(), r.PathValue("task"))
	if err != nil {
		return err
	}
	d.s.log.Info("model rolled back from the dashboard", "task", mv.Task, "version", mv.Version, "key", v.Key.ID)
	return d.backToModels(w, r, fmt.Sprintf("Rolled %s back to v%d.", mv.Task, mv.Version))
}

type dataPage struct {
	Stats    *shelfwise.Stats
	StatsErr string
	Rows     []KPI
	Imports  []shelfwise.ImportReport
}

func (d *dashboard) data(w http.ResponseWriter, r *http.Request, v *view) error {
	data := &dataPage{}
	v.Data = data
	if st, err := d.s.cfg.DB.Stats(r.Context()); err != nil {
		data.StatsErr = shelfwise.ErrorMessage(err)
	} else {
		data.Stats = &st
		for _, x := range []struct {
			n string
			v int64
		}{{"Products", st.Products}, {"Stores", st.Stores}, {"Customers", st.Customers}, {"Order lines", st.OrderLines},
			{"Invoices", st.Invoices}, {"Events", st.Events}, {"Sessions", st.Sessions}, {"Sales points", st.SalesPoints},
			{"Series", st.Series}, {"Prices", st.Prices}, {"Promotions", st.Promotions}, {"Stock levels", st.StockLevels},
			{"Calendar events", st.CalendarDays}, {"Imports", st.Imports}} {
			data.Rows = append(data.Rows, KPI{Name: x.n, Value: intText(x.v)})
		}
	}
	ims, err := d.s.cfg.DB.Imports(r.Context())
	if err != nil {
		return err
	}
	data.Imports = ims
	d.render(w, r, "data", v)
	return nil
}
