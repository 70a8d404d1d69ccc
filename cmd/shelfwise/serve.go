package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/shelfwise/shelfwise"
	shelfhttp "github.com/shelfwise/shelfwise/http"
	"github.com/shelfwise/shelfwise/registry"
	"github.com/spf13/cobra"
)

// ServeOptions configure the API server and dashboard.
type ServeOptions struct {
	// Addr is HOST:PORT to listen on (default 127.0.0.1:8080; port 0
	// picks a free one).
	Addr string
	// RetrainEvery queues a retrain of every model this often (0 = never).
	RetrainEvery time.Duration
	// TrainMissing queues a retrain at start for every task without a
	// promoted model.
	TrainMissing bool
	// RateLimit is requests/s per API key (0 = the server default,
	// negative = unlimited).
	RateLimit float64
	// JobWorkers bounds the background jobs (trainings) run at once; 0
	// means half the CPUs, at least 1 (training is itself parallel, so on
	// two cores one job at a time, recommendations first, is fastest to a
	// served recommendation model).
	JobWorkers int
	// Tolerance lets a new model be promoted when its evaluation is at
	// most this fraction worse than the served one's (0 = no worse).
	Tolerance float64
	// Logger receives the server's structured logs.
	Logger *slog.Logger
}

// Serving is a running server: its URL, the HTTP server and what it owns.
type Serving struct {
	// URL is the base URL, e.g. http://127.0.0.1:8080.
	URL    string
	Server *shelfhttp.Server
	Keys   *registry.Keys

	ln      net.Listener
	errc    chan error
	queue   *registry.Queue
	regdb   *registry.DB
	stopBg  context.CancelFunc
	stopped bool
	// waitCaps waits for the capabilities' background work.
	waitCaps func()
}

type serveFlags struct {
	opts     ServeOptions
	logLevel string
}

