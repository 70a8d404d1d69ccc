package main

import (
	"context"

	"github.com/shelfwise/shelfwise"
)

// openStore opens the embedded store in dir. Replaced by sqlite.Open when the
// sqlite package lands.
func openStore(ctx context.Context, dir string) (shelfwise.DB, error) {
	return nil, shelfwise.Errorf(shelfwise.ENOTIMPL, "the embedded store is not built yet")
}
