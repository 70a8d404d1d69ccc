package http

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/registry"
)

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fakeRecommender ranks a fixed list, so responses are predictable.
type fakeRecommender struct{}

func (fakeRecommender) list(q RecQuery, reason string) RecList {
	var items []shelfwise.Recommendation
	for i, sku := range []shelfwise.SKU{"A1", "B2", "C3", "D4"} {
		if i < q.N {
			items = append(items, shelfwise.Recommendation{SKU: sku, Score: 1 / float64(i+1), Reason: reason, Source: "fake"})
		}
	}
	return RecList{Items: items, Model: "fake", Version: 1}
}

func (f fakeRecommender) ForCustomer(_ context.Context, c shelfwise.CustomerKey, q RecQuery) (RecList, error) {
	return f.list(q, "you bought similar things"), nil
}

func (f fakeRecommender) ForSession(_ context.Context, s shelfwise.SessionID, skus []shelfwise.SKU, q RecQuery) (RecList, error) {
	return f.list(q, "viewed in this session"), nil
}

func (f fakeRecommender) Similar(_ context.Context, sku shelfwise.SKU, q RecQuery) (RecList, error) {
	return f.list(q, "similar to "+string(sku)), nil
}

func (f fakeRecommender) BoughtTogether(_ context.Context, sku shelfwise.SKU, q RecQuery) (RecList, error) {
	return f.list(q, "bought with "+string(sku)), nil
}

func (f fakeRecommender) Trending(_ context.Context, q RecQuery) (RecList, error) {
	return f.list(q, "sales rising"), nil
}

type testEnv struct {
	s     *Server
	db    *fakeDB
	ps    *shelfwise.Pseudonymizer
	keys  map[shelfwise.Role]string
	logs  *syncBuffer
	mgr   *registry.Manager
	queue *registry.Queue
	slot  *registry.Slot[string]
}

// newEnv builds a server on a fake store with the real registry, one key
// per role and a "recommend" task whose trainer yields the given metric
// values in turn.
func newEnv(t *testing.T, metrics []float64, opts ...func(*Config)) *testEnv {
	t.Helper()
	ctx := context.Background()
	rdb, err := registry.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	e := &testEnv{db: newFakeDB(), ps: shelfwise.NewPseudonymizer([]byte("0123456789abcdef0123456789abcdef")),
		keys: map[shelfwise.Role]string{}, logs: &syncBuffer{}, slot: &registry.Slot[string]{}}
	keys := registry.NewKeys(rdb)
	for _, role := range shelfwise.Roles {
		_, secret, err := keys.CreateKey(ctx, role, string(role))
		if err != nil {
			t.Fatal(err)
		}
		e.keys[role] = secret
	}
	e.queue = registry.NewQueue(rdb, 1)
	e.mgr = registry.NewManager(registry.NewModels(rdb), e.queue, nil)
	var mu sync.Mutex
	e.mgr.AddTask(registry.Task{
		Name: "recommend",
		Train: func(ctx context.Context, p shelfwise.Progress) (registry.Candidate, error) {
			mu.Lock()
			defer mu.Unlock()
			if len(metrics) == 0 {
				return registry.Candidate{}, shelfwise.Errorf(shelfwise.EINVALID, "no data to train on")
			}
			x := metrics[0]
			metrics = metrics[1:]
			p(0.5, "fitting")
			return registry.Candidate{Model: "fake", Metrics: map[string]float64{"ndcg@10": x}, PrimaryMetric: "ndcg@10",
				HigherIsBetter: true, DataSnapshot: "lines=0", Artifact: []byte(fmt.Sprint(x))}, nil
		},
		Load: func(ctx context.Context, v shelfwise.ModelVersion, b []byte) (func(), error) {
			return func() { e.slot.Set(v, string(b)) }, nil
		},
	})
	cfg := Config{DB: e.db, Pseudonymizer: e.ps, Keys: keys, Models: e.mgr.Models, Manager: e.mgr, Jobs: e.queue,
		Recommender: fakeRecommender{},
		Logger:      slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	for _, o := range opts {
		o(&cfg)
	}
	e.s, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.queue.OnFinish = e.s.ObserveJob
	if err := e.queue.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.queue.Shutdown(context.Background()) })
	return e
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) errCode() string {
	var e ErrorResponse
	json.Unmarshal(r.body, &e)
	return e.Error.Code
}