// newServeCmd is "shelfwise serve": the HTTP API and dashboard.
func (m *Main) newServeCmd() *cobra.Command {
	var fl serveFlags
	cmd := &cobra.Command{
		Use:   "serve [--addr HOST:PORT]",
		Short: "Serve the HTTP API, live ingest and the web dashboard",
		Long: `serve runs the Shelfwise service on the data directory: the JSON API
(OpenAPI document at /openapi.json), live event ingest, the model registry
and background jobs, Prometheus metrics at /metrics and the dashboard at
/dashboard/. Requests need an API key: create one with
"shelfwise keys create --role admin". It stops gracefully on SIGINT/SIGTERM:
in-flight requests finish, running jobs are resumed at the next start.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			lvl := slog.LevelInfo
			if err := lvl.UnmarshalText([]byte(fl.logLevel)); err != nil {
				return shelfwise.Errorf(shelfwise.EINVALID, "--log-level must be debug, info, warn or error")
			}
			fl.opts.Logger = slog.New(slog.NewJSONHandler(m.Stderr, &slog.HandlerOptions{Level: lvl}))
			return m.runServe(cmd.Context(), fl.opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&fl.opts.Addr, "addr", "127.0.0.1:8080", "address to listen on")
	f.DurationVar(&fl.opts.RetrainEvery, "retrain-every", 0, "retrain every model this often, e.g. 24h (0 = only on demand)")
	f.BoolVar(&fl.opts.TrainMissing, "train-missing", true, "at start, train every model that has no promoted version")
	f.Float64Var(&fl.opts.RateLimit, "rate-limit", 0, fmt.Sprintf("requests per second per API key, burst twice that (0 = %d, negative = unlimited)", shelfhttp.DefaultRateLimit))
	f.IntVar(&fl.opts.JobWorkers, "job-workers", 0, "background jobs (model trainings) run at once (0 = half the CPUs, at least 1)")
	f.Float64Var(&fl.opts.Tolerance, "promote-tolerance", 0, "promote a retrained model if at most this fraction worse (0 = no worse)")
	f.StringVar(&fl.logLevel, "log-level", "info", "debug, info, warn or error")
	return cmd
}

func (m *Main) runServe(ctx context.Context, o ServeOptions) error {
	s, err := m.StartServer(ctx, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Shelfwise is serving %s (dashboard %s/dashboard/, API %s/openapi.json)\n", s.URL, s.URL, s.URL)
	if keys, err := s.Keys.Keys(ctx); err == nil && len(keys) == 0 {
		fmt.Fprintln(m.Stdout, `No API keys yet: create one with "shelfwise keys create --role admin".`)
	}
	return s.Wait(ctx)
}

// StartServer opens the store and registry of the data directory, wires
// every capability that exists, starts the job workers and listens on
// o.Addr. Call Wait to serve until ctx ends.
func (m *Main) StartServer(ctx context.Context, o ServeOptions) (*Serving, error) {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:8080"
	}
	if o.Logger == nil {
		o.Logger = m.Logger
	}
	db, err := m.DB(ctx)
	if err != nil {
		return nil, err
	}
	ps, err := m.Pseudonymizer()
	if err != nil {
		return nil, err
	}
	rdb, err := registry.Open(ctx, m.DataDir)
	if err != nil {
		return nil, err
	}
	s := &Serving{regdb: rdb, Keys: registry.NewKeys(rdb), errc: make(chan error, 1)}
	fail := func(err error) (*Serving, error) {
		rdb.Close()
		return nil, err
	}
	models := registry.NewModels(rdb)
	models.Tolerance = o.Tolerance
	s.queue = registry.NewQueue(rdb, o.JobWorkers)
	mgr := registry.NewManager(models, s.queue, o.Logger)
	cfg := shelfhttp.Config{DB: db, Pseudonymizer: ps, Keys: s.Keys, Models: models, Manager: mgr, Jobs: s.queue,
		Logger: o.Logger, RateLimit: o.RateLimit}
	s.waitCaps = m.wireCapabilities(db, mgr, &cfg)
	srv, err := shelfhttp.New(cfg)
	if err != nil {
		return fail(err)
	}
	s.Server = srv
	s.queue.OnFinish = srv.ObserveJob
	if err := mgr.LoadCurrent(ctx); err != nil {
		o.Logger.Error("could not load a promoted model; retrain it", "err", err)
	}
	if err := s.queue.Start(ctx); err != nil {
		return fail(err)
	}
	bg, stopBg := context.WithCancel(context.WithoutCancel(ctx))
	s.stopBg = stopBg
	mgr.Schedule(bg, o.RetrainEvery)
	if o.TrainMissing {
		// In priority order: recommendations (live traffic) first.
		if _, err := mgr.RetrainMissing(ctx); err != nil {
			o.Logger.Warn("could not queue the first training", "err", err)
		}
	}
	s.ln, err = net.Listen("tcp", o.Addr)
	if err != nil {
		stopBg()
		s.queue.Shutdown(ctx)
		return fail(shelfwise.Errorf(shelfwise.EINVALID, "cannot listen on %s: %v", o.Addr, err))
	}
	s.URL = "http://" + s.ln.Addr().String()
	go func() { s.errc <- srv.Serve(s.ln) }()
	o.Logger.Info("serving", "addr", s.ln.Addr().String(), "tasks", strings.Join(mgr.Tasks(), ","))
	return s, nil
}

// Wait serves until ctx ends (or the listener fails), then shuts down
// gracefully: in-flight requests finish (up to 20 s), running jobs get 10 s
// to end and are otherwise left to resume at the next start.
func (s *Serving) Wait(ctx context.Context) error {
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-s.errc:
	}
	return errors.Join(serveErr, s.Shutdown(context.WithoutCancel(ctx)))
}

// Shutdown stops the server, the job workers and the registry.
func (s *Serving) Shutdown(ctx context.Context) error {
	if s.stopped {
		return nil
	}
	s.stopped = true
	s.stopBg()
	hctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	err := s.Server.Shutdown(hctx)
	jctx, cancel2 := context.WithTimeout(ctx, 10*time.Second)
	defer cancel2()
	if jerr := s.queue.Shutdown(jctx); jerr != nil {
		fmt.Fprintln(os.Stderr, "shelfwise:", jerr)
	}
	// Rewrites of saved models after an erasure finish before the
	// registry closes (a missed one is redone at the next load).
	if s.waitCaps != nil {
		s.waitCaps()
	}
	return errors.Join(err, s.regdb.Close())
}

// ServeDashboard is what the demo calls: it serves the data directory at
// addr, creates an admin key for the demo and prints the URL, the key and a
// one-time sign-in link, then serves until ctx ends. Models without a
// promoted version are trained in the background at start.
func (m *Main) ServeDashboard(ctx context.Context, addr string) error {
	logger := slog.New(slog.NewTextHandler(m.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, err := m.StartServer(ctx, ServeOptions{Addr: addr, TrainMissing: true, Logger: logger})
	if err != nil {
		return err
	}
	key, secret, err := s.Keys.CreateKey(ctx, shelfwise.RoleAdmin, "demo")
	if err != nil {
		s.Shutdown(ctx)
		return err
	}
	fmt.Fprintf(m.Stdout, "\nDashboard: %s/dashboard/\n", s.URL)
	fmt.Fprintf(m.Stdout, "Admin API key (shown once; sign in with it): %s\n", secret)
	fmt.Fprintf(m.Stdout, "Or open this one-time sign-in link within 5 minutes: %s%s\n", s.URL, s.Server.SignInLink(key, secret, "/dashboard/"))
	fmt.Fprintln(m.Stdout, "Models are training in the background; see the Models page. Press Ctrl-C to stop.")
	return s.Wait(ctx)
}
