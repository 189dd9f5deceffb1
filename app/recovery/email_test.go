package recovery_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"aikagi/app/intake"
	"aikagi/app/mail"
	"aikagi/app/recovery"
	"aikagi/db"
	"aikagi/db/dbtest"
)

// TestChangeEmail: the new address is the one requests match and mail
// goes to; the links mailed to the old one stop working; a notice goes to
// both addresses; the change is audited with who made it and why.
func TestChangeEmail(t *testing.T) {
	t.Parallel()
	dbtest.ForEachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		f := newFixture(t, dialect, nil)
		member := newStaff(t, f, "desk@example.test")
		acct := f.newAccount(t, "shop-001", "old@example.jp", "ja")
		token := f.issueLink(t, acct, time.Hour)
		f.deliverOne(t)

		f.clock.Advance(15 * time.Minute)
		changed, old, err := f.Recovery.ChangeEmail(ctx, acct.LoginID, "new@example.jp", member, "電話で本人確認済み")
		if err != nil {
			t.Fatalf("ChangeEmail: %v", err)
		}
		if changed.ID != acct.ID || changed.Email != "new@example.jp" || old != "old@example.jp" {
			t.Errorf("ChangeEmail = account %d at %q, old %q", changed.ID, changed.Email, old)
		}
		if got := f.account(t, acct.ID).Email; got != "new@example.jp" {
			t.Errorf("stored address %q, want the new one", got)
		}
		if got := f.linkState(t, token); got != db.TokenRevoked {
			t.Errorf("the link mailed to the old address: state %v, want revoked", got)
		}

		notices := f.deliver(t)
		if len(notices) != 2 {
			t.Fatalf("%d notices delivered, want 2: %v", len(notices), subjects(notices))
		}
		byAddr := map[string]mail.DevMessage{}
		for _, n := range notices {
			byAddr[n.To] = n
			if want := "【テスト管理サイト】登録メールアドレスが変更されました"; n.Subject != want {
				t.Errorf("notice to %s: subject %q, want %q", n.To, n.Subject, want)
			}
			for _, want := range []string{acct.LoginID, "old@example.jp", "new@example.jp", "11月25日(水)10:15(日本時間)"} {
				if !strings.Contains(n.Text, want) {
					t.Errorf("notice to %s does not say %q:\n%s", n.To, want, n.Text)
				}
			}
		}
		for addr, want := range map[string]string{
			"old@example.jp": "このアドレスには届きません",
			"new@example.jp": "このアドレスにお送りします",
		} {
			if n, ok := byAddr[addr]; !ok {
				t.Errorf("no notice to %s", addr)
			} else if !strings.Contains(n.Text, want) {
				t.Errorf("the notice to %s does not say %q:\n%s", addr, want, n.Text)
			}
		}

		events := f.events(t, db.AuditEmailChanged)
		if len(events) != 1 {
			t.Fatalf("%d email_changed events, want 1", len(events))
		}
		e := events[0]
		if e.AccountID == nil || *e.AccountID != acct.ID || e.StaffID == nil || *e.StaffID != member.StaffID || e.IP != member.IP {
			t.Errorf("audit event %+v, want the account and the member", e)
		}
		if want := "by desk@example.test, from old@example.jp to new@example.jp; reason: 電話で本人確認済み"; e.Detail != want {
			t.Errorf("audit detail %q, want %q", e.Detail, want)
		}

		if got := f.matchReset(t, acct.LoginID, "old@example.jp"); got != intake.Unmatched {
			t.Errorf("a request with the old address: outcome %q, want %q", got, intake.Unmatched)
		}
		if got := f.matchReset(t, acct.LoginID, "NEW@example.jp"); got != intake.Matched {
			t.Errorf("a request with the new address: outcome %q, want %q", got, intake.Matched)
		}
		if msg := f.deliverOne(t); msg.To != "new@example.jp" {
			t.Errorf("the reset mail went to %s, want the new address", msg.To)
		}
	})
}

// TestChangeEmailByCommand audits a change made by a command with the
// command's name; a change to the same address or of an unknown login ID
// is refused and changes nothing.
func TestChangeEmailByCommand(t *testing.T) {
	t.Parallel()
	dbtest.ForEachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		f := newFixture(t, dialect, nil)
		acct := f.newAccount(t, "shop-001", "old@example.jp", "en")
		command := db.Actor{Command: "aikagi account set-email"}

		if _, _, err := f.Recovery.ChangeEmail(ctx, acct.LoginID, "old@example.jp", command, ""); !errors.Is(err, recovery.ErrSameEmail) {
			t.Errorf("the same address: %v, want ErrSameEmail", err)
		}
		if _, _, err := f.Recovery.ChangeEmail(ctx, "shop-999", "new@example.jp", command, ""); err == nil || !strings.Contains(err.Error(), "shop-999") {
			t.Errorf("an unknown login ID: %v, want an error naming it", err)
		}
		f.wantNoMail(t)
		if n := len(f.events(t, db.AuditEmailChanged)); n != 0 {
			t.Errorf("%d email_changed events after refusals, want none", n)
		}

		if _, _, err := f.Recovery.ChangeEmail(ctx, acct.LoginID, "new@example.jp", command, ""); err != nil {
			t.Fatalf("ChangeEmail: %v", err)
		}
		events := f.events(t, db.AuditEmailChanged)
		if len(events) != 1 {
			t.Fatalf("%d email_changed events, want 1", len(events))
		}
		if e := events[0]; e.UserAgent != command.Command || e.StaffID != nil || e.Detail != "from old@example.jp to new@example.jp" {
			t.Errorf("audit event %+v, want the command and the change", e)
		}
		notices := f.deliver(t)
		if len(notices) != 2 {
			t.Fatalf("%d notices, want 2: %v", len(notices), subjects(notices))
		}
		for _, n := range notices {
			if want := "[テスト管理サイト] Your registered email address was changed"; n.Subject != want {
				t.Errorf("notice to %s: subject %q, want %q (the account's language)", n.To, n.Subject, want)
			}
		}
	})
}
