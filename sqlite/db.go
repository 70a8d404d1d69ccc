package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shelfwise/shelfwise"
	sqlite3 "modernc.org/sqlite"
)

// FileName is the name of the database file inside the data directory.
const FileName = "shelfwise.db"

//go:embed migrations/*.sql
var migrationFS embed.FS

var _ shelfwise.DB = (*DB)(nil)

// DB is the embedded store. It is safe for concurrent use: writes are
// serialised on one connection, reads run on a pool of query-only
// connections and see committed data only.
type DB struct {
	path string
	w    *sql.DB // the single write connection
	r    *sql.DB // query-only connections

	// wsem is the writer lock (a one-slot semaphore, so waiting for it can
	// be cancelled). An import holds it from BeginImport to Commit/Rollback.
	wsem chan struct{}
	// wstmts are the write connection's prepared statements, kept between
	// transactions; used under the writer lock.
	wstmts stmtCache

	// Now returns the current time; tests may replace it.
	Now func() time.Time
}

// Open opens, creating if needed, the store in dir/shelfwise.db and brings
// its schema up to date.
func Open(ctx context.Context, dir string) (*DB, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	path := filepath.Join(dir, FileName)
	db := &DB{
		path: path,
		wsem: make(chan struct{}, 1),
		Now:  time.Now,
	}
	var err error
	if db.w, err = sql.Open("sqlite", dsn(path, false)); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.w.SetMaxOpenConns(1)
	db.w.SetMaxIdleConns(1)
	db.w.SetConnMaxLifetime(0)
	db.w.SetConnMaxIdleTime(0)
	if err := db.migrate(ctx); err != nil {
		db.w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if db.r, err = sql.Open("sqlite", dsn(path, true)); err != nil {
		db.w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// Room for parallel Series partitions and a callback's own reads.
	n := max(8, 2*runtime.GOMAXPROCS(0)+4)
	db.r.SetMaxOpenConns(n)
	db.r.SetMaxIdleConns(n)
	if err := db.r.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// dsn builds the connection string: WAL, synchronous=FULL, foreign keys and
// a busy timeout on every connection; immediate write transactions and a
// larger page cache for the writer; query_only for readers.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	if readOnly {
		q.Add("_pragma", "cache_size(-32768)")
		q.Set("_query_only", "1")
	} else {
		q.Add("_pragma", "cache_size(-65536)")
		// Statement journals of multi-row INSERTs stay in memory.
		q.Add("_pragma", "temp_store(MEMORY)")
		// After a large import has been checkpointed, shrink the WAL file.
		q.Add("_pragma", "journal_size_limit(67108864)")
		q.Set("_txlock", "immediate")
	}
	// In a file: URI, '%', '?' and '#' in the path must be escaped.
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + esc + "?" + q.Encode()
}

// Path returns the database file's path.
func (db *DB) Path() string { return db.path }

// Close closes both connection pools.
func (db *DB) Close() error {
	var errs []error
	if db.r != nil {
		errs = append(errs, db.r.Close())
	}
	if db.w != nil {
		errs = append(errs, db.closeStatements(), db.w.Close())
	}
	return errors.Join(errs...)
}

// lockWriter takes the writer lock, or gives up when ctx ends.
func (db *DB) lockWriter(ctx context.Context) error {
	select {
	case db.wsem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (db *DB) unlockWriter() { <-db.wsem }

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + "..."
	}
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// migration is one numbered schema file.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded schema files in version order.
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, name := range names {
		base := filepath.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive number and '_'", base)
		}
		b, err := migrationFS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: base, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s share version %d", ms[i-1].name, ms[i].name, ms[i].version)
		}
	}
	return ms, nil
}

// migrate applies the migrations newer than the database's schema version,
// all in one transaction.
func (db *DB) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_version: %w", err)
	}
	var cur int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&cur); err != nil {
		return err
	}
	if len(ms) > 0 && cur > ms[len(ms)-1].version {
		return fmt.Errorf("database schema version %d is newer than this program's %d", cur, ms[len(ms)-1].version)
	}
	for _, m := range ms {
		if m.version <= cur {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version(version, name, applied) VALUES (?, ?, ?)`,
			m.version, m.name, time.Now().UnixMilli()); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// SchemaVersion returns the highest applied migration.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := db.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v)
	return v, err
}

// isConstraint reports whether err is an SQLite constraint violation.
func isConstraint(err error) bool {
	var e *sqlite3.Error
	return errors.As(err, &e) && e.Code()&0xff == 19 // SQLITE_CONSTRAINT
}

// Time encoding: Unix milliseconds (UTC) for instants, days since
// 1970-01-01 for dates.
const msPerDay = 86400_000

func toMS(t time.Time) int64 { return t.UnixMilli() }

func fromMS(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// nullMS stores the zero time as NULL ("open-ended").
func nullMS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

func fromNullMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMS(v.Int64)
}

// dayOf returns the day number (days since 1970-01-01, UTC) of t.
func dayOf(t time.Time) int64 { return floorDiv(t.UnixMilli(), msPerDay) }

// dayTime returns midnight UTC of day d.
func dayTime(d int64) time.Time { return time.UnixMilli(d * msPerDay).UTC() }

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
