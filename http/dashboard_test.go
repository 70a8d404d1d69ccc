package http

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise"
)

// browser is a cookie-keeping client of the test server.
type browser struct {
	t   *testing.T
	srv *httptest.Server
	c   *http.Client
}

func newBrowser(t *testing.T, e *testEnv) *browser {
	srv := httptest.NewServer(e.s)
	t.Cleanup(srv.Close)
	jar := &cookieJar{m: map[string]*http.Cookie{}}
	return &browser{t: t, srv: srv, c: &http.Client{Jar: jar}}
}

type cookieJar struct{ m map[string]*http.Cookie }

func (j *cookieJar) SetCookies(_ *url.URL, cs []*http.Cookie) {
	for _, c := range cs {
		if c.MaxAge < 0 {
			delete(j.m, c.Name)
		} else {
			j.m[c.Name] = c
		}
	}
}

func (j *cookieJar) Cookies(*url.URL) []*http.Cookie {
	var out []*http.Cookie
	for _, c := range j.m {
		out = append(out, c)
	}
	return out
}

func (b *browser) get(path string) (int, string) {
	b.t.Helper()
	resp, err := b.c.Get(b.srv.URL + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, sb.String()
}

func (b *browser) post(path string, form url.Values) (int, string) {
	b.t.Helper()
	resp, err := b.c.PostForm(b.srv.URL+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, sb.String()
}

var csrfField = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

func TestDashboard(t *testing.T) {
	e := newEnv(t, []float64{0.3})
	e.do("PUT", "/v1/products", e.keys[shelfwise.RoleAdmin], `{"products":[{"sku":"A1","name":"Red mug","category":"Kitchen"}]}`)
	e.do("POST", "/v1/events", e.keys[shelfwise.RoleApp], batchJSON(5, "CUST-9"))

	t.Run("RedirectsToLogin", func(t *testing.T) {
		b := newBrowser(t, e)
		status, body := b.get("/dashboard/models")
		if status != 200 || !strings.Contains(body, `name="key"`) || !strings.Contains(body, `value="/dashboard/models"`) {
			t.Fatalf("%d %s", status, body)
		}
	})
	t.Run("AppKeyRefused", func(t *testing.T) {
		b := newBrowser(t, e)
		status, body := b.post("/login", url.Values{"key": {e.keys[shelfwise.RoleApp]}})
		if status != 403 || !strings.Contains(body, "App keys cannot open the dashboard") {
			t.Fatalf("%d %s", status, body)
		}
	})
	t.Run("WrongKey", func(t *testing.T) {
		b := newBrowser(t, e)
		status, body := b.post("/login", url.Values{"key": {"swk_nope"}})
		if status != 401 || !strings.Contains(body, "not valid") {
			t.Fatalf("%d %s", status, body)
		}
	})

	b := newBrowser(t, e)
	if status, body := b.post("/login", url.Values{"key": {e.keys[shelfwise.RoleAnalyst]}, "next": {"/dashboard/data"}}); status != 200 ||
		!strings.Contains(body, "What the store holds") {
		t.Fatalf("sign in: %d %s", status, body)
	}
	pages := []struct {
		path string
		want []string
	}{
		{"/dashboard/", []string{`data-kpi="Order lines">1<`, `data-kpi="Events">5<`, "Model health", "no model trained yet", "<svg"}},
		{"/dashboard/forecasts", []string{"Forecasting is not available on this server yet"}},
		{"/dashboard/recommendations?customer=CUST-9", []string{"Red mug", "you bought similar things", "Purchase history", "Trending now"}},
		{"/dashboard/propensity", []string{"Purchase propensity is not available on this server yet"}},
		{"/dashboard/models", []string{"recommend", "Retrain now", "No versions yet"}},
		{"/dashboard/data", []string{`data-stat="Order lines">1<`, "No imports yet"}},
	}
	for _, p := range pages {
		t.Run("Page"+p.path, func(t *testing.T) {
			status, body := b.get(p.path)
			if status != 200 {
				t.Fatalf("status %d: %s", status, body)
			}
			for _, w := range p.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			if strings.Contains(body, "<script") {
				t.Error("page has a script")
			}
			if strings.Contains(body, "CUST-9") {
				t.Error("page shows the raw customer id")
			}
		})
	}
	t.Run("RetrainFromDashboard", func(t *testing.T) {
		_, body := b.get("/dashboard/models")
		m := csrfField.FindStringSubmatch(body)
		if m == nil {
			t.Fatal("no CSRF token in the form")
		}
		if status, body := b.post("/dashboard/models/recommend/retrain", url.Values{"csrf": {"bad"}}); status != 403 {
			t.Fatalf("bad CSRF: %d %s", status, body)
		}
		status, body := b.post("/dashboard/models/recommend/retrain", url.Values{"csrf": {m[1]}})
		if status != 200 || !strings.Contains(body, "Queued retrain of recommend") {
			t.Fatalf("retrain: %d %s", status, body)
		}
		// Analysts may not promote.
		if status, body := b.post("/dashboard/models/recommend/promote", url.Values{"csrf": {m[1]}, "version": {"1"}}); status != 403 ||
			!strings.Contains(body, "needs a key with role admin") {
			t.Fatalf("analyst promote: %d %s", status, body)
		}
	})
	t.Run("SignInLink", func(t *testing.T) {
		r := e.do("POST", "/v1/dashboard/links", e.keys[shelfwise.RoleAdmin], `{"next":"/dashboard/models"}`)
		var l LinkOut
		json.Unmarshal(r.body, &l)
		b2 := newBrowser(t, e)
		status, body := b2.get(l.Path)
		if status != 200 || !strings.Contains(body, "Retrain now") || !strings.Contains(body, "(admin)") {
			t.Fatalf("link: %d %s", status, body)
		}
		b3 := newBrowser(t, e)
		if status, body := b3.get(l.Path); status != 401 || !strings.Contains(body, "already used") {
			t.Fatalf("reused link: %d", status)
		}
	})
	t.Run("RevokedKeyEndsSession", func(t *testing.T) {
		r := e.do("POST", "/v1/keys", e.keys[shelfwise.RoleAdmin], `{"role":"analyst"}`)
		var k KeyOut
		json.Unmarshal(r.body, &k)
		b4 := newBrowser(t, e)
		if status, _ := b4.post("/login", url.Values{"key": {k.Secret}}); status != 200 {
			t.Fatal(status)
		}
		e.do("DELETE", "/v1/keys/"+k.Key.ID, e.keys[shelfwise.RoleAdmin], "")
		if status, _ := b4.get("/dashboard/"); status != 401 {
			t.Fatalf("revoked key still signed in: %d", status)
		}
	})
	t.Run("SecurityHeaders", func(t *testing.T) {
		resp, err := b.c.Get(b.srv.URL + "/dashboard/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
			t.Fatalf("CSP %q", csp)
		}
	})
}

func TestTimeTicks(t *testing.T) {
	day := 86400.0
	start := float64(time.Date(2024, 12, 30, 0, 0, 0, 0, time.UTC).Unix())
	for _, span := range []float64{3, 6, 12, 27, 42, 84, 180, 365, 3 * 365} {
		ticks := timeTicks(start, start+span*day, 6)
		// Daily ticks for 7 days could give 8 (both ends); never more.
		if len(ticks) < 2 || len(ticks) > 8 {
			t.Errorf("a span of %v days has %d ticks, want 2 to 8", span, len(ticks))
		}
	}
}

func TestNiceTicks(t *testing.T) {
	got := niceTicks(0, 10, 5)
	want := []float64{0, 2, 4, 6, 8, 10}
	if len(got) != len(want) {
		t.Fatalf("ticks %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("ticks %v, want %v", got, want)
		}
	}
	if got := niceTicks(0.13, 0.87, 4); got[0] != 0.2 || got[len(got)-1] != 0.8 {
		t.Fatalf("ticks %v", got)
	}
	// Weekly revenue from 4,300 to 6,820: five ticks 500 apart, not two
	// 1,000 apart.
	if got := niceTicks(4300, 6820, 5); len(got) != 5 || got[0] != 4500 || got[1] != 5000 {
		t.Fatalf("ticks %v, want 4500 to 6500 by 500", got)
	}
}

func TestChartSVG(t *testing.T) {
	c := &Chart{Title: "t <&>", Lines: []Line{{Name: "a", X: []float64{0, 1, 2}, Y: []float64{1, 3, 2}, Marker: true, Color: "#000"}},
		Bands: []Band{{Name: "80% interval", X: []float64{0, 1, 2}, Lo: []float64{0, 2, 1}, Hi: []float64{2, 4, 3}, Color: "#f00", Opacity: 0.3}}}
	svg := string(c.SVG())
	for _, want := range []string{"<title>t &lt;&amp;&gt;</title>", "<polygon", `stroke="#000"`, "80% interval", "<circle"} {
		if !strings.Contains(svg, want) {
			t.Errorf("svg lacks %q", want)
		}
	}
	if n := strings.Count(svg, "<circle"); n != 4 { // 3 points + legend sample
		t.Errorf("%d circles, want 4", n)
	}
	if got := string((&Chart{Title: "e"}).SVG()); !strings.Contains(got, "no data") {
		t.Error("empty chart does not say no data")
	}
	if got := intText(1234567); got != "1,234,567" {
		t.Errorf("intText=%s", got)
	}
}

// TestSignInThrottle: after SignInFailures wrong keys from one address,
// that address is refused (429 with Retry-After, even with a valid key)
// until its allowance refills; other addresses are not affected; stale
// one-time links count as failures too.
func TestSignInThrottle(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	e := newEnv(t, nil, func(c *Config) {
		c.SignInFailures, c.SignInWindow = 3, 3*time.Minute
		c.Now = func() time.Time { return now }
	})
	valid := e.keys[shelfwise.RoleAnalyst]
	login := func(addr, key string) *httptest.ResponseRecorder {
		t.Helper()
		r := httptest.NewRequest("POST", "/login", strings.NewReader(url.Values{"key": {key}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.RemoteAddr = addr
		w := httptest.NewRecorder()
		e.s.ServeHTTP(w, r)
		return w
	}
	const a, b = "192.0.2.1:4000", "192.0.2.2:4000"
	for i := range 3 {
		if w := login(a, "swk_guess"); w.Code != 401 {
			t.Fatalf("failure %d: status %d, want 401", i+1, w.Code)
		}
	}
	// Another port of the same address shares the allowance.
	w := login("192.0.2.1:5000", valid)
	if w.Code != 429 || w.Header().Get("Retry-After") != "61" || !strings.Contains(w.Body.String(), "Too many failed sign-ins") {
		t.Fatalf("4th attempt: %d Retry-After %q %s", w.Code, w.Header().Get("Retry-After"), w.Body.String())
	}
	if w := login(b, valid); w.Code != 303 {
		t.Fatalf("another address: %d, want 303 (signed in)", w.Code)
	}
	now = now.Add(59 * time.Second)
	if w := login(a, valid); w.Code != 429 {
		t.Fatalf("59 s later: %d, want 429", w.Code)
	}
	now = now.Add(time.Second) // one failure's worth refilled
	if w := login(a, valid); w.Code != 303 {
		t.Fatalf("after a minute with a valid key: %d, want 303", w.Code)
	}
	// A successful sign-in costs nothing; one more failure empties it again.
	if w := login(a, "swk_guess"); w.Code != 401 {
		t.Fatalf("failure after refill: %d, want 401", w.Code)
	}
	if w := login(a, valid); w.Code != 429 {
		t.Fatalf("after the refilled failure: %d, want 429", w.Code)
	}
	// Stale links count: address b spends its three failures on them.
	for i := range 3 {
		r := httptest.NewRequest("GET", "/login/link?token=nope", nil)
		r.RemoteAddr = b
		w := httptest.NewRecorder()
		e.s.ServeHTTP(w, r)
		if w.Code != 401 {
			t.Fatalf("stale link %d: %d, want 401", i+1, w.Code)
		}
	}
	if w := login(b, valid); w.Code != 429 {
		t.Fatalf("after three stale links: %d, want 429", w.Code)
	}
	if r := e.do("GET", "/metrics", "", ""); !strings.Contains(string(r.body), "shelfwise_dashboard_signins_throttled_total 4") {
		t.Fatalf("throttled sign-ins not counted in /metrics")
	}
}

var svgText = regexp.MustCompile(`<text x="([0-9.]+)" y="[0-9.]+" class="(xt|yt)">([^<]*)</text>`)

// axisLabel is one tick label of a rendered chart with its horizontal
// extent (estimated with charW per character).
type axisLabel struct {
	text   string
	lo, hi float64
}

func axisLabels(svg, class string) []axisLabel {
	var out []axisLabel
	for _, m := range svgText.FindAllStringSubmatch(svg, -1) {
		if m[2] != class {
			continue
		}
		x, _ := strconv.ParseFloat(m[1], 64)
		w := charW * float64(len(m[3]))
		l := axisLabel{text: m[3], lo: x - w/2, hi: x + w/2}
		if class == "yt" { // y labels are end-anchored
			l.lo, l.hi = x-w, x
		}
		out = append(out, l)
	}
	return out
}

// TestChartLabels: tick labels are distinct, inside the chart and apart
// from each other, for flat series, single points, integer axes and time
// axes of any span.
func TestChartLabels(t *testing.T) {
	day := 86400.0
	start := float64(time.Date(2023, 1, 2, 0, 0, 0, 0, time.UTC).Unix())
	check := func(t *testing.T, c *Chart) (xs, ys []axisLabel) {
		t.Helper()
		svg := string(c.SVG())
		xs, ys = axisLabels(svg, "xt"), axisLabels(svg, "yt")
		if len(xs) < 2 && !c.XInteger || len(ys) < 2 {
			t.Fatalf("%d x and %d y tick labels: %s", len(xs), len(ys), svg)
		}
		for _, ls := range [][]axisLabel{xs, ys} {
			seen := map[string]bool{}
			for i, l := range ls {
				if seen[l.text] {
					t.Errorf("tick label %q twice", l.text)
				}
				seen[l.text] = true
				if l.lo < 0 || l.hi > float64(c.Width) {
					t.Errorf("label %q spans %.0f..%.0f, outside 0..%d", l.text, l.lo, l.hi, c.Width)
				}
				if i > 0 && len(xs) > 0 && &ls[0] == &xs[0] && l.lo < ls[i-1].hi+4 {
					t.Errorf("x labels %q and %q overlap", ls[i-1].text, l.text)
				}
			}
		}
		for _, y := range ys {
			if y.lo < 24 && c.YLabel != "" {
				t.Errorf("y label %q reaches x=%.0f, into the axis title", y.text, y.lo)
			}
		}
		return xs, ys
	}
	t.Run("FlatSeries", func(t *testing.T) {
		c := &Chart{Title: "level", XTime: true, Height: 160, Lines: []Line{{Name: "level",
			X: []float64{start, start + 7*day, start + 14*day}, Y: []float64{184, 184, 184}}}}
		_, ys := check(t, c)
		lo, _ := strconv.ParseFloat(ys[0].text, 64)
		hi, _ := strconv.ParseFloat(ys[len(ys)-1].text, 64)
		if !(lo < 184 && 184 < hi) {
			t.Errorf("y ticks %v do not surround the flat line at 184", ys)
		}
	})
	t.Run("CloseTicks", func(t *testing.T) {
		c := &Chart{Title: "c", Lines: []Line{{Name: "a", X: []float64{0, 1}, Y: []float64{184.1, 184.9}}}}
		check(t, c)
	})
	t.Run("OneVersion", func(t *testing.T) {
		c := &Chart{Title: "auc by version", XLabel: "version", YLabel: "auc", XInteger: true, Height: 200,
			Lines: []Line{{Name: "auc", X: []float64{1}, Y: []float64{0.917}, Marker: true}}}
		xs, ys := check(t, c)
		if len(xs) != 1 || xs[0].text != "1" {
			t.Errorf("x labels %v, want just 1", xs)
		}
		lo, _ := strconv.ParseFloat(ys[0].text, 64)
		hi, _ := strconv.ParseFloat(ys[len(ys)-1].text, 64)
		if !(lo < 0.917 && 0.917 < hi) {
			t.Errorf("y ticks %v do not surround the point 0.917", ys)
		}
	})
	t.Run("Versions", func(t *testing.T) {
		c := &Chart{Title: "v", XInteger: true, Lines: []Line{{Name: "m", X: []float64{1, 2, 3}, Y: []float64{0.4, 0.5, 0.45}}}}
		xs, _ := check(t, c)
		for _, x := range xs {
			if strings.Contains(x.text, ".") {
				t.Errorf("fractional version tick %q", x.text)
			}
		}
	})
	for _, span := range []float64{2, 9, 30, 91, 196, 365, 730, 3650} {
		t.Run(fmt.Sprintf("Days%v", span), func(t *testing.T) {
			var x, y []float64
			for d := 0.0; d <= span; d += max(1, span/50) {
				x = append(x, start+d*day)
				y = append(y, 1000+d)
			}
			xs, _ := check(t, &Chart{Title: "s", XTime: true, YLabel: "units", Lines: []Line{{Name: "h", X: x, Y: y}}})
			if span >= 30 && len(xs) < 3 {
				t.Errorf("a span of %v days has only %d date labels", span, len(xs))
			}
		})
	}
}
