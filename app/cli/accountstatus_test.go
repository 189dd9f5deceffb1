package cli

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"aikagi/db"
)

// A disabled account loses its links and sessions, cannot log in and gets
// no mail, while step 3 answers exactly as for anyone; enabled again, it
// logs in; deleted, it is gone and the trail says so.
func TestDisableEnableDeleteAccount(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect string) {
		a := newTestApp(t, dialect)
		ctx := context.Background()
		const password = "status test passphrase"
		acct := newAccountWithPassword(t, a, "status01", "status01@example.jp", "ja", password)
		issueToken(t, a, acct)
		if res := loginAs(t, newFakeBrowser(a), "status01", password); res.Status != http.StatusSeeOther {
			t.Fatalf("login before: status %d", res.Status)
		}
		unmatched := requestResetFlow(t, a, "nobody01", "nobody@example.jp")

		if err := changeAccountStatus(ctx, a.db, "status01", actionDisable, "cli: fraud report", a.now()); err != nil {
			t.Fatalf("disable: %v", err)
		}
		if n := countRows(t, a.db, "sessions"); n != 0 {
			t.Errorf("%d sessions left after disabling", n)
		}
		var live int
		live, _ = a.db.NewSelect().Table("reset_tokens").Where("revoked_at IS NULL").Count(ctx)
		if live != 0 {
			t.Errorf("%d links still valid after disabling", live)
		}
		if res := loginAs(t, newFakeBrowser(a), "status01", password); res.Status != http.StatusUnauthorized {
			t.Errorf("login while disabled: status %d, want 401", res.Status)
		}
		mailsBefore := countRows(t, a.db, "outbox")
		disabled := requestResetFlow(t, a, "status01", "status01@example.jp")
		if withoutNonces(string(disabled.Body)) != withoutNonces(string(unmatched.Body)) {
			t.Error("step 3 for a disabled account differs from one for no account")
		}
		postForm(t, a, reminderSend, url.Values{"state": {reminderState(t, a, "status01@example.jp")}})
		if n := countRows(t, a.db, "outbox"); n != mailsBefore {
			t.Errorf("%d mails queued for a disabled account", n-mailsBefore)
		}
		kinds := auditKinds(t, a.db)
		for _, want := range []string{db.AuditAccountDisabled, db.AuditResetDisabled, db.AuditReminderDisabled} {
			if !slices.Contains(kinds, want) {
				t.Errorf("audit lacks %s: %v", want, kinds)
			}
		}

		if err := changeAccountStatus(ctx, a.db, "status01", actionEnable, "cli: cleared", a.now()); err != nil {
			t.Fatalf("enable: %v", err)
		}
		if res := loginAs(t, newFakeBrowser(a), "status01", password); res.Status != http.StatusSeeOther {
			t.Errorf("login after enabling: status %d", res.Status)
		}
		if err := changeAccountStatus(ctx, a.db, "status01", actionDelete, "cli: shop closed", a.now()); err != nil {
			t.Fatalf("delete: %v", err)
		}
		if got, _ := db.FindAccountByLoginID(ctx, a.db, "status01"); got != nil {
			t.Error("the account is still there after delete")
		}
		events := auditEvents(t, a.db)
		last := events[len(events)-1]
		if last.Kind != db.AuditAccountDeleted || last.LoginID != "status01" || last.Detail != "cli: shop closed" {
			t.Errorf("last audit event = %+v, want the deletion with its reason", last)
		}
	})
}

func TestAccountStatusCommand(t *testing.T) {
	c := newCLIDB(t)
	if _, err := c.run(t, "a long enough passphrase\n", "create", "--login-id", "cmd01", "--email", "cmd01@example.jp", "--store", "店", "--password-stdin"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"disable", "cmd01"}, "--reason"},
		{[]string{"disable", "nobody01", "--reason", "x"}, "no account"},
		{[]string{"enable", "cmd01", "--reason", "x"}, "not disabled"},
	} {
		if _, err := c.run(t, "", tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("account %v: %v, want an error about %q", tc.args, err, tc.want)
		}
	}
	out, err := c.run(t, "", "disable", "cmd01", "--reason", "lost phone")
	if err != nil || !strings.Contains(out, "cmd01: disabled") {
		t.Fatalf("disable: %q, %v", out, err)
	}
	if list, _ := c.run(t, "", "list"); !strings.Contains(list, "disabled since") {
		t.Errorf("account list does not show the account as disabled:\n%s", list)
	}
	if _, err := runCommand(t, "sqlite:"+c.path, nil, AccountCommand, "send-reset", "cmd01"); err == nil || !strings.Contains(err.Error(), "disabled") {
		t.Errorf("send-reset to a disabled account: %v", err)
	}
}
