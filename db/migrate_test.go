package db_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"aikagi/db"
	"aikagi/db/dbtest"
)

// Several processes starting at once on an empty PostgreSQL database all
// succeed, and the migrations are applied once.
func TestConcurrentMigrationsOnAFreshDatabase(t *testing.T) {
	dsn := dbtest.Fresh(t, "postgres")
	const processes = 5
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		applied []string
	)
	for i := range processes {
		wg.Go(func() {
			bdb, err := db.Open(dsn)
			if err != nil {
				t.Errorf("process %d: open: %v", i, err)
				return
			}
			defer bdb.Close()
			names, err := db.Migrate(context.Background(), bdb)
			if err != nil {
				t.Errorf("process %d: migrate: %v", i, err)
				return
			}
			mu.Lock()
			applied = append(applied, names...)
			mu.Unlock()
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	bdb, err := db.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	pending, err := db.PendingMigrations(context.Background(), bdb)
	if err != nil || len(pending) != 0 {
		t.Fatalf("pending after the race: %v, %v", pending, err)
	}
	sorted := slices.Clone(applied)
	slices.Sort(sorted)
	if len(slices.Compact(sorted)) != len(applied) {
		t.Errorf("some migrations were applied twice: %v", applied)
	}
	if len(applied) == 0 {
		t.Error("no process reported applying the migrations")
	}
}
