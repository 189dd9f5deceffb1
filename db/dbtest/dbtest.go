// Package dbtest opens migrated databases for tests: a fresh SQLite file,
// and a fresh PostgreSQL database on the server named by TEST_DATABASE_URL.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/uptrace/bun"

	"aikagi/db"
)

// Dialects are the databases every store test runs against.
var Dialects = []string{"sqlite", "postgres"}

// Open returns a migrated, empty database of the given dialect, removed when
// the test ends. Without TEST_DATABASE_URL the PostgreSQL case is skipped,
// unless CI=true, where it fails: CI must never pass by skipping.
func Open(t testing.TB, dialect string) *bun.DB {
	t.Helper()
	return OpenDSN(t, Fresh(t, dialect))
}

// Fresh returns the DATABASE_URL of a new, empty database of the dialect,
// removed when the test ends; open it as often as needed to play several
// instances.
func Fresh(t testing.TB, dialect string) string {
	t.Helper()
	switch dialect {
	case "sqlite":
		return "sqlite:" + filepath.Join(t.TempDir(), "test.db")
	case "postgres":
		return freshPostgres(t)
	}
	t.Fatalf("dbtest: unknown dialect %q", dialect)
	return ""
}

// OpenDSN opens and migrates the database at dsn for the test.
func OpenDSN(t testing.TB, dsn string) *bun.DB {
	t.Helper()
	bdb, err := db.Open(dsn)
	if err != nil {
		t.Fatalf("dbtest: open %s: %v", dsn, err)
	}
	t.Cleanup(func() { bdb.Close() })
	if _, err := db.Migrate(context.Background(), bdb); err != nil {
		t.Fatalf("dbtest: migrate %s: %v", dsn, err)
	}
	return bdb
}

// freshPostgres creates a database of its own for the test on the server of
// TEST_DATABASE_URL and drops it afterwards.
func freshPostgres(t testing.TB) string {
	t.Helper()
	admin := os.Getenv("TEST_DATABASE_URL")
	if admin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("dbtest: TEST_DATABASE_URL is not set but CI=true: PostgreSQL tests must run in CI (use make test)")
		}
		t.Skip("dbtest: TEST_DATABASE_URL not set; run make test to include PostgreSQL")
	}
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("dbtest: TEST_DATABASE_URL: %v", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "aikagi_test_" + hex.EncodeToString(b)

	adminDB, err := db.Open(admin)
	if err != nil {
		t.Fatalf("dbtest: open admin database: %v", err)
	}
	defer adminDB.Close()
	ctx := context.Background()
	if _, err := adminDB.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("dbtest: create database: %v", err)
	}
	t.Cleanup(func() {
		adminDB, err := db.Open(admin)
		if err != nil {
			t.Errorf("dbtest: reopen admin database: %v", err)
			return
		}
		defer adminDB.Close()
		if _, err := adminDB.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("dbtest: drop database: %v", err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

var batchSeq atomic.Int64

// BatchID is a new batch id for db.ClaimMail, unique in the test binary.
func BatchID() string {
	return fmt.Sprintf("b-test-%d", batchSeq.Add(1))
}

// ForEachDialect runs f as a parallel subtest against each dialect.
func ForEachDialect(t *testing.T, f func(t *testing.T, dialect string)) {
	for _, d := range Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			f(t, d)
		})
	}
}
