package http

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shelfwise/shelfwise"
)

// ModelManager trains, promotes and rolls back models: registry.Manager.
type ModelManager interface {
	// Tasks lists the model tasks this server can train.
	Tasks() []string
	Retrain(ctx context.Context, task string) (shelfwise.Job, error)
	Promote(ctx context.Context, task string, version int, force bool) (shelfwise.ModelVersion, error)
	Rollback(ctx context.Context, task string) (shelfwise.ModelVersion, error)
}

// Config is what a Server serves. DB, Pseudonymizer and Keys are required;
// everything else may be nil, and the routes that need it answer
// not_implemented.
type Config struct {
	DB            shelfwise.DB
	Pseudonymizer *shelfwise.Pseudonymizer
	Keys          shelfwise.APIKeyService
	Models        shelfwise.ModelRegistry
	Manager       ModelManager
	Jobs          shelfwise.JobQueue

	Recommender Recommender
	Forecaster  Forecaster
	Propensity  PropensityScorer

	Logger *slog.Logger

	// OnIngest, if set, is called with every newly committed ingest batch
	// (after the commit, before the response), e.g. to feed live events to
	// the recommendation engine. It must be quick and must not fail.
	OnIngest func(evs []shelfwise.Event, lines []shelfwise.OrderLine)
	// OnErase, if set, is called with the pseudonym of every customer
	// DELETE /v1/customers/{id} asks to erase, so in-memory caches (e.g.
	// served recommendation lists) forget them too.
	OnErase func(c shelfwise.CustomerKey)

	// RateLimit is the sustained requests per second allowed per API key
	// (default DefaultRateLimit; negative: unlimited) and RateBurst the
	// bucket size (default 2 x RateLimit).
	RateLimit float64
	RateBurst int
	// SignInFailures failed dashboard sign-ins (wrong key, stale link) are
	// allowed per client address, refilled at that many per SignInWindow;
	// then the address is refused with 429 until its allowance refills
	// (defaults DefaultSignInFailures per DefaultSignInWindow).
	SignInFailures int
	SignInWindow   time.Duration
	// MaxBodyBytes limits ingest request bodies (default 8 MiB); other
	// bodies are limited to 1 MiB.
	MaxBodyBytes int64
	// MaxBatch limits events plus lines in one ingest request (default
	// 10000).
	MaxBatch int
	// RequestTimeout bounds a request's handler (default 30 s).
	RequestTimeout time.Duration
	// Now returns the current time; tests may replace it.
	Now func() time.Time
}

// DefaultRateLimit is the per-key request rate (requests/s) allowed when
// Config.RateLimit is 0. It sits well above the documented serving target
// (3,000 recommendation requests/s from one shop front-end key, plus its
// ingest) so the limit guards against runaway clients without capping a
// single busy shop; set Config.RateLimit (serve --rate-limit) to tighten it.
const DefaultRateLimit = 10000

// Server is the Shelfwise HTTP service. Create it with New; it is an
// http.Handler and can run its own listener with Serve.
type Server struct {
	cfg     Config
	log     *slog.Logger
	mux     *http.ServeMux
	routes  []route
	metrics *metrics
	limit   *limiter
	signIn  *signInGuard
	dash    *dashboard

	draining atomic.Bool
	httpSrv  *http.Server
}

// errDeadline is the cause of a request context that hit RequestTimeout.
var errDeadline = errors.New("request deadline exceeded")

