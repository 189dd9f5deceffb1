package db_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"aikagi/db"
	"aikagi/db/dbtest"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// forEachDialect runs f against a fresh SQLite and a fresh PostgreSQL database.
func forEachDialect(t *testing.T, f func(t *testing.T, bdb *bun.DB)) {
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			f(t, dbtest.Open(t, dialect))
		})
	}
}

func createAccount(t *testing.T, bdb *bun.DB, loginID, email string) *db.Account {
	t.Helper()
	a := &db.Account{LoginID: loginID, Email: email, StoreName: "山田商店", Locale: "ja", PasswordHash: "$argon2id$x"}
	if err := db.CreateAccount(context.Background(), bdb, a, t0); err != nil {
		t.Fatalf("create account: %v", err)
	}
	return a
}

func hash(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

func TestAccounts(t *testing.T) {
	forEachDialect(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		a := createAccount(t, bdb, "taro-01", "Taro..Yamada@docomo.ne.jp")
		if a.ID == 0 {
			t.Fatal("account ID not filled in")
		}
		for _, id := range []string{"taro-01", "TARO-01", "Ｔａｒｏ-01"} {
			dup := &db.Account{LoginID: id, Email: "x@example.jp", StoreName: "x", Locale: "ja", PasswordHash: "x"}
			if err := db.CreateAccount(ctx, bdb, dup, t0); !errors.Is(err, db.ErrLoginIDTaken) {
				t.Fatalf("login ID %q beside taro-01: got %v, want ErrLoginIDTaken", id, err)
			}
		}

		tests := []struct {
			loginID, email string
			found          bool
		}{
			{"taro-01", "Taro..Yamada@docomo.ne.jp", true},
			{"taro-01", "taro..yamada@DOCOMO.ne.jp", true}, // e-mail matched case-insensitively
			{"TARO-01", "Taro..Yamada@docomo.ne.jp", true}, // login ID matched in any case too
			{"taro-01", "taro.yamada@docomo.ne.jp", false},
			{"hanako", "Taro..Yamada@docomo.ne.jp", false},
		}
		for _, tt := range tests {
			got, err := db.FindAccountForReset(ctx, bdb, tt.loginID, tt.email)
			if err != nil {
				t.Fatal(err)
			}
			if (got != nil) != tt.found {
				t.Errorf("FindAccountForReset(%q, %q) found=%v, want %v", tt.loginID, tt.email, got != nil, tt.found)
			}
			if got != nil && (got.Email != "Taro..Yamada@docomo.ne.jp" || got.LoginID != "taro-01") {
				t.Errorf("registered account changed to %q <%s>", got.LoginID, got.Email)
			}
		}

		list, err := db.ListAccounts(ctx, bdb)
		if err != nil || len(list) != 1 || list[0].StoreName != "山田商店" {
			t.Fatalf("ListAccounts = %+v, %v", list, err)
		}
	})
}

func TestMigrateIsIdempotent(t *testing.T) {
	forEachDialect(t, func(t *testing.T, bdb *bun.DB) {
		applied, err := db.Migrate(context.Background(), bdb)
		if err != nil || len(applied) != 0 {
			t.Fatalf("second migrate applied %v, %v", applied, err)
		}
	})
}

func TestAuditTrail(t *testing.T) {
	forEachDialect(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		for i, kind := range []db.AuditKind{db.AuditResetUnmatched, db.AuditResetRequested} {
			e := &db.AuditEvent{Kind: kind, LoginID: "taro", IP: "192.0.2.1", UserAgent: "test"}
			if err := db.RecordAudit(ctx, bdb, e, t0.Add(time.Duration(i)*time.Second)); err != nil {
				t.Fatal(err)
			}
		}
		events, err := db.ListAudit(ctx, bdb, "taro", 10)
		if err != nil || len(events) != 2 || events[0].Kind != db.AuditResetRequested || events[1].IP != "192.0.2.1" {
			t.Fatalf("ListAudit = %+v, %v", events, err)
		}
		if other, _ := db.ListAudit(ctx, bdb, "hanako", 10); len(other) != 0 {
			t.Fatalf("filter by login ID returned %+v", other)
		}
	})
}
