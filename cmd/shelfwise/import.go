package main

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/ingest"
	"github.com/spf13/cobra"
)

// importFlags are the flags of the import command.
type importFlags struct {
	format, data string
	json         bool
	maxBadRows   int
	maps         []string
	mappingFile  string
}

// newImportCmd is "shelfwise import": read a retailer's export in a named
// format into the store, whole or not at all, and print the cleaning report.
func (m *Main) newImportCmd() *cobra.Command {
	var fl importFlags
	var formats strings.Builder
	for _, f := range ingest.Formats() {
		fmt.Fprintf(&formats, "  %-17s %s\n", f.Name, f.Description)
	}
	cmd := &cobra.Command{
		Use:   "import --format NAME --data PATH",
		Short: "Import a retailer's export (CSV, CSV.gz, Parquet, JSON lines) into the store",
		Long: `import reads PATH (a file, or the folder of a multi-file dataset) in the
named format, cleans it with a count per rule, pseudonymises customer
identifiers and writes it to the store in one transaction: all or nothing.
Importing data that is already in the store (the same file again, or the
Parquet copy of an imported CSV) writes nothing.

Bad input stops the import with the file, line and field (exit code 2);
--max-bad-rows N sets up to N unparseable rows aside instead.

Formats:
` + formats.String() + `
For --format generic, name columns with --map field=Column (repeatable) or a
JSON file given with --mapping; fields left out are guessed from common
column names. Fields:
  ` + strings.Join(ingest.GenericFieldHelp(), "\n  "),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return m.runImport(cmd, fl) },
	}
	cmd.Flags().StringVar(&fl.format, "format", "", "format of the data: "+strings.Join(ingest.FormatNames(), ", "))
	cmd.Flags().StringVar(&fl.data, "data", "", "file, or folder of a multi-file dataset")
	cmd.Flags().BoolVar(&fl.json, "json", false, "print the report as one JSON object")
	cmd.Flags().IntVar(&fl.maxBadRows, "max-bad-rows", 0, "unparseable rows to set aside before failing (0 = fail on the first)")
	cmd.Flags().StringArrayVar(&fl.maps, "map", nil, `generic format: map a field to a column, e.g. --map sku=Item --map customer="Client Id"`)
	cmd.Flags().StringVar(&fl.mappingFile, "mapping", "", "generic format: JSON file with the column mapping")
	return cmd
}

func (m *Main) runImport(cmd *cobra.Command, fl importFlags) error {
	ctx := cmd.Context()
	if fl.format == "" || fl.data == "" {
		return shelfwise.Errorf(shelfwise.EINVALID, "import needs --format NAME and --data PATH (formats: %s)", strings.Join(ingest.FormatNames(), ", "))
	}
	if _, err := ingest.Lookup(fl.format); err != nil {
		return err
	}
	if fl.maxBadRows < 0 {
		return shelfwise.Errorf(shelfwise.EINVALID, "--max-bad-rows must be 0 or more")
	}
	opts := ingest.Options{MaxBadRows: fl.maxBadRows}
	if len(fl.maps) > 0 || fl.mappingFile != "" {
		if fl.format != "generic" {
			return shelfwise.Errorf(shelfwise.EINVALID, "--map and --mapping apply to --format generic only")
		}
		mp := &ingest.Mapping{}
		if fl.mappingFile != "" {
			var err error
			if mp, err = ingest.LoadMapping(fl.mappingFile); err != nil {
				return err
			}
		}
		for _, s := range fl.maps {
			if err := mp.ParseMapFlag(s); err != nil {
				return err
			}
		}
		opts.Mapping = mp
	}
	if fl.format == "generic" && !fl.json {
		if cols, err := ingest.GenericColumns(fl.data, opts.Mapping); err == nil {
			var parts []string
			for _, field := range sortedKeys(cols) {
				parts = append(parts, field+"="+cols[field])
			}
			fmt.Fprintf(m.Stdout, "Columns: %s\n", strings.Join(parts, ", "))
		}
	}
	ps, err := m.Pseudonymizer()
	if err != nil {
		return err
	}
	opts.Pseudonymizer = ps
	db, err := m.DB(ctx)
	if err != nil {
		return err
	}
	bar := m.progress(-1, "importing "+fl.format)
	opts.Progress = func(rows int64) { bar.Set64(rows) }
	rep, err := ingest.Import(ctx, db, fl.format, fl.data, opts)
	bar.Finish()
	if err != nil {
		return err
	}
	if fl.json {
		return writeJSON(m.Stdout, rep)
	}
	return writeImportReport(m.Stdout, rep)
}

// writeImportReport prints an import report as readable tables.
func writeImportReport(w io.Writer, r shelfwise.ImportReport) error {
	fmt.Fprintf(w, "Import of %s (%s)\n", r.Source, r.Format)
	if r.AlreadyImported {
		fmt.Fprintln(w, "  already imported — nothing written")
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  rows read\t%s\n", thousands(r.RowsRead))
	fmt.Fprintf(tw, "  accepted\t%s\n", thousands(r.Accepted))
	fmt.Fprintf(tw, "  seconds\t%.2f\n", r.Seconds)
	fmt.Fprintf(tw, "  fingerprint\t%s\n", r.Fingerprint)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "Cleaning rules (each counted over all rows read)")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  rule\tcount\taction\tfirst lines")
	for _, rc := range r.Rules {
		lines := make([]string, len(rc.FirstLines))
		for i, l := range rc.FirstLines {
			lines[i] = strconv.FormatInt(l, 10)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", rc.Rule, thousands(rc.Count), rc.Action, strings.Join(lines, ", "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(r.Written) == 0 {
		return nil
	}
	fmt.Fprintln(w, "Rows written")
	var rows []Row
	for _, table := range sortedKeys(r.Written) {
		rows = append(rows, Row{table, thousands(r.Written[table])})
	}
	return writeTable(w, "", rows)
}

// thousands formats n with thousands separators: 541909 -> "541,909".
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
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

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
