package cli

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"aikagi/app/mail"
	"aikagi/db"
	"aikagi/db/dbtest"
)

// runCommand runs an operator command against the database at dsn with the
// test settings, on the clock now, and returns what it printed.
func runCommand(t *testing.T, dsn string, now func() time.Time, cmd func(context.Context, Env, []string) error, args ...string) (string, error) {
	t.Helper()
	env := testEnv()
	env["DATABASE_URL"] = dsn
	var stdout, stderr bytes.Buffer
	err := cmd(context.Background(), Env{Getenv: getenvFrom(env), Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Now: now}, args)
	return stdout.String(), err
}

// lineWith returns the line of out that contains s.
func lineWith(t *testing.T, out, s string) string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, s) {
			return line
		}
	}
	t.Fatalf("no line with %q in:\n%s", s, out)
	return ""
}

// TestSendResetCommand is support staff sending a merchant a link that
// lasts longer than a self-service one.
func TestSendResetCommand(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		dsn := dbtest.Fresh(t, dialect)
		a := newTestAppOn(t, dsn, nil)
		acct := newAccount(t, a, "taro01", "Taro@Example.jp", "ja")
		requestResetFlow(t, a, "taro01", "taro@example.jp")
		if _, err := a.outbox.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		selfService := resetMailURL(t, a.mailbox.Messages()[0].Text)

		// Flags after the login ID, and a full-width login ID, as typed.
		out, err := runCommand(t, dsn, a.now, AccountCommand, "send-reset", "ｔａｒｏ０１", "--ttl", "48h")
		if err != nil {
			t.Fatalf("send-reset: %v", err)
		}
		wantUntil := testStart.Add(48 * time.Hour)
		if !strings.Contains(out, "Taro@Example.jp") || !strings.Contains(out, wantUntil.Format(time.RFC3339)) {
			t.Errorf("output does not name the address and the expiry %v:\n%s", wantUntil, out)
		}
		if sent, err := a.outbox.DeliverDue(ctx); err != nil || sent != 1 {
			t.Fatalf("deliverDue = %d, %v", sent, err)
		}
		mail := a.mailbox.Messages()[0]
		if mail.To != "Taro@Example.jp" || !strings.Contains(mail.Text, "2026年11月27日 10:00(日本時間)") {
			t.Errorf("operator's mail to %q does not carry the 48 h expiry:\n%s", mail.To, mail.Text)
		}
		events, _ := db.ListAudit(ctx, a.db, "taro01", 10)
		if len(events) == 0 || events[0].Kind != db.AuditMailSent || events[1].Kind != db.AuditResetByOperator ||
			*events[1].AccountID != acct.ID || !strings.Contains(events[1].Detail, "48h") {
			t.Errorf("audit = %+v, want the operator's reset then its mail", events)
		}

		link := resetMailURL(t, mail.Text)
		advanceClock(a, 47*time.Hour) // long after a self-service link would have expired
		if res := get(t, a, link.RequestURI()); res.Status != http.StatusSeeOther {
			t.Errorf("the operator's link after 47 h answers %d, want valid", res.Status)
		}
		if res := get(t, a, selfService.RequestURI()); res.Status != http.StatusGone {
			t.Errorf("the older self-service link answers %d, want revoked", res.Status)
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
			if _, err := runCommand(t, dsn, a.now, AccountCommand, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%q: err = %v, want one about %s", tc.args, err, tc.want)
			}
		}
	})
}

// Without an explicit BASE_URL the link would point at this machine's
// default address: the command refuses.
func TestSendResetNeedsBaseURL(t *testing.T) {
	t.Parallel()
	dsn := dbtest.Fresh(t, "sqlite")
	a := newTestAppOn(t, dsn, nil)
	newAccount(t, a, "taro01", "taro@example.jp", "ja")
	var stdout bytes.Buffer
	err := AccountCommand(context.Background(), Env{
		Getenv: getenvFrom(map[string]string{"DATABASE_URL": dsn, "SECRET_KEY": testSecretHex}), Stdout: &stdout, Stderr: &stdout,
	}, []string{"send-reset", "taro01"})
	if err == nil || !strings.Contains(err.Error(), "BASE_URL") {
		t.Errorf("err = %v, want one asking for BASE_URL", err)
	}
	if n := countRows(t, a.db, "outbox"); n != 0 {
		t.Errorf("%d mails queued", n)
	}
}

