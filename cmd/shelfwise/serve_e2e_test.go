package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise"
)

// chromiumPath is where Debian's chromium package installs the browser.
const chromiumPath = "/usr/bin/chromium"

// artefactDir holds the end-to-end screenshots (gitignored).
const artefactDir = "testdata/artefacts"

// chromium runs headless Chromium with args and the URL, returning stdout.
func chromium(t *testing.T, args ...string) string {
	t.Helper()
	profile := t.TempDir()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--user-data-dir=" + profile}
	cmd := exec.Command(chromiumPath, append(base, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
		}
	case <-time.After(90 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("chromium %v timed out", args)
	}
	return stdout.String()
}

// apiDo sends a JSON request with key and decodes the answer into v.
func apiDo(t *testing.T, method, url, key, body string, v any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, b)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s %s: %v in %s", method, url, err, b)
		}
	}
}

// TestDashboardChromium starts "shelfwise serve" on a simulated chain,
// opens every dashboard page in headless Chromium, checks the numbers on
// the pages against the API and saves a screenshot of each page under
// testdata/artefacts.
func TestDashboardChromium(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Chromium is not installed at %s; CI must install it (apt-get install -y chromium)", chromiumPath)
		}
		t.Skipf("SKIPPING the dashboard end-to-end test: no Chromium at %s (apt-get install -y chromium)", chromiumPath)
	}
	if testing.Short() {
		t.Skip("builds the binary, simulates a chain and trains a model; skipped with -short")
	}
	bin := shelfwiseBinary(t)
	dir := t.TempDir()
	out, err := exec.Command(bin, "simulate", "--db", dir, "--stores", "2", "--products", "80",
		"--customers", "150", "--days", "150").CombinedOutput()
	if err != nil {
		t.Fatalf("simulate: %v\n%s", err, out)
	}
	admin := createKey(t, bin, dir, "admin")
	keys := map[shelfwise.Role]string{shelfwise.RoleAdmin: admin,
		shelfwise.RoleAnalyst: createKey(t, bin, dir, "analyst"), shelfwise.RoleApp: createKey(t, bin, dir, "app")}
	srv := startServe(t, bin, dir)

	// Wait for every task's first model (trained at start, one by one).
	var models struct {
		Tasks []struct {
			Task   string                  `json:"task"`
			Served *shelfwise.ModelVersion `json:"served"`
		} `json:"tasks"`
	}
	deadline := time.Now().Add(5 * time.Minute)
	servedBy := map[string]*shelfwise.ModelVersion{}
	for {
		apiDo(t, "GET", srv.url+"/v1/models", admin, "", &models)
		for _, tk := range models.Tasks {
			if tk.Served != nil {
				servedBy[tk.Task] = tk.Served
			}
		}
		if len(models.Tasks) >= 3 && len(servedBy) == len(models.Tasks) {
			break
		}
		var jobs []shelfwise.Job
		apiDo(t, "GET", srv.url+"/v1/jobs", admin, "", &jobs)
		for _, j := range jobs {
			if j.Status == shelfwise.JobFailed {
				t.Fatalf("training %s failed: %s", j.Params["task"], j.Error)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not every model promoted in time; jobs: %+v", jobs)
		}
		time.Sleep(500 * time.Millisecond)
	}
	served := servedBy[shelfwise.TaskRecommend]
	e2eCapabilityRoles(t, srv.url, keys)
	var products struct {
		Products []struct{ SKU, Department string } `json:"products"`
	}
	apiDo(t, "GET", srv.url+"/v1/products?limit=1", admin, "", &products)
	checks := map[string]func(*testing.T, string){}
	totalPath, totalCheck := e2eForecastPage(t, srv.url, admin, "grain=day")
	deptPath, deptCheck := e2eForecastPage(t, srv.url, admin,
		"grain=week&horizon=8&department="+url.QueryEscape(products.Products[0].Department))
	checks["forecasts"], checks["forecasts-department"] = totalCheck, deptCheck
	// A live customer, sent through the API an hour after the simulated
	// period, appears on the pages.
	var stats shelfwise.Stats
	apiDo(t, "GET", srv.url+"/v1/stats", admin, "", &stats)
	live := stats.LastTime.Add(time.Hour).Truncate(time.Minute)
	apiDo(t, "POST", srv.url+"/v1/events", admin, `{"lines":[
		{"invoice":"E2E-1","time":"`+live.Format(time.RFC3339)+`","customer":"E2E-CUSTOMER-1","sku":"`+
		firstSKU(t, srv.url, admin)+`","quantity":3,"unit_price":2.5}]}`, nil)
	apiDo(t, "GET", srv.url+"/v1/stats", admin, "", &stats)
	var recs struct {
		Items []struct{ SKU string } `json:"items"`
	}
	apiDo(t, "GET", srv.url+"/v1/customers/E2E-CUSTOMER-1/recommendations?n=10", admin, "", &recs)
	if len(recs.Items) == 0 {
		t.Fatal("the API recommends nothing")
	}

	if err := os.MkdirAll(artefactDir, 0o755); err != nil {
		t.Fatal(err)
	}
	pages := []struct {
		name, path string
		want       []string
	}{
		{"overview", "/dashboard/", []string{
			fmt.Sprintf(`data-kpi="Order lines">%s<`, intComma(stats.OrderLines)),
			fmt.Sprintf(`data-kpi="Customers">%s<`, intComma(stats.Customers)),
			fmt.Sprintf("<td>v%d</td>", served.Version), "<svg"}},
		{"forecasts", totalPath, []string{"<svg"}},
		{"forecasts-department", deptPath, []string{"<svg"}},
		{"recommendations", "/dashboard/recommendations?customer=E2E-CUSTOMER-1", append([]string{"Purchase history", live.Format("2006-01-02 15:04 MST")},
			recSKUs(recs.Items)...)},
		{"propensity", "/dashboard/propensity", e2ePropensityPage(t, srv.url, admin)},
		{"models", "/dashboard/models", []string{fmt.Sprintf("Serving <strong>v%d</strong>", served.Version),
			fmt.Sprintf("ndcg@10 = %s", trimNum(served.Metrics["ndcg@10"])), "Retrain now", "Roll back"}},
		{"data", "/dashboard/data", []string{fmt.Sprintf(`data-stat="Order lines">%s<`, intComma(stats.OrderLines)),
			"simulate"}},
	}
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) {
			link := func() string {
				var l struct{ Path string }
				apiDo(t, "POST", srv.url+"/v1/dashboard/links", admin, fmt.Sprintf(`{"next":%q}`, p.path), &l)
				return srv.url + l.Path
			}
			dom := chromium(t, "--dump-dom", link())
			for _, w := range p.want {
				if !strings.Contains(dom, w) {
					t.Errorf("page %s lacks %q", p.path, w)
				}
			}
			if check := checks[p.name]; check != nil {
				check(t, dom)
			}
			if strings.Contains(dom, "E2E-CUSTOMER-1") {
				t.Errorf("page %s shows a raw customer id", p.path)
			}
			shot, _ := filepath.Abs(filepath.Join(artefactDir, "dashboard-"+p.name+".png"))
			chromium(t, "--window-size=1280,1800", "--hide-scrollbars", "--screenshot="+shot, link())
			if st, err := os.Stat(shot); err != nil || st.Size() < 10_000 {
				t.Errorf("screenshot %s missing or tiny: %v", shot, err)
			}
		})
	}
	if t.Failed() {
		t.Logf("server log:\n%s", srv.stderr)
	}
}

// recSKUs are the SKUs a recommendations page must show, in table cells.
func recSKUs(items []struct{ SKU string }) []string {
	var out []string
	for _, it := range items {
		out = append(out, "<td>"+it.SKU+"</td>")
	}
	return out
}

func firstSKU(t *testing.T, url, key string) string {
	var ps struct {
		Products []struct{ SKU string } `json:"products"`
	}
	apiDo(t, "GET", url+"/v1/products?limit=1", key, "", &ps)
	if len(ps.Products) == 0 {
		t.Fatal("no products")
	}
	return ps.Products[0].SKU
}

// intComma formats n as the dashboard does (1,234,567).
func intComma(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

var trailingZeros = regexp.MustCompile(`\.?0+$`)

// trimNum formats a metric in [0,1) as the dashboard does (3 decimals).
func trimNum(x float64) string {
	s := fmt.Sprintf("%.3f", x)
	if strings.Contains(s, ".") {
		s = trailingZeros.ReplaceAllString(s, "")
	}
	return s
}
