package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"aikagi/db"
	"aikagi/db/dbtest"
)

func TestAccountHistory(t *testing.T) {
	forEachDialect(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		acct := createAccount(t, bdb, "tl01", "tl@example.jp")
		other := createAccount(t, bdb, "tl02", "tl2@example.jp")
		member := &db.Staff{Email: "sato@example.jp", Role: db.RoleSupport, PasswordHash: "x"}
		if err := db.CreateStaff(ctx, bdb, member, t0); err != nil {
			t.Fatal(err)
		}
		at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(db.RecordAudit(ctx, bdb, &db.AuditEvent{Kind: db.AuditLoginFailed, AccountID: &acct.ID, IP: "192.0.2.1"}, at(1)))
		must(db.RecordAudit(ctx, bdb, &db.AuditEvent{Kind: db.AuditResetByOperator, AccountID: &acct.ID, StaffID: &member.ID, Detail: "called"}, at(2)))
		must(db.RecordAudit(ctx, bdb, &db.AuditEvent{Kind: db.AuditLoginFailed, AccountID: &other.ID}, at(3)))
		tok, err := db.CreateResetToken(ctx, bdb, acct.ID, hash("tl"), at(2), 30*time.Minute, "192.0.2.1")
		must(err)
		_, _, err = db.ConsumeResetToken(ctx, bdb, tok.TokenHash, at(5))
		must(err)
		must(db.EnqueueMail(ctx, bdb, &db.OutboxMail{ID: "m1", Kind: "reset", AccountID: &acct.ID, ToAddr: acct.Email}, at(2)))
		claimed, err := db.ClaimMail(ctx, bdb, at(2), time.Minute, 10, dbtest.BatchID())
		must(err)
		if ok, err := db.MarkMailSent(ctx, bdb, "m1", claimed[0].Attempts, "prov-1", at(3)); !ok || err != nil {
			t.Fatalf("sent: %v %v", ok, err)
		}
		_, _, err = db.RecordDeliveryEvent(ctx, bdb, db.MessageRef{ProviderID: "prov-1"}, db.DeliveryBounced, "mailbox full", at(4))
		must(err)

		entries, _, err := db.AccountHistory(ctx, bdb, acct.ID, at(10), 0, 50)
		must(err)
		var whats []string
		for i, e := range entries {
			whats = append(whats, e.What)
			if i > 0 && e.At.After(entries[i-1].At) {
				t.Errorf("not newest first: %v", whats)
			}
			if e.What == string(db.AuditResetByOperator) && e.Staff != "sato@example.jp" {
				t.Errorf("staff action without its member: %+v", e)
			}
		}
		for _, want := range []string{"link_used", "mail_bounced", "mail_queued", "link_issued", string(db.AuditResetByOperator), string(db.AuditLoginFailed)} {
			if !containsString(whats, want) {
				t.Errorf("no %s in %v", want, whats)
			}
		}
		if len(entries) != 7 {
			t.Errorf("%d entries (another account's leaked in?): %v", len(entries), whats)
		}
		if entries, _, _ := db.AccountHistory(ctx, bdb, acct.ID, at(10), 0, 3); len(entries) != 3 || entries[0].What != "link_used" {
			t.Errorf("bounded to 3: %+v", entries)
		}
		h, err := db.AddressHealth(ctx, bdb, acct.ID, acct.Email)
		must(err)
		if h.LastBounced == nil || !h.LastBounced.Equal(at(4)) || h.LastDelivered != nil {
			t.Errorf("health %+v", h)
		}
	})
}

func TestLoginPausedUntil(t *testing.T) {
	forEachDialect(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		for m := range 3 {
			if _, err := db.RecordLoginFailure(ctx, bdb, "p01", "", t0.Add(time.Duration(m)*time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		now := t0.Add(5 * time.Minute)
		if until, _ := db.LoginPausedUntil(ctx, bdb, "p01", now, 4, 15*time.Minute); until != nil {
			t.Errorf("paused under the threshold until %v", until)
		}
		until, err := db.LoginPausedUntil(ctx, bdb, "p01", now, 2, 15*time.Minute)
		if err != nil || until == nil || !until.Equal(t0.Add(16*time.Minute)) {
			t.Errorf("paused until %v, %v; want %v", until, err, t0.Add(16*time.Minute))
		}
	})
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// A link's life shows in the timeline: issued, opened, then used, revoked
// (replaced) or expired unused; an unexpired, unused link has no end yet.
func TestTimelineLinkLife(t *testing.T) {
	forEachDialect(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		acct := createAccount(t, bdb, "life01", "life@example.jp")
		at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
		first, err := db.CreateResetToken(ctx, bdb, acct.ID, hash("life-1"), at(0), 30*time.Minute, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range []int{3, 4} { // a second opening changes nothing
			if err := db.MarkResetTokenOpened(ctx, bdb, first.ID, at(m)); err != nil {
				t.Fatal(err)
			}
		}
		whats := func(now time.Time) map[string]time.Time {
			entries, _, err := db.AccountHistory(ctx, bdb, acct.ID, now, 0, 50)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]time.Time{}
			for _, e := range entries {
				got[e.What] = e.At
			}
			return got
		}
		got := whats(at(10))
		if !got["link_opened"].Equal(at(3)) {
			t.Errorf("opened at %v, want %v", got["link_opened"], at(3))
		}
		if _, ended := got["link_expired"]; ended {
			t.Errorf("an unexpired link shows as expired: %v", got)
		}
		if got := whats(at(40)); !got["link_expired"].Equal(at(30)) {
			t.Errorf("expired at %v, want %v", got["link_expired"], at(30))
		}
		// A newer link replaces it: revoked, not expired.
		if _, err := db.CreateResetToken(ctx, bdb, acct.ID, hash("life-2"), at(20), 30*time.Minute, ""); err != nil {
			t.Fatal(err)
		}
		got = whats(at(40))
		if !got["link_revoked"].Equal(at(20)) {
			t.Errorf("replaced link: %v", got)
		}
		if _, ended := got["link_expired"]; ended {
			t.Errorf("a replaced link shows as expired too: %v", got)
		}
	})
}
