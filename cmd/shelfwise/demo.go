package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/simulate"
	"github.com/spf13/cobra"
)

// demoFlags are the flags of the demo command.
type demoFlags struct {
	noServe bool
	seed    int64
	addr    string
	json    bool
}

// newDemoCmd is "shelfwise demo": the main job on a fresh machine.
func (m *Main) newDemoCmd() *cobra.Command {
	var fl demoFlags
	cmd := &cobra.Command{
		Use:   "demo [--no-serve]",
		Short: "Simulate a small retail chain, import it, train and evaluate every model, and serve the dashboard",
		Long: `demo is the main job on a fresh machine. It simulates a small retail chain
with known ground truth into a fresh store in DATA/demo (through the same
path as any import), prints what is in the store, trains and evaluates every
capability on it against naive baselines and the simulator's truth, prints a
short report, and serves the API and dashboard until interrupted
(--no-serve to exit after the report).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return m.runDemo(cmd.Context(), fl) },
	}
	f := cmd.Flags()
	f.BoolVar(&fl.noServe, "no-serve", false, "exit after the report instead of serving the dashboard")
	f.Int64Var(&fl.seed, "seed", 1, "simulator seed")
	f.StringVar(&fl.addr, "addr", "127.0.0.1:8080", "address the dashboard and API listen on")
	f.BoolVar(&fl.json, "json", false, "print the figures as one JSON object instead of the report")
	return cmd
}

// demoStage is one step of the demo: it prints its own section and returns
// an error only when the demo cannot go on.
type demoStage struct {
	name string
	run  func(ctx context.Context, d *demoRun) error
}

// demoRun carries what the stages share.
type demoRun struct {
	db    shelfwise.DB
	cfg   simulate.Config
	truth *simulate.Truth
	// results collects one line per capability for the closing summary.
	results []Row
	// report holds the same figures for --json and tests.
	report demoReport
}

// demoReport is the demo's figures as one JSON object (--json).
type demoReport struct {
	Records               int64   `json:"records"`
	PropensityAUC         float64 `json:"propensity_auc"`
	PropensityCeilingAUC  float64 `json:"propensity_ceiling_auc"`
	PropensityBaselineAUC float64 `json:"propensity_baseline_auc"`
	ForecastSeries        int     `json:"forecast_series"`
	ForecastMAE           float64 `json:"forecast_mae_vs_truth"`
	SeasonalNaiveMAE      float64 `json:"seasonal_naive_mae_vs_truth"`
	ForecastCoverage80    float64 `json:"forecast_coverage_80"`
	RecommendUsers        int     `json:"recommend_users"`
	HybridNDCG            float64 `json:"hybrid_ndcg_at_10"`
	PopularNDCG           float64 `json:"popular_ndcg_at_10"`
	OwnHistoryNDCG        float64 `json:"own_history_ndcg_at_10"`
	OracleNDCG            float64 `json:"oracle_ndcg_at_10"`
	// ExampleFBTReason is the reason of the first product bought together
	// with the example's carted product ("" if it has none).
	ExampleFBTReason string `json:"example_fbt_reason"`
	// HybridGainCI is the 95% interval of the hybrid's Recall@10 gain
	// over own history, customer by customer.
	HybridGainCI []float64 `json:"hybrid_recall_gain_over_own_history_ci95"`
	// ExampleCartReason is the reason the example gives for the product
	// added to the cart live, once it enters the list ("" if it never
	// does for any customer).
	ExampleCartReason string `json:"recommend_example_cart_reason"`
	// ExampleSessionReason is the reason of the first product the
	// visitor's session brings into their list ("" if none does).
	ExampleSessionReason string  `json:"recommend_example_session_reason"`
	Seconds              float64 `json:"seconds"`
}

func (m *Main) runDemo(ctx context.Context, fl demoFlags) error {
	start := time.Now()
	dir := filepath.Join(m.DataDir, "demo")
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("reset demo data directory: %w", err)
	}
	m.DataDir = dir
	if err := writeDemoSecret(dir, fl.seed); err != nil {
		return err
	}
	db, err := m.DB(ctx)
	if err != nil {
		return err
	}
	cfg := simulate.Demo()
	cfg.Seed = fl.seed
	d := &demoRun{db: db, cfg: cfg}
	stdout := m.Stdout
	if fl.json {
		m.Stdout = io.Discard
	}
	fmt.Fprintf(m.Stdout, "Shelfwise demo — data directory %s\n\n", dir)
	for _, st := range m.demoStages() {
		t0 := time.Now()
		if err := st.run(ctx, d); err != nil {
			m.Stdout = stdout
			return fmt.Errorf("demo %s: %w", st.name, err)
		}
		m.Logger.Info("demo stage done", "stage", st.name, "seconds", time.Since(t0).Seconds())
	}
	d.results = append(d.results, Row{"total seconds", time.Since(start).Seconds()})
	d.report.Seconds = time.Since(start).Seconds()
	m.Stdout = stdout
	if fl.json {
		if err := writeJSON(m.Stdout, d.report); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(m.Stdout)
		if err := writeTable(m.Stdout, "Summary", d.results); err != nil {
			return err
		}
	}
	if fl.noServe {
		return nil
	}
	return m.demoServe(ctx, fl.addr)
}

// writeDemoSecret gives the demo store a pseudonymisation secret derived
// from the simulator's seed, so that the same seed gives the same
// pseudonyms and so the same report (the models break ties and start from
// customers in key order). The demo's customers are simulated: a known
// secret exposes nobody. Real stores get a random secret (LoadSecret).
func writeDemoSecret(dir string, seed int64) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create demo data directory: %w", err)
	}
	key := sha256.Sum256([]byte(fmt.Sprintf("shelfwise demo secret, seed %d", seed)))
	path := filepath.Join(dir, shelfwise.SecretFile)
	if err := os.WriteFile(path, []byte(hex.EncodeToString(key[:])+"\n"), 0o600); err != nil {
		return fmt.Errorf("write demo secret: %w", err)
	}
	return nil
}

// demoStages lists the demo's steps in order. Add a stage when a capability
// lands.
func (m *Main) demoStages() []demoStage {
	return []demoStage{
		{"simulate", m.demoSimulate},
		{"stats", m.demoStats},
		{"propensity", m.demoPropensity},
		{"forecast", m.demoForecast},
		{"recommend", m.demoRecommend},
	}
}

// demoSimulate simulates the chain into the store and loads its truth.
func (m *Main) demoSimulate(ctx context.Context, d *demoRun) error {
	bar := m.progress(int64(d.cfg.Days), "simulating")
	d.cfg.Progress = func(done, _ int) { bar.Set(done) }
	rep, truthDir, err := m.simulate(ctx, d.cfg)
	bar.Finish()
	if err != nil {
		return err
	}
	d.truth, err = simulate.ReadTruth(truthDir)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "1. Simulated %d stores + web shop, %d products, %d customers over %d days: %d records imported in %.1fs.\n",
		d.cfg.Stores, d.cfg.Products, d.cfg.Customers, d.cfg.Days, rep.RowsRead, rep.Seconds)
	d.results = append(d.results, Row{"records imported", rep.RowsRead})
	d.report.Records = rep.RowsRead
	return nil
}

// demoStats prints what the store holds.
func (m *Main) demoStats(ctx context.Context, d *demoRun) error {
	s, err := d.db.Stats(ctx)
	if err != nil {
		return err
	}
	return writeTable(m.Stdout, "\n2. In the store:", storeRows(s))
}

// demoServe serves the dashboard on the demo store until interrupted.
func (m *Main) demoServe(ctx context.Context, addr string) error {
	return m.ServeDashboard(ctx, addr)
}
