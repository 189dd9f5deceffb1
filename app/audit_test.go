package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"aikagi/db"
)

// rateLimitedRows returns the audit rows of refusals by a rate limit.
func rateLimitedRows(t *testing.T, a *App) []db.AuditEvent {
	t.Helper()
	var events []db.AuditEvent
	if err := a.db.NewSelect().Model(&events).Where("kind = ?", db.AuditRateLimited).Order("id").Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	return events
}

// TestRefusalsAggregated floods the login with one client, then with
// another, then again in the next window: each client and window takes one
// audit row that counts its refusals.
func TestRefusalsAggregated(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		// app.Test connects from 0.0.0.0; trusting it lets X-Forwarded-For
		// name the client.
		a := newTestAppEnv(t, dialect, map[string]string{"TRUSTED_PROXIES": "0.0.0.0", "LIMIT_LOGINS_PER_IP": "1/15m"})
		login := func(ip string) int {
			t.Helper()
			return postForm(t, a, "/login", url.Values{"login_id": {"nobody"}, "password": {"whatever it is"}},
				withHeader("X-Forwarded-For", ip), withHeader("User-Agent", "flood/"+ip)).Status
		}
		for i := range 6 {
			status := login("203.0.113.5")
			want := http.StatusTooManyRequests
			if i == 0 {
				want = http.StatusUnauthorized
			}
			if status != want {
				t.Fatalf("login %d: status %d, want %d", i+1, status, want)
			}
		}
		// Another address of the same IPv6 /64 is the same client.
		for _, ip := range []string{"2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2::3"} {
			login(ip)
		}
		advanceClock(a, 15*time.Minute) // the next window
		login("203.0.113.5")
		login("203.0.113.5")

		rows := rateLimitedRows(t, a)
		var got []string
		for _, r := range rows {
			got = append(got, fmt.Sprintf("%s %s %s %d", r.At.UTC().Format("15:04"), r.IP, r.UserAgent, r.Count))
		}
		want := []string{
			"01:00 203.0.113.5 flood/203.0.113.5 5",
			"01:00 2001:db8:1:2::2 flood/2001:db8:1:2::2 2",
			"01:15 203.0.113.5 flood/203.0.113.5 1",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("rate-limit audit rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		for _, r := range rows {
			if r.Detail != "logins per IP" {
				t.Errorf("detail %q, want the limit's name", r.Detail)
			}
		}
	})
}

// TestSweepDeletesOldAudit keeps the audit trail to AUDIT_RETENTION.
func TestSweepDeletesOldAudit(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		a := newTestAppEnv(t, dialect, map[string]string{"AUDIT_RETENTION": "720h"})
		record := func(loginID string) {
			t.Helper()
			if err := db.RecordAudit(ctx, a.db, &db.AuditEvent{Kind: db.AuditLoginFailed, LoginID: loginID}, a.now()); err != nil {
				t.Fatal(err)
			}
		}
		record("old01")
		advanceClock(a, 24*time.Hour)
		record("recent01")
		advanceClock(a, 30*24*time.Hour) // old01 is 31 days old, recent01 30
		a.sweeper.Sweep(ctx)
		var left []string
		for _, e := range mustListAudit(t, a) {
			left = append(left, e.LoginID)
		}
		if strings.Join(left, " ") != "recent01" {
			t.Errorf("after the sweep the trail holds %q, want only recent01", left)
		}
	})
}

func mustListAudit(t *testing.T, a *App) []db.AuditEvent {
	t.Helper()
	events, err := db.ListAudit(context.Background(), a.db, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	return events
}
