package main

import (
	"context"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/sqlite"
)

// openStore opens the embedded SQLite store in dir (dir/shelfwise.db).
func openStore(ctx context.Context, dir string) (shelfwise.DB, error) {
	return sqlite.Open(ctx, dir)
}
