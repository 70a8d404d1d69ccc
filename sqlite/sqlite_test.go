package sqlite_test

import (
	"context"
	"testing"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/sqlite"
	"github.com/shelfwise/shelfwise/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) shelfwise.DB {
		db, err := sqlite.Open(context.Background(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return db
	})
}
