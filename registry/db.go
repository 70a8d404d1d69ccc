package registry

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// FileName is the registry database's name inside the data directory.
const FileName = "registry.db"

// schema creates the registry tables; every statement is idempotent.
const schema = `
CREATE TABLE IF NOT EXISTS model_versions (
    task           TEXT NOT NULL,
    version        INTEGER NOT NULL,
    model          TEXT NOT NULL,
    metrics        TEXT NOT NULL,
    primary_metric TEXT NOT NULL,
    higher_better  INTEGER NOT NULL,
    snapshot       TEXT NOT NULL,
    checksum       TEXT NOT NULL,
    size           INTEGER NOT NULL,
    status         TEXT NOT NULL,
    created        INTEGER NOT NULL,
    promoted       INTEGER NOT NULL DEFAULT 0,
    retired        INTEGER NOT NULL DEFAULT 0,
    note           TEXT NOT NULL DEFAULT '',
    job            TEXT NOT NULL DEFAULT '',
    data_as_of     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (task, version)
);
CREATE TABLE IF NOT EXISTS api_keys (
    hash    TEXT PRIMARY KEY,
    id      TEXT NOT NULL UNIQUE,
    role    TEXT NOT NULL,
    name    TEXT NOT NULL,
    created INTEGER NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS jobs (
    id       TEXT PRIMARY KEY,
    seq      INTEGER NOT NULL,
    kind     TEXT NOT NULL,
    params   TEXT NOT NULL,
    status   TEXT NOT NULL,
    progress REAL NOT NULL,
    message  TEXT NOT NULL,
    result   TEXT NOT NULL,
    error    TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    created  INTEGER NOT NULL,
    started  INTEGER NOT NULL,
    finished INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_seq ON jobs(seq);
`

// DB is the registry database of one data directory.
type DB struct {
	dir string
	sql *sql.DB
}

// Open opens, creating if needed, dir/registry.db.
func Open(ctx context.Context, dir string) (*DB, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("registry: create %s: %w", dir, err)
	}
	path := filepath.Join(dir, FileName)
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("registry: open %s: %w", path, err)
	}
	// One connection: the registry is small, and a single connection
	// serialises writers without SQLITE_BUSY between them.
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("registry: create schema in %s: %w", path, err)
	}
	if err := addColumns(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("registry: upgrade schema in %s: %w", path, err)
	}
	return &DB{dir: dir, sql: db}, nil
}

// addedColumns are the columns added to tables after their first release:
// a registry created before them gets them (with their defaults) on open.
var addedColumns = []struct{ table, column, decl string }{
	{"model_versions", "data_as_of", "INTEGER NOT NULL DEFAULT 0"},
}

func addColumns(ctx context.Context, db *sql.DB) error {
	for _, c := range addedColumns {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = ?`,
			c.table, c.column).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		if _, err := db.ExecContext(ctx, `ALTER TABLE `+c.table+` ADD COLUMN `+c.column+` `+c.decl); err != nil {
			return err
		}
	}
	return nil
}

// Dir returns the data directory.
func (db *DB) Dir() string { return db.dir }

// Close closes the database.
func (db *DB) Close() error { return db.sql.Close() }
