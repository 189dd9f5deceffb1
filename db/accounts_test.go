package db_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"aikagi/db"
)

// takeBackLoginKey undoes the login key's migration, as on a database of
// the version before it.
func takeBackLoginKey(t *testing.T, bdb *bun.DB) {
	t.Helper()
	for _, stmt := range []string{
		"DROP INDEX accounts_login_key_idx",
		"ALTER TABLE accounts DROP COLUMN login_key",
		"DELETE FROM bun_migrations WHERE name = '20261208000005'",
	} {
		if _, err := bdb.ExecContext(context.Background(), stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
}

// insertAccountBefore stores an account as the version before the login
// key did, without one.
func insertAccountBefore(t *testing.T, bdb *bun.DB, loginID string) {
	t.Helper()
	_, err := bdb.ExecContext(context.Background(), `INSERT INTO accounts (login_id, email, email_key, store_name, locale, password_hash, created_at, updated_at)
VALUES (?, ?, ?, '山田商店', 'ja', 'x', ?, ?)`, loginID, loginID+"@example.jp", strings.ToLower(loginID)+"@example.jp", t0, t0)
	if err != nil {
		t.Fatalf("insert %s: %v", loginID, err)
	}
}

// TestLoginKeyMigrationRefusesIDsDifferingInCase migrates a database
// whose accounts include login IDs that differ only in case (or width):
// the migration stops before it changes anything and lists every such
// group; once an operator has removed the extra accounts, it runs and
// fills the key of every account, which then matches in any case.
func TestLoginKeyMigrationRefusesIDsDifferingInCase(t *testing.T) {
	forEachDialect(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		takeBackLoginKey(t, bdb)
		for _, id := range []string{"taro-01", "TARO-01", "hanako", "ＨＡＮＡＫＯ", "jiro"} {
			insertAccountBefore(t, bdb, id)
		}

		_, err := db.Migrate(ctx, bdb)
		if err == nil {
			t.Fatal("migrated although two accounts' login IDs differ only in case")
		}
		for _, want := range []string{`"taro-01" (account 1), "TARO-01" (account 2)`, `"hanako" (account 3), "ＨＡＮＡＫＯ" (account 4)`, "aikagi account delete"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("the refusal does not say %q:\n%v", want, err)
			}
		}
		if strings.Contains(err.Error(), "jiro") {
			t.Errorf("the refusal lists an account that collides with none:\n%v", err)
		}
		if pending, err := db.PendingMigrations(ctx, bdb); err != nil || len(pending) != 1 {
			t.Fatalf("pending after the refusal = %v, %v; want the login key's migration alone", pending, err)
		}

		for _, stmt := range []string{"DELETE FROM accounts WHERE login_id IN ('TARO-01', 'ＨＡＮＡＫＯ')"} {
			if _, err := bdb.ExecContext(ctx, stmt); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.Migrate(ctx, bdb); err != nil {
			t.Fatalf("migrate after the operator's fix: %v", err)
		}
		for typed, registered := range map[string]string{"TARO-01": "taro-01", "Hanako": "hanako", "ｊｉｒｏ": "jiro"} {
			acct, err := db.FindAccountByLoginID(ctx, bdb, typed)
			if err != nil || acct == nil || acct.LoginID != registered {
				t.Errorf("FindAccountByLoginID(%q) = %+v, %v; want %s", typed, acct, err, registered)
			}
		}
	})
}

// TestLoginFailuresCountInAnyCase counts failed logins typed in several
// cases towards one pause, and lifts it for all of them at once.
func TestLoginFailuresCountInAnyCase(t *testing.T) {
	forEachDialect(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		for i, typed := range []string{"taro-01", "TARO-01", "Taro-01"} {
			if _, err := db.RecordLoginFailure(ctx, bdb, typed, "192.0.2.1", t0.Add(time.Duration(i)*time.Second)); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := db.CountLoginFailures(ctx, bdb, "taro-01", t0.Add(-time.Minute)); err != nil || n != 3 {
			t.Fatalf("failures of taro-01 = %d, %v; want 3", n, err)
		}
		if err := db.ClearLoginFailures(ctx, bdb, "TARO-01"); err != nil {
			t.Fatal(err)
		}
		if n, err := db.CountLoginFailures(ctx, bdb, "Taro-01", t0.Add(-time.Minute)); err != nil || n != 0 {
			t.Errorf("failures after clearing = %d, %v; want 0", n, err)
		}
	})
}
