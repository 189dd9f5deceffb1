package retention

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"aikagi/app/config"
	"aikagi/app/secret"
	"aikagi/db"
	"aikagi/db/dbtest"
)

// The sweep deletes the console's expired sessions, invitations and login
// failures and keeps the live ones.
func TestSweepStaffSessionsAndInvites(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			bdb := dbtest.Open(t, dialect)
			cfg, err := config.Load(func(k string) string {
				return map[string]string{"SECRET_KEY": strings.Repeat("ef", 32)}[k]
			}, secret.Random)
			if err != nil {
				t.Fatal(err)
			}
			now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
			member := &db.Staff{Email: "sato@example.jp", Role: db.RoleSupport}
			if err := db.CreateStaff(ctx, bdb, member, now); err != nil {
				t.Fatal(err)
			}
			for _, s := range []struct {
				id   string
				at   time.Time
				idle time.Duration
			}{
				{"expired", now.Add(-time.Hour), 30 * time.Minute},
				{"live", now.Add(-time.Minute), 30 * time.Minute},
			} {
				sess := &db.StaffSession{IDHash: []byte(s.id), StaffID: member.ID, Stage: db.StageFull}
				if err := db.CreateStaffSession(ctx, bdb, sess, s.at, s.idle); err != nil {
					t.Fatal(err)
				}
			}
			other := &db.Staff{Email: "kato@example.jp", Role: db.RoleSupport}
			if err := db.CreateStaff(ctx, bdb, other, now); err != nil {
				t.Fatal(err)
			}
			// Invitations of two members: one expired, one still open.
			if err := db.CreateStaffInvite(ctx, bdb, &db.StaffInvite{StaffID: member.ID, TokenHash: []byte("old")}, now.Add(-73*time.Hour), 72*time.Hour); err != nil {
				t.Fatal(err)
			}
			if err := db.CreateStaffInvite(ctx, bdb, &db.StaffInvite{StaffID: other.ID, TokenHash: []byte("new")}, now.Add(-time.Hour), 72*time.Hour); err != nil {
				t.Fatal(err)
			}
			// Failed logins: one older than the lockout window, one within it.
			for _, at := range []time.Time{now.Add(-cfg.LockoutWindow - time.Minute), now.Add(-time.Minute)} {
				if _, err := db.RecordStaffLoginFailure(ctx, bdb, "sato@example.jp", "", at); err != nil {
					t.Fatal(err)
				}
			}
			New(bdb, slog.New(slog.NewTextHandler(io.Discard, nil)), func() time.Time { return now }, cfg).Sweep(ctx)
			if n, err := db.CountStaffLoginFailures(ctx, bdb, "sato@example.jp", now.Add(-24*time.Hour)); err != nil || n != 1 {
				t.Errorf("staff login failures left: %d (%v), want only the recent one", n, err)
			}
			var sessions []db.StaffSession
			if err := bdb.NewSelect().Model(&sessions).Scan(ctx); err != nil {
				t.Fatal(err)
			}
			if len(sessions) != 1 || string(sessions[0].IDHash) != "live" {
				t.Errorf("sessions left: %d, want only the live one", len(sessions))
			}
			var invites []db.StaffInvite
			if err := bdb.NewSelect().Model(&invites).Scan(ctx); err != nil {
				t.Fatal(err)
			}
			if len(invites) != 1 || string(invites[0].TokenHash) != "new" {
				t.Errorf("invitations left: %d, want only the open one", len(invites))
			}
		})
	}
}

// The sweep deletes reset links that can no longer be renewed and keeps
// those that still can.
func TestSweepOldResetLinks(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			bdb := dbtest.Open(t, dialect)
			cfg, err := config.Load(func(k string) string {
				return map[string]string{"SECRET_KEY": strings.Repeat("ef", 32)}[k]
			}, secret.Random)
			if err != nil {
				t.Fatal(err)
			}
			now := time.Date(2026, 12, 8, 9, 0, 0, 0, time.UTC)
			for _, l := range []struct {
				loginID string
				made    time.Time
			}{
				{"old01", now.Add(-db.ResetLinkRenewable - time.Hour)},
				{"recent01", now.Add(-db.ResetLinkRenewable + time.Hour)},
			} {
				acct := &db.Account{LoginID: l.loginID, Email: l.loginID + "@example.jp", StoreName: "テスト商店", Locale: "ja", PasswordHash: "x"}
				if err := db.CreateAccount(ctx, bdb, acct, l.made); err != nil {
					t.Fatal(err)
				}
				if _, err := db.CreateResetToken(ctx, bdb, acct.ID, []byte(l.loginID), l.made, 30*time.Minute, ""); err != nil {
					t.Fatal(err)
				}
			}
			New(bdb, slog.New(slog.NewTextHandler(io.Discard, nil)), func() time.Time { return now }, cfg).Sweep(ctx)
			for hash, kept := range map[string]bool{"old01": false, "recent01": true} {
				tok, err := db.LookupResetToken(ctx, bdb, []byte(hash))
				if err != nil {
					t.Fatal(err)
				}
				if (tok != nil) != kept {
					t.Errorf("link of %s kept = %v, want %v", hash, tok != nil, kept)
				}
			}
		})
	}
}
