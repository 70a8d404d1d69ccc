package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/simulate"
	"github.com/spf13/cobra"
)

// simulateFlags are the flags of the simulate command.
type simulateFlags struct {
	preset, start                     string
	seed                              int64
	stores, products, customers, days int
	aggregate, json                   bool
}

// newSimulateCmd is "shelfwise simulate": simulate a retail chain into the
// store through the import path and write its ground truth beside the data.
func (m *Main) newSimulateCmd() *cobra.Command {
	var fl simulateFlags
	cmd := &cobra.Command{
		Use:   "simulate [--preset NAME] [--seed N] [--stores N] [--products N] [--customers N] [--days N]",
		Short: "Simulate a retail chain with known ground truth into the store",
		Long: `simulate generates a retail chain (stores, a web shop, a catalogue in a
department > category > subcategory hierarchy, customers with latent
preferences) and its daily demand with trend, seasonality, holidays,
promotions, price changes with a known elasticity per product, stockouts,
baskets, returns and browsing sessions, and imports it into the store in one
transaction like any other import (format "simulate"). The same settings
simulated twice are recognised as already imported.

The ground truth (true elasticities, expected demand, preferences, session
purchase probabilities, stockout days) is written to DATA/truth/ so models
can be checked against it. Presets: ` + strings.Join(simulate.PresetNames(), ", ") + ` (m5 writes daily
sales per product x store instead of order lines).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return m.runSimulate(cmd, fl) },
	}
	f := cmd.Flags()
	f.StringVar(&fl.preset, "preset", "demo", "starting configuration: "+strings.Join(simulate.PresetNames(), ", "))
	f.Int64Var(&fl.seed, "seed", 1, "random seed: the output is a pure function of the settings")
	f.IntVar(&fl.stores, "stores", 0, "physical stores (the preset's if 0)")
	f.IntVar(&fl.products, "products", 0, "products (the preset's if 0)")
	f.IntVar(&fl.customers, "customers", 0, "customers (the preset's if 0)")
	f.IntVar(&fl.days, "days", 0, "days simulated (the preset's if 0)")
	f.StringVar(&fl.start, "start", "", "first day, YYYY-MM-DD (the preset's if empty)")
	f.BoolVar(&fl.aggregate, "aggregate", false, "write daily sales per product x store instead of customers and order lines")
	f.BoolVar(&fl.json, "json", false, "print the summary as one JSON object")
	return cmd
}

// config builds the simulator configuration from the flags.
func (fl simulateFlags) config(cmd *cobra.Command) (simulate.Config, error) {
	preset, ok := simulate.Presets[fl.preset]
	if !ok {
		return simulate.Config{}, shelfwise.Errorf(shelfwise.EINVALID, "unknown preset %q (presets: %s)", fl.preset, strings.Join(simulate.PresetNames(), ", "))
	}
	cfg := preset()
	if cmd.Flags().Changed("seed") {
		cfg.Seed = fl.seed
	}
	for _, o := range []struct {
		name string
		v    int
		dst  *int
	}{{"stores", fl.stores, &cfg.Stores}, {"products", fl.products, &cfg.Products}, {"customers", fl.customers, &cfg.Customers}, {"days", fl.days, &cfg.Days}} {
		if o.v < 0 {
			return cfg, shelfwise.Errorf(shelfwise.EINVALID, "--%s must be positive", o.name)
		}
		if o.v > 0 {
			*o.dst = o.v
		}
	}
	if fl.start != "" {
		t, err := time.Parse(time.DateOnly, fl.start)
		if err != nil {
			return cfg, shelfwise.Errorf(shelfwise.EINVALID, "--start %q: want YYYY-MM-DD", fl.start)
		}
		cfg.Start = t
	}
	if cmd.Flags().Changed("aggregate") {
		cfg.Aggregate = fl.aggregate
	}
	return cfg.WithDefaults(), nil
}

// simulateSummary is what simulate prints.
type simulateSummary struct {
	Report shelfwise.ImportReport `json:"report"`
	Truth  string                 `json:"truth"`
	Config simulate.Config        `json:"config"`
}

func (m *Main) runSimulate(cmd *cobra.Command, fl simulateFlags) error {
	cfg, err := fl.config(cmd)
	if err != nil {
		return err
	}
	bar := m.progress(int64(cfg.Days), "simulating")
	cfg.Progress = func(done, _ int) { bar.Set(done) }
	rep, dir, err := m.simulate(cmd.Context(), cfg)
	bar.Finish()
	if err != nil {
		return err
	}
	sum := simulateSummary{Report: rep, Truth: dir, Config: cfg}
	if fl.json {
		return writeJSON(m.Stdout, sum)
	}
	return writeSimulateSummary(m, sum)
}

// simulate runs the simulator into one import transaction of the store and
// writes the truth to DataDir/truth. A configuration already imported
// writes nothing to the store (AlreadyImported) but still makes sure its
// truth is in place. cfg.Pseudonymizer is set from the data directory.
func (m *Main) simulate(ctx context.Context, cfg simulate.Config) (shelfwise.ImportReport, string, error) {
	started := time.Now()
	dir := filepath.Join(m.DataDir, "truth")
	ps, err := m.Pseudonymizer()
	if err != nil {
		return shelfwise.ImportReport{}, "", err
	}
	cfg.Pseudonymizer = ps
	if err := cfg.Validate(); err != nil {
		return shelfwise.ImportReport{}, "", err
	}
	fp := cfg.Fingerprint()
	rep := shelfwise.ImportReport{
		Format:      "simulate",
		Source:      fmt.Sprintf("simulate seed=%d stores=%d products=%d customers=%d days=%d", cfg.Seed, cfg.Stores, cfg.Products, cfg.Customers, cfg.Days),
		Fingerprint: fp,
		Rules:       []shelfwise.RuleCount{},
	}
	db, err := m.DB(ctx)
	if err != nil {
		return rep, "", err
	}
	imports, err := db.Imports(ctx)
	if err != nil {
		return rep, "", err
	}
	for _, im := range imports {
		if im.Fingerprint == fp {
			rep.AlreadyImported = true
			rep.Written = map[string]int64{}
			rep.Time = time.Now().UTC()
			if old, err := simulate.ReadTruth(dir); err != nil || old.Fingerprint != fp {
				truth, err := simulate.Run(ctx, cfg, &simulate.Discard{})
				if err != nil {
					return rep, "", err
				}
				if err := simulate.WriteTruth(dir, truth); err != nil {
					return rep, "", err
				}
			}
			rep.Seconds = time.Since(started).Seconds()
			return rep, dir, nil
		}
	}
	tx, err := db.BeginImport(ctx, shelfwise.ImportMeta{Format: rep.Format, Source: rep.Source, Time: started.UTC()})
	if err != nil {
		return rep, "", fmt.Errorf("begin import: %w", err)
	}
	defer tx.Rollback()
	truth, err := simulate.Run(ctx, cfg, tx)
	if err != nil {
		return rep, "", err
	}
	rep.Written = truth.Counts
	for _, n := range truth.Counts {
		rep.RowsRead += n
	}
	rep.Accepted = rep.RowsRead
	rep.Time = time.Now().UTC()
	rep.Seconds = time.Since(started).Seconds()
	if err := tx.Commit(ctx, rep); err != nil {
		if shelfwise.ErrorCode(err) != shelfwise.ECONFLICT {
			return rep, "", fmt.Errorf("commit import: %w", err)
		}
		rep.AlreadyImported = true
		rep.Written = map[string]int64{}
	}
	if err := simulate.WriteTruth(dir, truth); err != nil {
		return rep, "", err
	}
	rep.Seconds = time.Since(started).Seconds()
	return rep, dir, nil
}

func writeSimulateSummary(m *Main, s simulateSummary) error {
	r, c := s.Report, s.Config
	title := "Simulated retail chain"
	if r.AlreadyImported {
		title += " (already imported: nothing written)"
	}
	rows := []Row{
		{"seed", c.Seed},
		{"stores", fmt.Sprintf("%d physical, web shop %v", c.Stores, c.Online)},
		{"products", c.Products},
		{"customers", c.Customers},
		{"days", fmt.Sprintf("%d from %s", c.Days, c.Start.Format(time.DateOnly))},
		{"records", r.RowsRead},
	}
	for _, k := range []string{simulate.KindOrderLines, simulate.KindEvents, simulate.KindSessions, simulate.KindSalesPoints,
		simulate.KindStockLevels, simulate.KindPrices, simulate.KindPromotions, simulate.KindCalendar} {
		if n, ok := r.Written[k]; ok {
			rows = append(rows, Row{"  " + strings.ReplaceAll(k, "_", " "), n})
		}
	}
	rows = append(rows,
		Row{"seconds", r.Seconds},
		Row{"fingerprint", r.Fingerprint},
		Row{"truth", s.Truth},
	)
	return writeTable(m.Stdout, title, rows)
}
