package account

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"aikagi/app/secret"
	"aikagi/db"
	"aikagi/db/dbtest"
)

// TestChangeStatus applies each action to an active, a disabled and a
// missing account: what is allowed changes the account, its links and
// sessions and leaves one audit event with the reason; what is refused
// changes nothing. How the web then treats the account is tested in
// package app (TestDisabledAccount).
func TestChangeStatus(t *testing.T) {
	t.Parallel()
	type outcome int
	const (
		refused outcome = iota
		active
		disabled
		deleted
	)
	cases := []struct {
		name     string
		disabled bool // the account's state before
		missing  bool // no such account at all
		action   Action
		want     outcome
		err      string // part of the refusal
		event    db.AuditKind
	}{
		{"disable an active account", false, false, Disable, disabled, "", db.AuditAccountDisabled},
		{"disable a disabled account", true, false, Disable, refused, "disabled already", ""},
		{"enable a disabled account", true, false, Enable, active, "", db.AuditAccountEnabled},
		{"enable an active account", false, false, Enable, refused, "not disabled", ""},
		{"delete an active account", false, false, Delete, deleted, "", db.AuditAccountDeleted},
		{"delete a disabled account", true, false, Delete, deleted, "", db.AuditAccountDeleted},
		{"disable no account", false, true, Disable, refused, ErrNoSuchAccount.Error(), ""},
		{"enable no account", false, true, Enable, refused, ErrNoSuchAccount.Error(), ""},
		{"delete no account", false, true, Delete, refused, ErrNoSuchAccount.Error(), ""},
		{"an unknown action", false, false, Action("suspend"), refused, `unknown action "suspend"`, ""},
	}
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			bdb := dbtest.Open(t, dialect)
			start := time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)
			for i, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					loginID := fmt.Sprintf("status%02d", i)
					var acct *db.Account
					if !tc.missing {
						acct = accountWithLinkAndSession(t, bdb, loginID, tc.disabled, start)
					}
					eventsBefore := countAudit(t, bdb)
					now := start.Add(time.Hour)
					err := ChangeStatus(ctx, bdb, loginID, tc.action, db.Actor{Command: "aikagi account " + string(tc.action)}, "cli: "+tc.name, now)
					if tc.want == refused {
						if err == nil || !strings.Contains(err.Error(), tc.err) {
							t.Fatalf("err = %v, want a refusal saying %q", err, tc.err)
						}
						if n := countAudit(t, bdb); n != eventsBefore {
							t.Errorf("a refusal recorded %d audit events", n-eventsBefore)
						}
						if acct != nil {
							got, _ := db.GetAccount(ctx, bdb, acct.ID)
							if got == nil || (got.DisabledAt != nil) != tc.disabled {
								t.Errorf("a refusal changed the account: %+v", got)
							}
						}
						return
					}
					if err != nil {
						t.Fatalf("%s: %v", tc.action, err)
					}
					got, err := db.GetAccount(ctx, bdb, acct.ID)
					if err != nil {
						t.Fatal(err)
					}
					switch tc.want {
					case active:
						if got == nil || got.DisabledAt != nil {
							t.Errorf("account after enabling: %+v, want it active", got)
						}
					case disabled:
						if got == nil || got.DisabledAt == nil || !got.DisabledAt.Equal(db.Stamp(now)) {
							t.Errorf("account after disabling: %+v, want it disabled since %v", got, now)
						}
					case deleted:
						if got != nil {
							t.Errorf("the account is still there after delete: %+v", got)
						}
					}
					if tc.want != active {
						if n := countWhere(t, bdb, "reset_tokens", "account_id = ? AND revoked_at IS NULL", acct.ID); n != 0 {
							t.Errorf("%d links still valid", n)
						}
						if n := countWhere(t, bdb, "sessions", "account_id = ?", acct.ID); n != 0 {
							t.Errorf("%d sessions left", n)
						}
					}
					var last db.AuditEvent
					if err := bdb.NewSelect().Model(&last).Order("id DESC").Limit(1).Scan(ctx); err != nil {
						t.Fatal(err)
					}
					wantAccount := tc.want != deleted // a deleted account's trail no longer links to it
					if last.Kind != tc.event || last.LoginID != loginID || last.Detail != "cli: "+tc.name ||
						(last.AccountID != nil) != wantAccount || (wantAccount && *last.AccountID != acct.ID) || !last.At.Equal(db.Stamp(now)) {
						t.Errorf("last audit event = %+v, want %s for %s with the reason", last, tc.event, loginID)
					}
					if n := countAudit(t, bdb); n != eventsBefore+1 {
						t.Errorf("%d audit events recorded, want 1", n-eventsBefore)
					}
				})
			}
		})
	}
}

// accountWithLinkAndSession stores an account, disabled or not, with a
// valid reset link and a session.
func accountWithLinkAndSession(t *testing.T, bdb *bun.DB, loginID string, disabled bool, now time.Time) *db.Account {
	t.Helper()
	ctx := context.Background()
	acct := &db.Account{LoginID: loginID, Email: loginID + "@example.jp", StoreName: "店", Locale: "ja", PasswordHash: HashArgon2id("x")}
	if err := db.CreateAccount(ctx, bdb, acct, now); err != nil {
		t.Fatal(err)
	}
	if disabled {
		if err := db.SetAccountDisabled(ctx, bdb, acct.ID, &now, now); err != nil {
			t.Fatal(err)
		}
	}
	_, hash := secret.NewToken()
	if _, err := db.CreateResetToken(ctx, bdb, acct.ID, hash, now, 24*time.Hour, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	_, sessionHash := secret.NewToken()
	if err := db.CreateSession(ctx, bdb, &db.Session{IDHash: sessionHash, AccountID: acct.ID}, now, 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	return acct
}

func countAudit(t *testing.T, bdb bun.IDB) int {
	t.Helper()
	n, err := bdb.NewSelect().Table("audit_events").Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// countWhere counts the rows of table that match where.
func countWhere(t *testing.T, bdb bun.IDB, table, where string, args ...any) int {
	t.Helper()
	n, err := bdb.NewSelect().Table(table).Where(where, args...).Count(context.Background())
	if err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}
