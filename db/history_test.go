package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"aikagi/db"
)

// Fifty failed logins between a password change and a request are one
// entry of the history: the first page keeps both.
func TestAccountHistoryCollapsesLoginFailures(t *testing.T) {
	forEachDialect(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		acct := createAccount(t, bdb, "hist01", "hist@example.jp")
		at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(db.RecordAudit(ctx, bdb, &db.AuditEvent{Kind: db.AuditPasswordChanged, AccountID: &acct.ID}, at(0)))
		for i := range 50 {
			ip := "192.0.2.1"
			if i%2 == 1 {
				ip = "192.0.2.2"
			}
			must(db.RecordAudit(ctx, bdb, &db.AuditEvent{Kind: db.AuditLoginFailed, AccountID: &acct.ID, IP: ip}, at(10+i)))
		}
		must(db.RecordAudit(ctx, bdb, &db.AuditEvent{Kind: db.AuditResetRequested, AccountID: &acct.ID}, at(100)))
		must(db.RecordAudit(ctx, bdb, &db.AuditEvent{Kind: db.AuditLoginFailed, AccountID: &acct.ID, IP: "192.0.2.3"}, at(200)))

		entries, more, err := db.AccountHistory(ctx, bdb, acct.ID, at(300), 0, 3)
		must(err)
		if len(entries) != 3 || !more {
			t.Fatalf("history %+v, more %v", entries, more)
		}
		want := []struct {
			what  string
			count int
		}{{"login_failed", 1}, {"reset_requested", 1}, {"login_failed", 50}}
		for i, w := range want {
			if e := entries[i]; e.What != w.what || e.Count != w.count {
				t.Errorf("entry %d: %s ×%d, want %s ×%d", i, e.What, e.Count, w.what, w.count)
			}
		}
		if run := entries[2]; !run.Since.Equal(at(10)) || !run.At.Equal(at(59)) || run.IPs != 2 || run.IP != "" {
			t.Errorf("the run: since %v at %v, %d addresses (%q)", run.Since, run.At, run.IPs, run.IP)
		}
		if entries[0].IP != "192.0.2.3" {
			t.Errorf("a lone failure's address: %q", entries[0].IP)
		}
		page, more, err := db.AccountHistory(ctx, bdb, acct.ID, at(300), 2, 2)
		must(err)
		if len(page) != 2 || more || page[1].What != "password_changed" {
			t.Errorf("second page %+v, more %v", page, more)
		}
		if _, more, _ := db.AccountHistory(ctx, bdb, acct.ID, at(300), 0, 2); !more {
			t.Error("a first page of two does not say more follow")
		}
	})
}

// The latest request with its link and mail; an unmatched request that
// named the login ID counts when it is newer.
func TestLatestRequest(t *testing.T) {
	forEachDialect(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		acct := createAccount(t, bdb, "latest01", "latest@example.jp")
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		if r, err := db.LatestRequest(ctx, bdb, acct.ID, acct.LoginID, nil); r != nil || err != nil {
			t.Fatalf("no request yet: %+v %v", r, err)
		}
		// An older link by support, then the merchant's request, audited at
		// the time it was made and matched by the intake worker two minutes
		// later.
		older, err := db.CreateResetToken(ctx, bdb, acct.ID, hash("older"), t0.Add(-time.Hour), 30*time.Minute, "")
		must(err)
		must(db.RecordAudit(ctx, bdb, &db.AuditEvent{Kind: db.AuditResetByOperator, AccountID: &acct.ID}, t0.Add(-time.Hour)))
		r, err := db.LatestRequest(ctx, bdb, acct.ID, acct.LoginID, nil)
		must(err)
		if r == nil || r.Kind != db.AuditResetByOperator || r.Link == nil || r.Link.ID != older.ID {
			t.Fatalf("support's link: %+v", r)
		}
		tok, err := db.CreateResetToken(ctx, bdb, acct.ID, hash("latest"), t0.Add(2*time.Minute), 30*time.Minute, "")
		must(err)
		must(db.EnqueueMail(ctx, bdb, &db.OutboxMail{ID: "lm1", Kind: "reset_link", AccountID: &acct.ID, ToAddr: acct.Email, ExpiresAt: &tok.ExpiresAt}, t0.Add(2*time.Minute)))
		must(db.RecordAudit(ctx, bdb, &db.AuditEvent{Kind: db.AuditResetRequested, AccountID: &acct.ID}, t0))
		r, err = db.LatestRequest(ctx, bdb, acct.ID, acct.LoginID, nil)
		must(err)
		if r == nil || r.Kind != db.AuditResetRequested || r.Link == nil || r.Link.ID != tok.ID || r.Mail == nil || r.Mail.ID != "lm1" {
			t.Fatalf("latest request %+v", r)
		}
		must(db.RecordAudit(ctx, bdb, &db.AuditEvent{Kind: db.AuditResetUnmatched, LoginID: acct.LoginID}, t0.Add(3*time.Minute)))
		r, err = db.LatestRequest(ctx, bdb, acct.ID, acct.LoginID, nil)
		must(err)
		if r == nil || r.Kind != db.AuditResetUnmatched || r.Shared != db.SameLoginID || r.Mail != nil {
			t.Fatalf("latest request after an unmatched one %+v", r)
		}
	})
}