// New returns a server for cfg.
func New(cfg Config) (*Server, error) {
	if cfg.DB == nil || cfg.Pseudonymizer == nil || cfg.Keys == nil {
		return nil, errors.New("http: Config needs DB, Pseudonymizer and Keys")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.RateLimit == 0 {
		cfg.RateLimit = DefaultRateLimit
	}
	if cfg.RateBurst <= 0 {
		cfg.RateBurst = int(max(1, 2*cfg.RateLimit))
	}
	if cfg.SignInFailures <= 0 {
		cfg.SignInFailures = DefaultSignInFailures
	}
	if cfg.SignInWindow <= 0 {
		cfg.SignInWindow = DefaultSignInWindow
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 8 << 20
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 10000
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, log: cfg.Logger, mux: http.NewServeMux()}
	s.limit = newLimiter(cfg.RateLimit, float64(cfg.RateBurst), cfg.Now)
	s.signIn = newSignInGuard(cfg.SignInFailures, cfg.SignInWindow, cfg.Now)
	s.metrics = newMetrics(s)
	s.dash = newDashboard(s)
	for _, rt := range s.apiRoutes() {
		s.handle(rt)
	}
	s.dash.register()
	return s, nil
}

// ServeHTTP routes a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// Serve accepts connections on ln until Shutdown. It returns nil after a
// graceful shutdown.
func (s *Server) Serve(ln net.Listener) error {
	s.httpSrv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      s.cfg.RequestTimeout + 30*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	err := s.httpSrv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting connections, reports not ready, and waits for
// in-flight requests until ctx ends. Ingest requests that were acknowledged
// are durable; those cut off were not acknowledged and can be retried with
// their idempotency key.
func (s *Server) Shutdown(ctx context.Context) error {
	s.draining.Store(true)
	if s.httpSrv == nil {
		return nil
	}
	return s.httpSrv.Shutdown(ctx)
}

// ObserveJob records a finished job's duration in the metrics; wire it to
// the job queue's OnFinish.
func (s *Server) ObserveJob(j shelfwise.Job) {
	s.metrics.jobDuration.WithLabelValues(j.Kind, string(j.Status)).Observe(j.Seconds(s.cfg.Now()))
}

type ctxKey int

const keyCtx ctxKey = 0

// apiKey returns the authenticated key of a request (zero for public routes).
func apiKey(r *http.Request) shelfwise.APIKey {
	k, _ := r.Context().Value(keyCtx).(shelfwise.APIKey)
	return k
}

// recorder captures the status and error code of a response.
type recorder struct {
	http.ResponseWriter
	status int
	code   string
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func routeName(r *http.Request) string {
	if r.Pattern != "" {
		return r.Pattern
	}
	return r.Method + " (unmatched)"
}

// handle registers rt with the middleware every API route gets.
func (s *Server) handle(rt route) {
	s.routes = append(s.routes, rt)
	s.mux.Handle(rt.method+" "+rt.path, s.wrap(rt))
}

// wrap applies, in order: metrics and logging, panic recovery,
// authentication, authorisation, rate limiting, the body size limit and the
// deadline.
func (s *Server) wrap(rt route) http.Handler {
	pattern := rt.method + " " + rt.path
	hist := s.routeLatency(pattern)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		var cancel context.CancelFunc // the deadline's, released last
		defer func() {
			if cancel != nil {
				cancel()
			}
		}()
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("panic", "route", pattern, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if rec.status == 0 {
					s.writeError(rec, r, fmt.Errorf("panic: %v", p))
				}
			}
			d := time.Since(start)
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			hist(status).Observe(d.Seconds())
			s.logRequest(r, pattern, status, rec.code, d)
		}()
		var err error
		if cancel, err = s.admit(rec, r, rt); err != nil {
			s.writeError(rec, r, err)
			return
		}
		if err = rt.h(rec, r); err != nil {
			s.writeError(rec, r, err)
		}
	})
}