// TestSendResetNeedsTheServersKey checks that the command refuses to seal
// mail with a key the server does not have.
func TestSendResetNeedsTheServersKey(t *testing.T) {
	t.Parallel()
	dsn := dbtest.Fresh(t, "sqlite")
	a := newTestAppOn(t, dsn, nil)
	newAccount(t, a, "taro01", "taro@example.jp", "ja")
	var stdout bytes.Buffer
	err := AccountCommand(context.Background(), Env{
		Getenv: getenvFrom(map[string]string{"DATABASE_URL": dsn}), Stdout: &stdout, Stderr: &stdout,
	}, []string{"send-reset", "taro01"})
	if err == nil || !strings.Contains(err.Error(), "SECRET_KEY") {
		t.Errorf("err = %v, want one asking for SECRET_KEY", err)
	}
	if n := countRows(t, a.db, "outbox"); n != 0 {
		t.Errorf("%d mails queued", n)
	}
}

// TestOutboxCommands lists mail in every state and retries a dead one.
func TestOutboxCommands(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		dsn := dbtest.Fresh(t, dialect)
		fake := newFakeResend(t)
		clock := newFakeClock(testStart)
		a := newResendApp(t, dsn, fake, clock, 0, nil)
		acct := newAccount(t, a, "taro01", "taro@example.jp", "ja")
		run := func(args ...string) (string, error) {
			t.Helper()
			return runCommand(t, dsn, clock.Now, OutboxCommand, args...)
		}

		// A notice Resend refuses: dead.
		refused := queueNotices(t, a, acct, 1)[0]
		fake.fail(fakeFault{Status: 422, Name: "validation_error"})
		a.outbox.DeliverDue(ctx)
		// A reset link that goes out and bounces.
		clock.Advance(time.Minute)
		if _, _, err := a.recovery.SendResetByOperator(ctx, "taro01", 24*time.Hour); err != nil {
			t.Fatal(err)
		}
		a.outbox.DeliverDue(ctx)
		bounced, _ := db.ListOutbox(ctx, a.db, db.OutboxFilter{Status: db.OutboxSent})
		if len(bounced) != 1 {
			t.Fatalf("sent rows = %+v", bounced)
		}
		if row, _, err := db.RecordDeliveryEvent(ctx, a.db, db.MessageRef{ProviderID: bounced[0].ProviderID}, db.DeliveryBounced, "Permanent/General: no such mailbox", clock.Now()); err != nil || row == nil {
			t.Fatal(row, err)
		}
		// A notice still waiting.
		clock.Advance(time.Minute)
		waiting := queueNotices(t, a, acct, 1)[0]

		out, err := run("list")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(out, "CREATED") || strings.Count(strings.TrimSpace(out), "\n") != 3 {
			t.Fatalf("outbox list:\n%s", out)
		}
		if line := lineWith(t, out, refused); !strings.Contains(line, "dead") || !strings.Contains(line, "HTTP 422 validation_error") || !strings.Contains(line, "taro01") {
			t.Errorf("dead row: %s", line)
		}
		if line := lineWith(t, out, bounced[0].ID); !strings.Contains(line, "sent") || !strings.Contains(line, "bounced") || !strings.Contains(line, "no such mailbox") || !strings.Contains(line, string(mail.KindReset)) {
			t.Errorf("bounced row: %s", line)
		}
		if line := lineWith(t, out, waiting); !strings.Contains(line, "pending") || !strings.Contains(line, clock.Now().UTC().Format(time.RFC3339)) {
			t.Errorf("waiting row: %s", line)
		}
		for _, tc := range []struct {
			args []string
			want []string
		}{
			{[]string{"list", "--status", "dead"}, []string{refused}},
			{[]string{"list", "--event", "bounced"}, []string{bounced[0].ID}},
			{[]string{"list", "--problems"}, []string{bounced[0].ID, refused}},
			{[]string{"list", "--limit", "1"}, []string{waiting}},
		} {
			out, err := run(tc.args...)
			if err != nil {
				t.Fatalf("%q: %v", tc.args, err)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")[1:]
			if len(lines) != len(tc.want) {
				t.Errorf("%q lists %d rows, want %d:\n%s", tc.args, len(lines), len(tc.want), out)
				continue
			}
			for i, id := range tc.want {
				if !strings.Contains(lines[i], id) {
					t.Errorf("%q row %d: %s, want %s", tc.args, i, lines[i], id)
				}
			}
		}
		if _, err := run("list", "--status", "lost"); err == nil {
			t.Error("an unknown status was accepted")
		}

		// Retry the dead notice: the same message under the same key.
		out, err = run("retry", refused)
		if err != nil || !strings.Contains(out, "queued again") {
			t.Fatalf("retry: %q, %v", out, err)
		}
		if row := outboxRow(t, a, refused); row.Status != db.OutboxPending || row.Attempts != 0 || row.DeadAt != nil {
			t.Errorf("after retry: %s, %d attempts", row.Status, row.Attempts)
		}
		if sent, err := a.outbox.DeliverDue(ctx); err != nil || sent != 2 {
			t.Fatalf("deliverDue after retry = %d, %v; want the retried and the waiting notice", sent, err)
		}
		if fake.deliveries()[refused] != 1 || fake.requestsFor(refused) != 2 {
			t.Errorf("retried notice: delivered %d, requested %d; want once, on the second request with its key", fake.deliveries()[refused], fake.requestsFor(refused))
		}
		if n := countWhere(t, a, "audit_events", "kind", db.AuditMailRetried); n != 1 {
			t.Errorf("%d mail_retried audit events, want 1", n)
		}

		// What cannot be retried says what to do instead.
		for _, tc := range []struct {
			id, want string
		}{
			{bounced[0].ID, "account send-reset taro01"},
			{refused, "was sent at"},
			{"no-such-id", "no mail"},
		} {
			if _, err := run("retry", tc.id); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("retry %s: err = %v, want %q", tc.id, err, tc.want)
			}
		}
		if _, err := run("retry"); err == nil {
			t.Error("retry without an ID was accepted")
		}
	})
}

