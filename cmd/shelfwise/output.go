package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/shelfwise/shelfwise/recommend"
	"golang.org/x/term"
)

// writeJSON prints v as one indented JSON object followed by a newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// Row is one line of a readable two-column table.
type Row struct {
	Name  string
	Value any
}

// writeTable prints rows as an aligned two-column table.
func writeTable(w io.Writer, title string, rows []Row) error {
	if title != "" {
		fmt.Fprintln(w, title)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintf(tw, "  %s\t%s\n", r.Name, formatValue(r.Value))
	}
	return tw.Flush()
}

func formatValue(v any) string {
	switch x := v.(type) {
	case float64:
		if math.Abs(x) >= 1000 || x == math.Trunc(x) {
			return fmt.Sprintf("%.1f", x)
		}
		return fmt.Sprintf("%.4f", x)
	case float32:
		return formatValue(float64(x))
	default:
		return fmt.Sprint(v)
	}
}

// isTerminal reports whether w is an interactive terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progress returns a progress bar on m.Stderr for max units of work (-1 when
// unknown), or a silent one when stderr is not a terminal.
func (m *Main) progress(max int64, desc string) *progressbar.ProgressBar {
	if !isTerminal(m.Stderr) {
		return progressbar.DefaultSilent(max, desc)
	}
	return progressbar.NewOptions64(max,
		progressbar.OptionSetWriter(m.Stderr),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionThrottle(100_000_000),
		progressbar.OptionClearOnFinish(),
	)
}

// recommendProgress returns ctx with a reporter of the recommendation
// training's stages (recommend.WithProgress) and the function to call when
// the training ends. On a terminal the stages draw a bar on stderr; other-
// wise (a log file, a pipe, a scheduled job) each stage prints one line
// there with its share of the work and the time since the start, as the
// forecast command's fits do, so minutes of training are never silent.
func (m *Main) recommendProgress(ctx context.Context, desc string) (context.Context, func()) {
	if !isTerminal(m.Stderr) {
		start := time.Now()
		var last string
		ctx = recommend.WithProgress(ctx, func(f float64, msg string) {
			if msg == last {
				return
			}
			last = msg
			fmt.Fprintf(m.Stderr, "  %s: %3.0f%% %s (elapsed %.1fs)\n", desc, 100*f, msg, time.Since(start).Seconds())
		})
		return ctx, func() {}
	}
	bar := m.progress(100, desc)
	ctx = recommend.WithProgress(ctx, func(f float64, msg string) {
		bar.Describe(desc + ": " + msg)
		_ = bar.Set(int(math.Round(100 * f)))
	})
	return ctx, func() { _ = bar.Finish() }
}