// admit authenticates and authorises the request, applies the rate limit,
// and installs the key, the body limit and the deadline on r (in place).
// The caller calls the returned cancel, if not nil, when the request ends.
func (s *Server) admit(w http.ResponseWriter, r *http.Request, rt route) (context.CancelFunc, error) {
	ctx := r.Context()
	if rt.roles != nil {
		key, err := s.authenticate(r)
		if err != nil {
			return nil, err
		}
		if !allowed(rt.roles, key.Role) {
			return nil, shelfwise.Errorf(shelfwise.EFORBIDDEN, "%s needs a key with role %s; key %s has role %s",
				rt.method+" "+rt.path, rolesText(rt.roles), key.ID, key.Role)
		}
		if !s.limit.allow(key.ID) {
			s.metrics.rateLimited.Inc()
			w.Header().Set("Retry-After", "1")
			return nil, shelfwise.Errorf(shelfwise.ERATELIMIT, "rate limit of %.0f requests/s for key %s exceeded; retry later",
				s.cfg.RateLimit, key.ID)
		}
		ctx = context.WithValue(ctx, keyCtx, key)
	}
	limit := int64(1 << 20)
	if rt.bigBody {
		limit = s.cfg.MaxBodyBytes
	}
	if r.ContentLength > limit {
		*r = *r.WithContext(ctx) // the log names the key
		return nil, shelfwise.Errorf(shelfwise.ETOOLARGE, "request body of %d bytes exceeds the limit of %d bytes", r.ContentLength, limit)
	}
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = http.MaxBytesReader(w, r.Body, limit)
	}
	ctx, cancel := context.WithTimeoutCause(ctx, s.cfg.RequestTimeout, errDeadline)
	*r = *r.WithContext(ctx) // one copy of the request for key and deadline
	return cancel, nil
}

// routeLatency returns the latency histogram of a route by status, each
// status class looked up in the vector once (on its first use, so classes
// a route never answers do not show up in /metrics).
func (s *Server) routeLatency(pattern string) func(status int) prometheus.Observer {
	var hists [len(statusClasses)]struct {
		once sync.Once
		o    prometheus.Observer
	}
	return func(status int) prometheus.Observer {
		c := status/100 - 1
		if c < 0 || c >= len(hists) {
			return s.metrics.latency.WithLabelValues(pattern, statusClass(status))
		}
		h := &hists[c]
		h.once.Do(func() { h.o = s.metrics.latency.WithLabelValues(pattern, statusClasses[c]) })
		return h.o
	}
}

// statusClasses are the status label values of the latency histogram.
var statusClasses = [...]string{"1xx", "2xx", "3xx", "4xx", "5xx"}

func statusClass(status int) string {
	if c := status/100 - 1; c >= 0 && c < len(statusClasses) {
		return statusClasses[c]
	}
	return fmt.Sprintf("%dxx", status/100)
}

// logRequest logs one request by route pattern only: paths and queries may
// hold customer identifiers and never reach the log.
func (s *Server) logRequest(r *http.Request, pattern string, status int, code string, d time.Duration) {
	level := slog.LevelDebug
	switch {
	case status >= 500:
		level = slog.LevelError
	case status >= 400:
		level = slog.LevelInfo
	}
	if !s.log.Enabled(r.Context(), level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("route", pattern), slog.Int("status", status),
		slog.Float64("ms", float64(d.Microseconds())/1000),
	}
	if k := apiKey(r); k.ID != "" {
		attrs = append(attrs, slog.String("key", k.ID))
	}
	if code != "" {
		attrs = append(attrs, slog.String("code", code))
	}
	s.log.LogAttrs(r.Context(), level, "request", attrs...)
}

// authenticate reads the API key from "Authorization: Bearer" or
// "X-API-Key".
func (s *Server) authenticate(r *http.Request) (shelfwise.APIKey, error) {
	secret, err := s.bearer(r)
	if err != nil {
		return shelfwise.APIKey{}, err
	}
	return s.cfg.Keys.Authenticate(r.Context(), secret)
}

// bearer returns the key secret the request carries.
func (s *Server) bearer(r *http.Request) (string, error) {
	secret := r.Header.Get("X-API-Key")
	if h := r.Header.Get("Authorization"); h != "" {
		const p = "Bearer "
		if len(h) <= len(p) || h[:len(p)] != p {
			return "", shelfwise.Errorf(shelfwise.EUNAUTHORIZED,
				"the Authorization header must be \"Bearer <API key>\"")
		}
		secret = h[len(p):]
	}
	if secret == "" {
		return "", shelfwise.Errorf(shelfwise.EUNAUTHORIZED,
			"missing API key: send \"Authorization: Bearer <key>\" (create one with shelfwise keys create --role ...)")
	}
	return secret, nil
}

// Config returns the server's configuration (with defaults applied).
func (s *Server) Config() Config { return s.cfg }
