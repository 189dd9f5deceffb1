package db_test

import (
	"context"
	"slices"
	"strings"
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

// A database that cannot be reached is named in the error, without its
// password, with the reason.
func TestOpenNamesAnUnreachableDatabase(t *testing.T) {
	_, err := db.Open("postgres://aikagi:hunter2@127.0.0.1:1/aikagi?sslmode=disable")
	if err == nil {
		t.Fatal("opened a database on port 1")
	}
	for _, want := range []string{"cannot reach PostgreSQL at 127.0.0.1:1/aikagi", "connect"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error shows the password: %q", err)
	}
	_, err = db.Open("sqlite:" + t.TempDir() + "/missing/folder/aikagi.db")
	if err == nil || !strings.Contains(err.Error(), "cannot open the SQLite database") {
		t.Errorf("SQLite in a missing folder: %v", err)
	}
}

// A server without TLS, asked without sslmode, gets the setting to change
// named.
func TestOpenSuggestsSSLMode(t *testing.T) {
	dsn := strings.Replace(dbtest.Fresh(t, "postgres"), "sslmode=disable", "", 1)
	_, err := db.Open(dsn)
	if err == nil || !strings.Contains(err.Error(), "add sslmode=disable to DATABASE_URL") {
		t.Errorf("Open without sslmode against a server without TLS: %v", err)
	}
}

// Connections show up as "aikagi" in pg_stat_activity, so that a DBA can
// tell them from others.
func TestPostgresConnectionsNameThemselves(t *testing.T) {
	bdb, err := db.OpenWith(dbtest.Fresh(t, "postgres"), db.Options{MaxConns: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	var name string
	if err := bdb.QueryRowContext(context.Background(), "SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	if name != "aikagi" {
		t.Errorf("application_name = %q, want aikagi", name)
	}
	if got := bdb.Stats().MaxOpenConnections; got != 3 {
		t.Errorf("pool size = %d, want 3", got)
	}
}
