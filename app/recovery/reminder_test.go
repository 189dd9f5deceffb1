package recovery_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"aikagi/app/intake"
	"aikagi/app/limit"
	"aikagi/app/route"
	"aikagi/db"
	"aikagi/db/dbtest"
)

// TestMatchReminderListsEveryActiveLoginID: one mail to the address, in
// the language of its oldest account, naming every login ID that can log
// in and none that cannot, whatever the case of the typed address.
func TestMatchReminderListsEveryActiveLoginID(t *testing.T) {
	t.Parallel()
	dbtest.ForEachDialect(t, func(t *testing.T, dialect string) {
		f := newFixture(t, dialect, nil)
		first := f.newAccount(t, "shop-001", "Taro@Example.jp", "en")
		second := f.newAccount(t, "shop-002", "taro@example.jp", "ja")
		closed := f.newAccount(t, "shop-003", "taro@example.jp", "ja")
		f.disable(t, closed)
		f.newAccount(t, "shop-004", "hanako@example.jp", "ja")

		if got := f.matchReminder(t, "TARO@example.JP"); got != intake.Matched {
			t.Fatalf("outcome %q, want %q", got, intake.Matched)
		}
		msg := f.deliverOne(t)
		if msg.To != first.Email {
			t.Errorf("mail to %q, want the oldest account's address %q", msg.To, first.Email)
		}
		if want := "[テスト管理サイト] Your login ID"; msg.Subject != want {
			t.Errorf("subject %q, want %q (the oldest account's language)", msg.Subject, want)
		}
		for _, want := range []string{first.LoginID, first.StoreName, second.LoginID, second.StoreName,
			baseURL + route.Login + "?lang=en", baseURL + route.Request + "?lang=en"} {
			if !strings.Contains(msg.Text, want) || !strings.Contains(msg.HTML, want) {
				t.Errorf("the mail lacks %q in one of its parts:\n%s", want, msg.Text)
			}
		}
		for _, unwanted := range []string{closed.LoginID, "shop-004"} {
			if strings.Contains(msg.Text, unwanted) || strings.Contains(msg.HTML, unwanted) {
				t.Errorf("the mail names %s", unwanted)
			}
		}

		events := f.events(t, db.AuditReminderRequested)
		if len(events) != 1 {
			t.Fatalf("%d login_id_reminder_requested events, want 1", len(events))
		}
		if e := events[0]; e.AccountID == nil || *e.AccountID != first.ID || e.LoginID != first.LoginID ||
			e.Detail != "shop-001 shop-002" || e.IP != client.IP || e.UserAgent != client.UserAgent {
			t.Errorf("audit event %+v, want the first account, the IDs mailed and the client", e)
		}
		if n := f.count(t, "reset_tokens"); n != 0 {
			t.Errorf("a reminder stored %d reset links", n)
		}
	})
}

// TestMatchReminderWithoutAnActiveAccountSendsNothing: an address of no
// account, or only of disabled ones, gets no mail; each is audited with
// its own kind, the address masked.
func TestMatchReminderWithoutAnActiveAccountSendsNothing(t *testing.T) {
	t.Parallel()
	dbtest.ForEachDialect(t, func(t *testing.T, dialect string) {
		f := newFixture(t, dialect, nil)
		for _, id := range []string{"shop-001", "shop-002"} {
			f.disable(t, f.newAccount(t, id, "closed@example.jp", "ja"))
		}
		tests := []struct {
			addr    string
			outcome intake.Outcome
			kind    db.AuditKind
			tagged  bool
		}{
			{"stranger@example.jp", intake.Unmatched, db.AuditReminderUnmatched, true},
			{"closed@example.jp", intake.Disabled, db.AuditReminderDisabled, false},
		}
		for _, tc := range tests {
			if got := f.matchReminder(t, tc.addr); got != tc.outcome {
				t.Errorf("%s: outcome %q, want %q", tc.addr, got, tc.outcome)
			}
			e := f.lastEvent(t)
			if e.Kind != tc.kind || e.AccountID != nil || e.Detail != db.MaskAddress(tc.addr) || e.IP != client.IP {
				t.Errorf("%s: audit event %+v, want %s with the address masked", tc.addr, e, tc.kind)
			}
			if tagged := bytes.Equal(e.AddrTag, f.Recovery.AddressTag(tc.addr)); tagged != tc.tagged {
				t.Errorf("%s: address tagged %v, want %v", tc.addr, tagged, tc.tagged)
			}
		}
		f.wantNoMail(t)
	})
}

// TestMatchReminderPerAddressLimit: past LIMIT_MAILS_PER_ACCOUNT an address
// gets no more reminders, however its case is typed, until the window
// passes; another address is not held back.
func TestMatchReminderPerAddressLimit(t *testing.T) {
	t.Parallel()
	dbtest.ForEachDialect(t, func(t *testing.T, dialect string) {
		f := newFixture(t, dialect, map[string]string{"LIMIT_MAILS_PER_ACCOUNT": "2/1h"})
		f.newAccount(t, "shop-001", "taro@example.jp", "ja")
		f.newAccount(t, "shop-002", "hanako@example.jp", "ja")

		for i, tc := range []struct {
			addr string
			want intake.Outcome
		}{
			{"taro@example.jp", intake.Matched},
			{"Taro@Example.jp", intake.Matched},
			{"TARO@EXAMPLE.JP", intake.Limited},
		} {
			if got := f.matchReminder(t, tc.addr); got != tc.want {
				t.Fatalf("request %d (%s): outcome %q, want %q", i+1, tc.addr, got, tc.want)
			}
		}
		if msgs := f.deliver(t); len(msgs) != 2 {
			t.Errorf("%d reminders delivered, want 2: %v", len(msgs), subjects(msgs))
		}
		limited := f.events(t, db.AuditReminderLimited)
		if len(limited) != 1 || !strings.HasPrefix(limited[0].Detail, string(limit.MailsPerRecipient)+": shop-001") {
			t.Errorf("login_id_reminder_limited events %+v, want one naming the limit and the login ID", limited)
		}

		if got := f.matchReminder(t, "hanako@example.jp"); got != intake.Matched {
			t.Errorf("another address: outcome %q, want %q", got, intake.Matched)
		}
		if msg := f.deliverOne(t); msg.To != "hanako@example.jp" {
			t.Errorf("reminder to %s, want hanako@example.jp", msg.To)
		}
		f.clock.Advance(time.Hour)
		if got := f.matchReminder(t, "taro@example.jp"); got != intake.Matched {
			t.Errorf("after the window: outcome %q, want %q", got, intake.Matched)
		}
		if msg := f.deliverOne(t); msg.To != "taro@example.jp" {
			t.Errorf("reminder to %s, want taro@example.jp", msg.To)
		}
	})
}
