package db_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"aikagi/db"
	"aikagi/db/dbtest"

	"github.com/uptrace/bun"
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

// A migration that meets a long reader holding a lock on its table does
// not stall the app's writes: it gives up the lock it waits for within its
// lock_timeout (the app's INSERTs, queued behind it, then go through while
// the reader still holds its lock) and tries again once the reader is gone.
func TestMigrationDoesNotStallWrites(t *testing.T) {
	ctx := context.Background()
	bdb := dbtest.Open(t, "postgres")
	// Take the outbox migration back, as on a database of the version
	// before it, with a mail in the outbox.
	const pacing = "20261208000001"
	for _, stmt := range []string{
		"DROP TABLE provider_pace",
		"ALTER TABLE outbox DROP COLUMN batch_id, DROP COLUMN batch_size, DROP COLUMN alone, DROP COLUMN is_repeat, DROP COLUMN expired_at",
		"DELETE FROM bun_migrations WHERE name = '" + pacing + "'",
	} {
		if _, err := bdb.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	if pending, err := db.PendingMigrations(ctx, bdb); err != nil || len(pending) != 1 || !strings.HasPrefix(pending[0], pacing) {
		t.Fatalf("pending = %v, %v; want the outbox migration alone", pending, err)
	}

	// A reader holds the outbox for as long as the test wants.
	reader, err := bdb.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reader.ExecContext(ctx, "LOCK TABLE outbox IN ACCESS SHARE MODE"); err != nil {
		t.Fatal(err)
	}
	migrated := make(chan error, 1)
	go func() {
		_, err := db.Migrate(ctx, bdb)
		migrated <- err
	}()
	// Wait until the migration waits for its lock, behind the reader.
	waitForLockWait(t, bdb)

	// The app writes to the outbox meanwhile: with the migration giving up
	// its place within lock_timeout, the write completes while the reader
	// still holds its lock.
	wrote := make(chan error, 1)
	go func() {
		_, err := bdb.ExecContext(ctx, `INSERT INTO outbox (id, kind, to_addr, status, next_attempt_at, created_at)
VALUES ('during-migration', 'password_changed', 'taro@example.jp', 'pending', now(), now())`)
		wrote <- err
	}()
	select {
	case err := <-wrote:
		if err != nil {
			t.Fatalf("the app's write failed: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the app's write waited behind the migration while the reader held its lock")
	}
	if err := reader.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := <-migrated; err != nil {
		t.Fatalf("the migration did not finish once the reader was gone: %v", err)
	}
	if pending, err := db.PendingMigrations(ctx, bdb); err != nil || len(pending) != 0 {
		t.Errorf("pending after the reader left: %v, %v", pending, err)
	}
}

// waitForLockWait waits until a session of bdb's database waits for a lock.
func waitForLockWait(t *testing.T, bdb *bun.DB) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		var waiting int
		err := bdb.NewRaw(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(context.Background(), &waiting)
		if err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the migration never waited for its lock")
}
