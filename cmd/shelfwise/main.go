// Command shelfwise is the Shelfwise CLI, API server and dashboard in one
// binary. Main wires the packages together; each subcommand lives in its own
// file (import.go, eval.go, demo.go...).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"syscall"

	"github.com/shelfwise/shelfwise"
	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	m := NewMain()
	err := m.Run(ctx, os.Args[1:])
	stop()
	if cerr := m.Close(); err == nil {
		err = cerr
	}
	os.Exit(m.exitCode(err))
}

// Main holds the program's wiring: the data directory, the opened store and
// the output streams. End-to-end tests build one with NewMain, point Stdout
// and Stderr at buffers and call Run.
type Main struct {
	// DataDir is the data directory (flag --db), default ./shelfwise-data.
	DataDir string
	Stdout  io.Writer
	Stderr  io.Writer
	Logger  *slog.Logger

	db      shelfwise.DB
	secret  []byte
	closers []func() error
}

// NewMain returns a Main writing to the process's standard streams.
func NewMain() *Main {
	return &Main{
		DataDir: "shelfwise-data",
		Stdout:  os.Stdout,
		Stderr:  os.Stderr,
		Logger:  slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
}

// Run parses args and runs the chosen subcommand.
func (m *Main) Run(ctx context.Context, args []string) error {
	root := m.rootCommand()
	root.SetArgs(args)
	root.SetOut(m.Stdout)
	root.SetErr(m.Stderr)
	return root.ExecuteContext(ctx)
}

// Close closes whatever Run opened (store, servers), last opened first.
func (m *Main) Close() error {
	var errs []error
	for i := len(m.closers) - 1; i >= 0; i-- {
		errs = append(errs, m.closers[i]())
	}
	m.closers = nil
	if m.db != nil {
		errs = append(errs, m.db.Close())
		m.db = nil
	}
	return errors.Join(errs...)
}

// onClose registers fn to run at Close.
func (m *Main) onClose(fn func() error) { m.closers = append(m.closers, fn) }

func (m *Main) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "shelfwise",
		Short: "Shelfwise: demand forecasts, reorder plans, recommendations, prices and customer values for retailers",
		Long: `Shelfwise imports a retailer's exports, trains and evaluates models for
forecasting, recommendations, purchase propensity and more, and serves them
over HTTP with a web dashboard. Start with "shelfwise demo".`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&m.DataDir, "db", m.DataDir, "data directory of the embedded store")
	cmds := []*cobra.Command{
		m.newEvalCmd(),
		m.newDemoCmd(),
	}
	for _, c := range m.extraCommands() {
		cmds = append(cmds, c)
	}
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].Name() < cmds[j].Name() })
	root.AddCommand(cmds...)
	return root
}

// extraCommands lists the subcommands defined in their own files. Add a
// line here when a capability lands.
func (m *Main) extraCommands() []*cobra.Command {
	return []*cobra.Command{
		m.newRecommendCmd(),
		m.newImportCmd(),
		m.newSimulateCmd(),
		m.newStatsCmd(),
		m.newServeCmd(),
		m.newKeysCmd(),
		m.newTrainCmd(),
		m.newScoreCmd(),
		m.newForecastCmd(),
	}
}

// Secret returns the pseudonymisation key for the data directory.
func (m *Main) Secret() ([]byte, error) {
	if m.secret != nil {
		return m.secret, nil
	}
	key, err := shelfwise.LoadSecret(m.DataDir)
	if err != nil {
		return nil, err
	}
	m.secret = key
	return key, nil
}

// Pseudonymizer returns the data directory's pseudonymizer.
func (m *Main) Pseudonymizer() (*shelfwise.Pseudonymizer, error) {
	key, err := m.Secret()
	if err != nil {
		return nil, err
	}
	return shelfwise.NewPseudonymizer(key), nil
}

// DB opens (once) the store in the data directory.
func (m *Main) DB(ctx context.Context) (shelfwise.DB, error) {
	if m.db != nil {
		return m.db, nil
	}
	if err := os.MkdirAll(m.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", m.DataDir, err)
	}
	db, err := openStore(ctx, filepath.Clean(m.DataDir))
	if err != nil {
		return nil, err
	}
	m.db = db
	return db, nil
}

// exitCode prints err for a person and maps it to an exit status: 0 success,
// 2 bad input or usage, 1 anything else.
func (m *Main) exitCode(err error) int {
	if err == nil {
		return 0
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(m.Stderr, "shelfwise: interrupted")
		return 130
	}
	code := shelfwise.ErrorCode(err)
	switch code {
	case shelfwise.EINTERNAL:
		fmt.Fprintf(m.Stderr, "shelfwise: %v\n", err)
		return 1
	default:
		fmt.Fprintf(m.Stderr, "shelfwise: %s\n", errMessage(err))
		if code == shelfwise.EINVALID {
			return 2
		}
		return 1
	}
}

// errMessage gives the most precise human message for err: an InputError's
// location, a domain error's message, or the error text.
func errMessage(err error) string {
	var ie *shelfwise.InputError
	if errors.As(err, &ie) {
		return ie.Error()
	}
	var de *shelfwise.Error
	if errors.As(err, &de) {
		return de.Message
	}
	return err.Error()
}