func (r resp) errMessage() string {
	var e ErrorResponse
	json.Unmarshal(r.body, &e)
	return e.Error.Message
}

// do sends one request through the server's handler.
func (e *testEnv) do(method, path, key, body string, hdr ...string) resp {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	e.s.ServeHTTP(w, req)
	return resp{status: w.Code, header: w.Header(), body: w.Body.Bytes()}
}

func batchJSON(n int, customer string) string {
	var evs []string
	for i := range n {
		evs = append(evs, fmt.Sprintf(`{"time":"2024-03-01T10:%02d:00Z","session":"s1","customer":%q,"type":"view","sku":"A%d"}`, i%60, customer, i))
	}
	return `{"events":[` + strings.Join(evs, ",") + `],"lines":[{"invoice":"I1","time":"2024-03-01T11:00:00Z","customer":"` +
		customer + `","sku":"A1","quantity":2,"unit_price":3.5}]}`
}

func TestIngest(t *testing.T) {
	e := newEnv(t, nil)
	raw := "CUST-RAW-4711"
	r := e.do("POST", "/v1/events", e.keys[shelfwise.RoleApp], batchJSON(3, raw), "Idempotency-Key", "batch-1")
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var res IngestResult
	json.Unmarshal(r.body, &res)
	if res.Events != 3 || res.Lines != 1 || res.Duplicate {
		t.Fatalf("result %+v", res)
	}
	t.Run("Pseudonymised", func(t *testing.T) {
		want := e.ps.Key(raw)
		for _, ev := range e.db.events {
			if ev.Customer != want {
				t.Fatalf("stored customer %q, want pseudonym %q", ev.Customer, want)
			}
		}
		if e.db.lines[0].Customer != want || e.db.lines[0].Kind != shelfwise.LineSale {
			t.Fatalf("stored line %+v", e.db.lines[0])
		}
	})
	t.Run("RetryIsNoOp", func(t *testing.T) {
		r := e.do("POST", "/v1/events", e.keys[shelfwise.RoleApp], batchJSON(3, raw), "Idempotency-Key", "batch-1")
		var res IngestResult
		json.Unmarshal(r.body, &res)
		if r.status != 200 || !res.Duplicate {
			t.Fatalf("retry: %d %s", r.status, r.body)
		}
		if len(e.db.events) != 3 || len(e.db.lines) != 1 {
			t.Fatalf("after retry store has %d events %d lines, want 3 and 1", len(e.db.events), len(e.db.lines))
		}
		// The same key from another API key is another batch.
		r = e.do("POST", "/v1/events", e.keys[shelfwise.RoleAdmin], batchJSON(3, raw), "Idempotency-Key", "batch-1")
		if json.Unmarshal(r.body, &res); res.Duplicate {
			t.Fatal("idempotency key not scoped to the API key")
		}
	})
	t.Run("Metrics", func(t *testing.T) {
		m := string(e.do("GET", "/metrics", "", "").body)
		for _, want := range []string{"shelfwise_ingested_events_total 6", "shelfwise_ingested_order_lines_total 2",
			`shelfwise_ingest_batches_total{result="duplicate"} 1`,
			`shelfwise_http_request_duration_seconds_count{route="POST /v1/events",status="2xx"} 3`} {
			if !strings.Contains(m, want) {
				t.Errorf("metrics lack %q", want)
			}
		}
	})
	t.Run("Erase", func(t *testing.T) {
		r := e.do("DELETE", "/v1/customers/"+raw, e.keys[shelfwise.RoleAdmin], "")
		var er ErasureResult
		json.Unmarshal(r.body, &er)
		if r.status != 200 || er.RowsRemoved != 8 {
			t.Fatalf("erase: %d %s", r.status, r.body)
		}
		r = e.do("DELETE", "/v1/customers/"+raw, e.keys[shelfwise.RoleAdmin], "")
		if r.status != 404 || r.errCode() != shelfwise.ENOTFOUND {
			t.Fatalf("second erase: %d %s", r.status, r.body)
		}
	})
	t.Run("NoRawIDInLogsOrResponses", func(t *testing.T) {
		bodies := string(r.body)
		for _, p := range []string{"/v1/customers/" + raw + "/recommendations", "/v1/customers/" + raw + "/recommendations?n=0"} {
			rr := e.do("GET", p, e.keys[shelfwise.RoleApp], "")
			bodies += string(rr.body)
		}
		bad := e.do("POST", "/v1/events", e.keys[shelfwise.RoleApp],
			`{"events":[{"time":"x","customer":"`+raw+`","type":"view","sku":"A"}]}`)
		bodies += string(bad.body)
		if strings.Contains(e.logs.String(), raw) {
			t.Fatalf("the log contains the raw customer id:\n%s", e.logs.String())
		}
		if strings.Contains(bodies, raw) {
			t.Fatalf("a response contains the raw customer id: %s", bodies)
		}
		if !strings.Contains(e.logs.String(), `"route":"DELETE /v1/customers/{id}"`) {
			t.Fatal("requests are not logged by route pattern")
		}
	})
}

