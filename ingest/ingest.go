package ingest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/shelfwise/shelfwise"
)

// Options tune a read.
type Options struct {
	// Pseudonymizer turns customer identifiers into CustomerKeys. Required
	// by formats that carry customers; Read fails without it.
	Pseudonymizer *shelfwise.Pseudonymizer
	// Mapping maps columns for the generic format.
	Mapping *Mapping
	// Progress, when set, is called now and then with the rows read so far.
	Progress func(rows int64)
	// BatchSize is the number of records per Sink call (default 4096).
	BatchSize int
	// MaxBadRows is how many unparseable rows may be set aside (counted under
	// the "unparseable" rule) before the read fails. The default 0 is strict:
	// the first bad row fails the import with its file, line and field.
	MaxBadRows int
}

// Format is a named input layout.
type Format struct {
	// Name is the --format value, e.g. "online-retail".
	Name string
	// Description says which exports the format reads.
	Description string
	// Read streams the dataset at path (a file, or a folder for multi-file
	// datasets) into b, recording cleaning rules in rep.
	Read func(ctx context.Context, path string, opts Options, b *Batcher, rep *Report) error
}

// formatList is the registry of formats. Add a line when a format lands.
func formatList() []Format {
	return []Format{
		onlineRetailFormat,
		dunnhumbyFormat,
		walmartFormat,
		m5Format,
		shoppersFormat,
		cdnowFormat,
		dominicksOJFormat,
		dominicksBayesmFormat,
		genericFormat,
		m4Format,
	}
}

// Formats returns the registered formats ordered by name.
func Formats() []Format {
	fs := formatList()
	sort.Slice(fs, func(i, j int) bool { return fs[i].Name < fs[j].Name })
	return fs
}

// FormatNames returns the names of the registered formats.
func FormatNames() []string {
	var names []string
	for _, f := range Formats() {
		names = append(names, f.Name)
	}
	return names
}

// Lookup returns the named format, or EINVALID listing the known ones.
func Lookup(name string) (Format, error) {
	for _, f := range formatList() {
		if f.Name == name {
			return f, nil
		}
	}
	return Format{}, shelfwise.Errorf(shelfwise.EINVALID, "unknown format %q (known: %s)", name, strings.Join(FormatNames(), ", "))
}

// Read streams the dataset at path in the named format into sink and returns
// the import report, with its fingerprint. On error the sink may hold part
// of the data: callers that need atomicity read into a transaction (Import).
func Read(ctx context.Context, format, path string, opts Options, sink shelfwise.Sink) (shelfwise.ImportReport, error) {
	f, err := Lookup(format)
	if err != nil {
		return shelfwise.ImportReport{}, err
	}
	if _, err := os.Stat(path); err != nil {
		return shelfwise.ImportReport{}, &shelfwise.InputError{File: path, Err: errors.New("no such file or folder")}
	}
	start := time.Now()
	rep := NewReport(format, path)
	rep.progress = opts.Progress
	b := NewBatcher(sink, opts.BatchSize)
	if err := f.Read(ctx, path, opts, b, rep); err != nil {
		return rep.Finish(), err
	}
	if err := b.Flush(ctx); err != nil {
		return rep.Finish(), err
	}
	out := rep.Finish()
	out.Written = b.Written()
	out.Seconds = time.Since(start).Seconds()
	return out, nil
}

// Import reads the dataset into one import transaction of db and commits it
// whole, or rolls it back on any error so the store is untouched. Data
// already in the store (same fingerprint) is not imported twice: the report
// comes back with AlreadyImported set and nothing written.
func Import(ctx context.Context, db shelfwise.DB, format, path string, opts Options) (shelfwise.ImportReport, error) {
	if _, err := Lookup(format); err != nil {
		return shelfwise.ImportReport{}, err
	}
	start := time.Now()
	tx, err := db.BeginImport(ctx, shelfwise.ImportMeta{Format: format, Source: path, Time: time.Now().UTC()})
	if err != nil {
		return shelfwise.ImportReport{}, fmt.Errorf("begin import: %w", err)
	}
	defer tx.Rollback()
	rep, err := Read(ctx, format, path, opts, tx)
	if err != nil {
		return rep, err
	}
	rep.Time = time.Now().UTC()
	if err := tx.Commit(ctx, rep); err != nil {
		if shelfwise.ErrorCode(err) == shelfwise.ECONFLICT {
			rep.AlreadyImported = true
			rep.Written = map[string]int64{}
			rep.Seconds = time.Since(start).Seconds()
			return rep, nil
		}
		return rep, fmt.Errorf("commit import: %w", err)
	}
	// Seconds covers the whole import, commit included; the stored report
	// has the read time only.
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}