// TestDeadMailKeepsItsPayloadForAWhile checks how long "outbox retry" can
// send a dead mail again: a reset mail until its link expires, any other
// until mail.Retention has passed; the sweep then drops the sealed payload.
func TestDeadMailKeepsItsPayloadForAWhile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := dbtest.Fresh(t, "sqlite")
	fake := newFakeResend(t)
	clock := newFakeClock(testStart)
	a := newResendApp(t, dsn, fake, clock, 0, nil)
	acct := newAccount(t, a, "taro01", "taro@example.jp", "ja")
	notices := queueNotices(t, a, acct, 2)
	notice, late := notices[0], notices[1]
	if _, _, err := a.recovery.SendResetByOperator(ctx, "taro01", time.Hour); err != nil {
		t.Fatal(err)
	}
	fake.fail(fakeFault{Status: 403}, fakeFault{Status: 403}, fakeFault{Status: 403})
	a.outbox.DeliverDue(ctx)
	rows, _ := db.ListOutbox(ctx, a.db, db.OutboxFilter{Status: db.OutboxDead})
	if len(rows) != 3 {
		t.Fatalf("dead rows = %+v", rows)
	}
	var reset string
	for _, r := range rows {
		if r.Kind == string(mail.KindReset) {
			reset = r.ID
		}
	}

	// After the link expired: the reset mail cannot be retried, the notice can.
	clock.Advance(time.Hour)
	a.sweep(ctx)
	if outboxRow(t, a, reset).Payload != nil || outboxRow(t, a, notice).Payload == nil {
		t.Error("the sweep should drop the expired reset mail's payload and keep the notice's")
	}
	if _, err := runCommand(t, dsn, clock.Now, OutboxCommand, "retry", reset); err == nil || !strings.Contains(err.Error(), "expired") || !strings.Contains(err.Error(), "send-reset taro01") {
		t.Errorf("retry of an expired reset mail: %v", err)
	}

	// Two days on, a retry still works, with a word about Resend's memory.
	clock.Advance(48 * time.Hour)
	out, err := runCommand(t, dsn, clock.Now, OutboxCommand, "retry", late)
	if err != nil || !strings.Contains(out, "Resend forgets idempotency keys") {
		t.Errorf("retry after two days: %q, %v", out, err)
	}

	// After the retention: the notice's payload is gone too.
	clock.Advance(mail.Retention)
	a.sweep(ctx)
	if outboxRow(t, a, notice).Payload != nil {
		t.Error("the notice's payload outlived the retention")
	}
	if _, err := runCommand(t, dsn, clock.Now, OutboxCommand, "retry", notice); err == nil || !strings.Contains(err.Error(), "dropped") {
		t.Errorf("retry after the retention: %v", err)
	}
}

// A dead reset mail whose link a newer one has replaced is not sent again:
// the merchant would only get a dead link.
func TestRetryRefusesASupersededResetMail(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := dbtest.Fresh(t, "sqlite")
	fake := newFakeResend(t)
	clock := newFakeClock(testStart)
	a := newResendApp(t, dsn, fake, clock, 0, nil)
	newAccount(t, a, "taro01", "taro@example.jp", "ja")
	if _, _, err := a.recovery.SendResetByOperator(ctx, "taro01", time.Hour); err != nil {
		t.Fatal(err)
	}
	fake.fail(fakeFault{Status: 403})
	a.outbox.DeliverDue(ctx)
	rows, _ := db.ListOutbox(ctx, a.db, db.OutboxFilter{Status: db.OutboxDead})
	if len(rows) != 1 {
		t.Fatalf("dead rows = %+v", rows)
	}
	clock.Advance(2 * time.Second)
	if _, _, err := a.recovery.SendResetByOperator(ctx, "taro01", time.Hour); err != nil {
		t.Fatal(err)
	}
	_, err := runCommand(t, dsn, clock.Now, OutboxCommand, "retry", rows[0].ID)
	if err == nil || !strings.Contains(err.Error(), "newer link") {
		t.Errorf("retry of a superseded reset mail: %v", err)
	}
}