// TestBadInput sends each kind of bad request and checks the status, the
// code, a clear message, and that the store did not change.
func TestBadInput(t *testing.T) {
	e := newEnv(t, nil, func(c *Config) { c.MaxBodyBytes = 4096; c.MaxBatch = 20 })
	app, analyst := e.keys[shelfwise.RoleApp], e.keys[shelfwise.RoleAnalyst]
	ev := `{"time":"2024-03-01T10:00:00Z","type":"view","sku":"A"}`
	tests := []struct {
		name, method, path, key, body string
		hdr                           []string
		status                        int
		code, msg                     string
	}{
		{"MalformedJSON", "POST", "/v1/events", app, `{"events":[`, nil, 400, "invalid", "malformed JSON"},
		{"SyntaxError", "POST", "/v1/events", app, `{"events":[}`, nil, 400, "invalid", "malformed JSON at byte"},
		{"EmptyBody", "POST", "/v1/events", app, ``, nil, 400, "invalid", "empty request body"},
		{"NotAnObject", "POST", "/v1/events", app, `[1,2]`, nil, 400, "invalid", "the body must be an object, not a JSON array"},
		{"TrailingData", "POST", "/v1/events", app, `{"events":[` + ev + `]} {}`, nil, 400, "invalid", "unexpected data after"},
		{"WrongTypeQuantity", "POST", "/v1/events", app, `{"events":[{"time":"2024-03-01T10:00:00Z","type":"view","sku":"A","quantity":"2"}]}`, nil, 400, "invalid", "field events.quantity: expected a number, got string"},
		{"WrongTypeEvents", "POST", "/v1/events", app, `{"events":{}}`, nil, 400, "invalid", "field events: expected an array"},
		{"UnknownField", "POST", "/v1/events", app, `{"events":[{"time":"2024-03-01T10:00:00Z","type":"view","sku":"A","colour":"red"}]}`, nil, 400, "invalid", `unknown field "colour"`},
		{"UnknownTopField", "POST", "/v1/events", app, `{"evnts":[]}`, nil, 400, "invalid", `unknown field "evnts"`},
		{"EmptyBatch", "POST", "/v1/events", app, `{"events":[]}`, nil, 400, "invalid", "no events and no lines"},
		{"BadTime", "POST", "/v1/events", app, `{"events":[{"time":"yesterday","type":"view","sku":"A"}]}`, nil, 400, "invalid", "events[0].time"},
		{"FutureTime", "POST", "/v1/events", app, `{"events":[{"time":"2999-01-01T00:00:00Z","type":"view","sku":"A"}]}`, nil, 400, "invalid", "in the future"},
		{"BadType", "POST", "/v1/events", app, `{"events":[` + ev + `,{"time":"2024-03-01T10:00:00Z","type":"clik","sku":"A"}]}`, nil, 400, "invalid", `events[1].type: "clik" is not one of`},
		{"MissingSKU", "POST", "/v1/events", app, `{"events":[{"time":"2024-03-01T10:00:00Z","type":"cart"}]}`, nil, 400, "invalid", "events[0].sku: required"},
		{"NegativePrice", "POST", "/v1/events", app, `{"events":[{"time":"2024-03-01T10:00:00Z","type":"view","sku":"A","price":-1}]}`, nil, 400, "invalid", "events[0].price: must not be negative"},
		{"SaleNegative", "POST", "/v1/events", app, `{"lines":[{"invoice":"1","time":"2024-03-01T10:00:00Z","sku":"A","quantity":-1,"unit_price":1,"kind":"sale"}]}`, nil, 400, "invalid", "lines[0].quantity"},
		{"ZeroQuantity", "POST", "/v1/events", app, `{"lines":[{"invoice":"1","time":"2024-03-01T10:00:00Z","sku":"A","quantity":0,"unit_price":1}]}`, nil, 400, "invalid", "must not be zero"},
		{"IdempotencyMismatch", "POST", "/v1/events", app, `{"idempotency_key":"a","events":[` + ev + `]}`, []string{"Idempotency-Key", "b"}, 400, "invalid", "differ"},
		{"TooManyRecords", "POST", "/v1/events", app, `{"events":[` + strings.Repeat(ev+",", 20) + ev + `]}`, nil, 413, "too_large", "limit is 20 per request"},
		{"OversizedBody", "POST", "/v1/events", app, `{"events":[` + strings.Repeat(ev+",", 80) + ev + `]}`, nil, 413, "too_large", "exceeds the limit of 4096 bytes"},
		{"MissingKey", "POST", "/v1/events", "", `{"events":[` + ev + `]}`, nil, 401, "unauthorized", "missing API key"},
		{"WrongKey", "POST", "/v1/events", "swk_" + strings.Repeat("A", 43), `{"events":[` + ev + `]}`, nil, 401, "unauthorized", "invalid API key"},
		{"MalformedAuthHeader", "POST", "/v1/events", "", `{"events":[` + ev + `]}`, []string{"Authorization", "Basic abc"}, 401, "unauthorized", "Bearer"},
		{"WrongRole", "POST", "/v1/events", analyst, `{"events":[` + ev + `]}`, nil, 403, "forbidden", "needs a key with role admin or app; key"},
		{"WrongRoleErase", "DELETE", "/v1/customers/x", app, ``, nil, 403, "forbidden", "role admin"},
		{"PromoteBadVersion", "POST", "/v1/models/recommend/promote", e.keys[shelfwise.RoleAdmin], `{"version":"two"}`, nil, 400, "invalid", "field version: expected an integer"},
		{"BadQueryParam", "GET", "/v1/recommendations/trending?n=1000", app, ``, nil, 400, "invalid", "n must be an integer from 1 to 100"},
		{"UnknownRole", "POST", "/v1/keys", e.keys[shelfwise.RoleAdmin], `{"role":"root"}`, nil, 400, "invalid", `unknown role "root"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.db.writeCount()
			r := e.do(tt.method, tt.path, tt.key, tt.body, tt.hdr...)
			if r.status != tt.status || r.errCode() != tt.code {
				t.Fatalf("status %d code %q, want %d %q; body %s", r.status, r.errCode(), tt.status, tt.code, r.body)
			}
			if !strings.Contains(r.errMessage(), tt.msg) {
				t.Fatalf("message %q does not say %q", r.errMessage(), tt.msg)
			}
			if after := e.db.writeCount(); after != before {
				t.Fatalf("the store changed: %d writes before, %d after", before, after)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Fatalf("content type %q", ct)
			}
		})
	}
	if n := len(e.db.events) + len(e.db.lines); n != 0 {
		t.Fatalf("bad requests stored %d records", n)
	}
}

// fillPath turns a route pattern into a concrete path.
func fillPath(p string) string {
	return strings.NewReplacer("{id}", "x", "{task}", "recommend", "{version}", "1", "{sku}", "A1", "{$}", "").Replace(p)
}

// TestAuthMatrix checks every API route against every role and no key: an
// allowed role is let through (whatever the handler then says), a role not
// allowed gets 403 and changes nothing, and no key gets 401.
func TestAuthMatrix(t *testing.T) {
	e := newEnv(t, nil)
	want := map[string][]shelfwise.Role{} // the policy, written out independently of routes.go
	admin, analyst, app := shelfwise.RoleAdmin, shelfwise.RoleAnalyst, shelfwise.RoleApp
	for _, p := range []string{"GET /healthz", "GET /readyz", "GET /metrics", "GET /openapi.json"} {
		want[p] = nil
	}
	for _, p := range []string{"POST /v1/events"} {
		want[p] = []shelfwise.Role{admin, app}
	}
	for _, p := range []string{"GET /v1/customers/{id}/recommendations", "POST /v1/recommendations/session",
		"GET /v1/products/{sku}/similar", "GET /v1/products/{sku}/bought-together", "GET /v1/recommendations/trending",
		"POST /v1/propensity/score"} {
		want[p] = []shelfwise.Role{admin, analyst, app}
	}
	for _, p := range []string{"GET /v1/stats", "GET /v1/imports", "GET /v1/products", "GET /v1/forecasts",
		"GET /v1/propensity/summary", "GET /v1/models", "GET /v1/models/{task}/versions",
		"GET /v1/models/{task}/versions/{version}", "POST /v1/models/{task}/retrain", "GET /v1/jobs", "GET /v1/jobs/{id}",
		"POST /v1/dashboard/links"} {
		want[p] = []shelfwise.Role{admin, analyst}
	}
	for _, p := range []string{"PUT /v1/products", "PUT /v1/stores", "DELETE /v1/customers/{id}",
		"POST /v1/models/{task}/promote", "POST /v1/models/{task}/rollback", "GET /v1/keys", "POST /v1/keys",
		"DELETE /v1/keys/{id}"} {
		want[p] = []shelfwise.Role{admin}
	}
	if len(want) != len(e.s.routes) {
		t.Errorf("policy lists %d routes, server has %d", len(want), len(e.s.routes))
	}
	for _, rt := range e.s.routes {
		pattern := rt.method + " " + rt.path
		roles, ok := want[pattern]
		if !ok {
			t.Errorf("route %s is not in the policy", pattern)
			continue
		}
		path := fillPath(rt.path)
		for _, role := range append([]shelfwise.Role{""}, shelfwise.Roles...) {
			t.Run(pattern+"/"+string(role), func(t *testing.T) {
				before := e.db.writeCount()
				key := ""
				if role != "" {
					key = e.keys[role]
				}
				r := e.do(rt.method, path, key, "{}")
				switch {
				case roles == nil:
					if r.status == 401 || r.status == 403 {
						t.Fatalf("public route answered %d", r.status)
					}
				case role == "":
					if r.status != 401 || r.errCode() != shelfwise.EUNAUTHORIZED {
						t.Fatalf("no key: %d %s, want 401", r.status, r.body)
					}
				case allowed(roles, role):
					if r.status == 401 || r.status == 403 {
						t.Fatalf("role %s refused: %d %s", role, r.status, r.body)
					}
				default:
					if r.status != 403 || r.errCode() != shelfwise.EFORBIDDEN {
						t.Fatalf("role %s: %d %s, want 403", role, r.status, r.body)
					}
					if e.db.writeCount() != before {
						t.Fatal("a forbidden request changed the store")
					}
				}
			})
		}
	}
}

func TestRateLimit(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	e := newEnv(t, nil, func(c *Config) { c.RateLimit, c.RateBurst = 1, 3; c.Now = func() time.Time { return now } })
	key := e.keys[shelfwise.RoleAnalyst]
	for i := range 3 {
		if r := e.do("GET", "/v1/stats", key, ""); r.status != 200 {
			t.Fatalf("request %d: %d", i, r.status)
		}
	}
	r := e.do("GET", "/v1/stats", key, "")
	if r.status != 429 || r.errCode() != shelfwise.ERATELIMIT || r.header.Get("Retry-After") == "" {
		t.Fatalf("4th request: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/v1/stats", e.keys[shelfwise.RoleAdmin], ""); r.status != 200 {
		t.Fatalf("another key is limited too: %d", r.status)
	}
	now = now.Add(time.Second)
	if r := e.do("GET", "/v1/stats", key, ""); r.status != 200 {
		t.Fatalf("after a second: %d", r.status)
	}
}

func TestModelsAndJobs(t *testing.T) {
	e := newEnv(t, []float64{0.20, 0.18, 0.25})
	admin, analyst := e.keys[shelfwise.RoleAdmin], e.keys[shelfwise.RoleAnalyst]
	retrain := func() shelfwise.Job {
		t.Helper()
		r := e.do("POST", "/v1/models/recommend/retrain", analyst, "")
		if r.status != 202 || !strings.HasPrefix(r.header.Get("Location"), "/v1/jobs/job_") {
			t.Fatalf("retrain: %d %s", r.status, r.body)
		}
		var j shelfwise.Job
		json.Unmarshal(r.body, &j)
		for range 1000 {
			r = e.do("GET", "/v1/jobs/"+j.ID, analyst, "")
			json.Unmarshal(r.body, &j)
			if j.Status.Done() {
				return j
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Fatalf("job %s not done: %+v", j.ID, j)
		return j
	}
	for i, want := range []int{1, 1, 3} {
		j := retrain()
		if j.Status != shelfwise.JobSucceeded {
			t.Fatalf("job %d: %+v", i, j)
		}
		if got := e.slot.Get().Version.Version; got != want {
			t.Fatalf("after retrain %d serving v%d, want v%d (%s)", i+1, got, want, j.Result)
		}
	}
	if j := retrain(); j.Status != shelfwise.JobFailed || j.Error != "no data to train on" {
		t.Fatalf("failing job: %+v", j)
	}
	r := e.do("POST", "/v1/models/recommend/promote", admin, `{"version":2}`)
	if r.status != 409 || !strings.Contains(r.errMessage(), "ndcg@10") {
		t.Fatalf("promote worse: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/v1/models/recommend/promote", admin, `{"version":2,"force":true}`); r.status != 200 || e.slot.Get().Version.Version != 2 {
		t.Fatalf("force promote: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/v1/models/recommend/rollback", admin, ``); r.status != 200 || e.slot.Get().Version.Version != 3 {
		t.Fatalf("rollback: %d %s (serving v%d)", r.status, r.body, e.slot.Get().Version.Version)
	}
	var ms ModelsOut
	json.Unmarshal(e.do("GET", "/v1/models", analyst, "").body, &ms)
	if len(ms.Tasks) != 1 || ms.Tasks[0].Served == nil || ms.Tasks[0].Served.Version != 3 || ms.Tasks[0].Versions != 3 {
		t.Fatalf("models: %+v", ms)
	}
	var vs []shelfwise.ModelVersion
	json.Unmarshal(e.do("GET", "/v1/models/recommend/versions", analyst, "").body, &vs)
	if len(vs) != 3 || vs[0].Version != 3 || len(vs[0].Checksum) != 64 {
		t.Fatalf("versions: %+v", vs)
	}
	if r := e.do("GET", "/v1/models/recommend/versions/9", analyst, ""); r.status != 404 {
		t.Fatalf("missing version: %d", r.status)
	}
	if r := e.do("GET", "/v1/jobs/job_nope", analyst, ""); r.status != 404 {
		t.Fatalf("missing job: %d", r.status)
	}
	m := string(e.do("GET", "/metrics", "", "").body)
	for _, want := range []string{`shelfwise_model_version{model="fake",task="recommend"} 3`,
		`shelfwise_model_metric{metric="ndcg@10",task="recommend"} 0.25`,
		`shelfwise_job_duration_seconds_count{kind="retrain",status="succeeded"} 3`,
		`shelfwise_job_duration_seconds_count{kind="retrain",status="failed"} 1`} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestKeysAPI(t *testing.T) {
	e := newEnv(t, nil)
	admin := e.keys[shelfwise.RoleAdmin]
	r := e.do("POST", "/v1/keys", admin, `{"role":"app","name":"web shop"}`)
	var out KeyOut
	json.Unmarshal(r.body, &out)
	if r.status != 201 || out.Key.Role != shelfwise.RoleApp || !strings.HasPrefix(out.Secret, "swk_") {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/v1/recommendations/trending", out.Secret, ""); r.status != 200 {
		t.Fatalf("new key: %d %s", r.status, r.body)
	}
	if strings.Contains(string(e.do("GET", "/v1/keys", admin, "").body), out.Secret) {
		t.Fatal("GET /v1/keys shows a secret")
	}
	if r := e.do("DELETE", "/v1/keys/"+out.Key.ID, admin, ""); r.status != 200 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/v1/recommendations/trending", out.Secret, ""); r.status != 401 {
		t.Fatalf("revoked key: %d", r.status)
	}
}

func TestNotLanded(t *testing.T) {
	e := newEnv(t, nil, func(c *Config) { c.Recommender = nil })
	for _, p := range []string{"/v1/recommendations/trending", "/v1/forecasts", "/v1/propensity/summary"} {
		r := e.do("GET", p, e.keys[shelfwise.RoleAdmin], "")
		if r.status != 501 || r.errCode() != shelfwise.ENOTIMPL || !strings.Contains(r.errMessage(), "not available on this server") {
			t.Errorf("%s: %d %s", p, r.status, r.body)
		}
	}
}

func TestHealth(t *testing.T) {
	e := newEnv(t, nil)
	if r := e.do("GET", "/healthz", "", ""); r.status != 200 {
		t.Fatal(r.status)
	}
	if r := e.do("GET", "/readyz", "", ""); r.status != 200 {
		t.Fatal(r.status)
	}
	e.s.Shutdown(context.Background())
	if r := e.do("GET", "/readyz", "", ""); r.status != 503 {
		t.Fatalf("draining server ready: %d", r.status)
	}
}
