package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/shelfwise/shelfwise"
	"github.com/spf13/cobra"
)

// statsImports is how many of the latest imports "stats" lists.
const statsImports = 10

// statsOutput is the JSON shape of "shelfwise stats --json".
type statsOutput struct {
	Dir     string                   `json:"data_dir"`
	Stats   shelfwise.Stats          `json:"stats"`
	Imports []shelfwise.ImportReport `json:"imports"` // newest first
}

// newStatsCmd is "shelfwise stats": what the store holds.
func (m *Main) newStatsCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "stats [--json]",
		Short: "Show what is in the store: counts, time span and the latest imports",
		Long: `stats prints what the store in the data directory (--db) holds: products,
stores, pseudonymised customers, invoices, order lines, events, sessions,
series, prices, promotions, stock readings and calendar events, the period
they span, and the latest imports with the rows each wrote. With --json it
prints one JSON object.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return m.runStats(cmd.Context(), asJSON) },
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	return cmd
}

func (m *Main) runStats(ctx context.Context, asJSON bool) error {
	db, err := m.DB(ctx)
	if err != nil {
		return err
	}
	st, err := db.Stats(ctx)
	if err != nil {
		return err
	}
	reps, err := db.Imports(ctx)
	if err != nil {
		return err
	}
	if len(reps) > statsImports {
		reps = reps[:statsImports]
	}
	if asJSON {
		if reps == nil {
			reps = []shelfwise.ImportReport{}
		}
		return writeJSON(m.Stdout, statsOutput{Dir: m.DataDir, Stats: st, Imports: reps})
	}
	return writeStats(m.Stdout, m.DataDir, st, reps)
}

// storeRows renders Stats as table rows.
func storeRows(s shelfwise.Stats) []Row {
	span := "(empty)"
	if !s.FirstTime.IsZero() {
		span = fmt.Sprintf("%s .. %s", s.FirstTime.Format(time.DateOnly), s.LastTime.Format(time.DateOnly))
	}
	return []Row{
		{"products", s.Products},
		{"stores", s.Stores},
		{"customers (pseudonymised)", s.Customers},
		{"invoices", s.Invoices},
		{"order lines", s.OrderLines},
		{"behaviour events", s.Events},
		{"sessions", s.Sessions},
		{"sales points", s.SalesPoints},
		{"series (product x store)", s.Series},
		{"price periods", s.Prices},
		{"promotions", s.Promotions},
		{"stock readings", s.StockLevels},
		{"calendar events", s.CalendarDays},
		{"covariates", s.Covariates},
		{"imports", s.Imports},
		{"period", span},
	}
}

// writeStats prints the readable form of "stats".
func writeStats(w io.Writer, dir string, s shelfwise.Stats, reps []shelfwise.ImportReport) error {
	if err := writeTable(w, "Store "+dir, storeRows(s)); err != nil {
		return err
	}
	if len(reps) == 0 {
		return nil
	}
	rows := make([]Row, len(reps))
	for i, r := range reps {
		rows[i] = Row{
			Name:  fmt.Sprintf("%s  %-16s %s", r.Time.Local().Format("2006-01-02 15:04"), r.Format, r.Source),
			Value: fmt.Sprintf("%d read, %d accepted; wrote %s", r.RowsRead, r.Accepted, writtenSummary(r.Written)),
		}
	}
	fmt.Fprintln(w)
	return writeTable(w, "Latest imports (newest first)", rows)
}

// writtenSummary renders rows written per table, largest first:
// "536,641 order_lines, 4,070 products".
func writtenSummary(m map[string]int64) string {
	if len(m) == 0 {
		return "nothing"
	}
	type kv struct {
		k string
		v int64
	}
	var kvs []kv
	for k, v := range m {
		kvs = append(kvs, kv{k, v})
	}
	sort.Slice(kvs, func(i, j int) bool {
		if kvs[i].v != kvs[j].v {
			return kvs[i].v > kvs[j].v
		}
		return kvs[i].k < kvs[j].k
	})
	parts := make([]string, len(kvs))
	for i, e := range kvs {
		parts[i] = thousands(e.v) + " " + e.k
	}
	return strings.Join(parts, ", ")
}
