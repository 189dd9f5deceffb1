package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"aikagi/app/mail"
	"aikagi/db"
	"aikagi/db/dbtest"
)

// TestSendResetCommand is support staff sending a merchant a link that
// lasts longer than a self-service one. That the link opens the
// new-password page, and revokes older ones, is tested in package app
// (TestResetLinkSentByOperator).
func TestSendResetCommand(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		dsn := dbtest.Fresh(t, dialect)
		clock := newFakeClock(testStart)
		mailbox := mail.NewDevMailbox()
		srv := newServer(t, dsn, mailbox, clock)
		acct := newAccount(t, srv.db, "taro01", "Taro@Example.jp", "ja")

		// Flags after the login ID, and a full-width login ID, as typed.
		out, err := runCommand(t, dsn, clock.Now, AccountCommand, "send-reset", "ｔａｒｏ０１", "--ttl", "48h")
		if err != nil {
			t.Fatalf("send-reset: %v", err)
		}
		wantUntil := testStart.Add(48 * time.Hour)
		if !strings.Contains(out, "Taro@Example.jp") || !strings.Contains(out, wantUntil.Format(time.RFC3339)) {
			t.Errorf("output does not name the address and the expiry %v:\n%s", wantUntil, out)
		}
		if sent := srv.deliver(t); sent != 1 {
			t.Fatalf("the server sent %d mails, want the operator's", sent)
		}
		m := mailbox.Messages()[0]
		if m.To != "Taro@Example.jp" || !strings.Contains(m.Text, "11月27日(金)10:00(日本時間)") ||
			!strings.Contains(m.Text, "https://reset.example.test/password-resetting/reset?token=") {
			t.Errorf("operator's mail to %q does not carry a link from BASE_URL with the 48 h expiry:\n%s", m.To, m.Text)
		}
		events, _ := db.ListAudit(ctx, srv.db, "taro01", 10)
		if len(events) < 2 || events[0].Kind != db.AuditMailSent || events[1].Kind != db.AuditResetByOperator ||
			*events[1].AccountID != acct.ID || !strings.Contains(events[1].Detail, "48h") {
			t.Errorf("audit = %+v, want the operator's reset then its mail", events)
		}

		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"send-reset"}, "LOGIN_ID"},
			{[]string{"send-reset", "nobody"}, "no account"},
			{[]string{"send-reset", "taro01", "--ttl", "30s"}, "--ttl"},
			{[]string{"send-reset", "taro01", "--ttl", "200h"}, "--ttl"},
			{[]string{"send-reset", "taro01", "jiro01"}, "one LOGIN_ID"},
		} {
			if _, err := runCommand(t, dsn, clock.Now, AccountCommand, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%q: err = %v, want one about %s", tc.args, err, tc.want)
			}
		}
		if n := countRows(t, srv.db, "outbox"); n != 1 {
			t.Errorf("%d mails queued, want only the first command's", n)
		}
	})
}

// TestSendResetNeedsTheServersSettings checks that the command refuses to
// queue mail the server could not open (without its SECRET_KEY) or whose
// link would point at this machine's default address (without BASE_URL).
func TestSendResetNeedsTheServersSettings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"no BASE_URL", map[string]string{"SECRET_KEY": testSecretHex}, "BASE_URL"},
		{"no SECRET_KEY", map[string]string{"BASE_URL": "https://reset.example.test"}, "SECRET_KEY"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dsn := dbtest.Fresh(t, "sqlite")
			bdb := dbtest.OpenDSN(t, dsn)
			newAccount(t, bdb, "taro01", "taro@example.jp", "ja")
			tc.env["DATABASE_URL"] = dsn
			if _, err := runWith(t, tc.env, nil, "", AccountCommand, "send-reset", "taro01"); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one asking for %s", err, tc.want)
			}
			if n := countRows(t, bdb, "outbox"); n != 0 {
				t.Errorf("%d mails queued", n)
			}
		})
	}
}
