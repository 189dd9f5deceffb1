package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/a-h/templ"
	"github.com/uptrace/bun"

	"aikagi/app/mail"
	"aikagi/db"
	"aikagi/db/dbtest"
)

// newResendServer is a stand-in server whose mail goes through the
// ResendSender to fake, on clock.
func newResendServer(t *testing.T, dsn string, fake *fakeResend, clock *fakeClock) *server {
	t.Helper()
	sender, err := mail.NewResendSender(fakeAPIKey, fake.URL, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return newServer(t, dsn, sender, clock)
}

// queueNotices queues n small mails without an expiry for acct, in one
// transaction, and returns their outbox ids.
func queueNotices(t testing.TB, srv *server, acct *db.Account, n int) []string {
	t.Helper()
	ctx := context.Background()
	var before []string
	if err := srv.db.NewSelect().Table("outbox").Column("id").Scan(ctx, &before); err != nil {
		t.Fatal(err)
	}
	err := srv.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		for i := range n {
			if err := srv.outbox.Queue(ctx, tx, mail.Outgoing{
				Kind: mail.KindPasswordChanged, AccountID: acct.ID, To: acct.Email, Subject: fmt.Sprintf("notice %d", i),
				Text: fmt.Sprintf("text %d", i), HTML: templ.Raw(fmt.Sprintf("<p>html %d</p>", i)),
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("queue notices: %v", err)
	}
	var all []string
	if err := srv.db.NewSelect().Table("outbox").Column("id").Order("created_at", "id").Scan(ctx, &all); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, id := range all {
		if !slices.Contains(before, id) {
			ids = append(ids, id)
		}
	}
	if len(ids) != n {
		t.Fatalf("queued %d notices, found %d new rows", n, len(ids))
	}
	return ids
}

// dropStalePayloads does to the outbox what the server's sweep does
// (app.sweep; TestSweepKeepsDeadMailForRetry in package app): it drops the
// sealed payload of dead mail whose link has expired or that died over
// db.DeadPayloadRetention ago.
func dropStalePayloads(t *testing.T, bdb *bun.DB, now time.Time) {
	t.Helper()
	if _, err := db.DropStalePayloads(context.Background(), bdb, now, now.Add(-db.DeadPayloadRetention)); err != nil {
		t.Fatal(err)
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
		srv := newResendServer(t, dsn, fake, clock)
		acct := newAccount(t, srv.db, "taro01", "taro@example.jp", "ja")
		run := func(args ...string) (string, error) {
			t.Helper()
			return runCommand(t, dsn, clock.Now, OutboxCommand, args...)
		}

		// A notice Resend refuses: dead.
		refused := queueNotices(t, srv, acct, 1)[0]
		fake.Fail(fakeFault{Status: 422, Name: "validation_error"})
		srv.outbox.DeliverDue(ctx)
		// A reset link that goes out and bounces.
		clock.Advance(time.Minute)
		if _, _, err := srv.recovery.SendResetByOperator(ctx, "taro01", 24*time.Hour); err != nil {
			t.Fatal(err)
		}
		srv.outbox.DeliverDue(ctx)
		bounced, _ := db.ListOutbox(ctx, srv.db, db.OutboxFilter{Status: db.OutboxSent})
		if len(bounced) != 1 {
			t.Fatalf("sent rows = %+v", bounced)
		}
		if row, _, err := db.RecordDeliveryEvent(ctx, srv.db, db.MessageRef{ProviderID: bounced[0].ProviderID}, db.DeliveryBounced, "Permanent/General: no such mailbox", clock.Now()); err != nil || row == nil {
			t.Fatal(row, err)
		}
		// A notice still waiting.
		clock.Advance(time.Minute)
		waiting := queueNotices(t, srv, acct, 1)[0]

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
		if row := outboxRow(t, srv.db, refused); row.Status != db.OutboxPending || row.Attempts != 0 || row.DeadAt != nil {
			t.Errorf("after retry: %s, %d attempts", row.Status, row.Attempts)
		}
		if sent, err := srv.outbox.DeliverDue(ctx); err != nil || sent != 2 {
			t.Fatalf("DeliverDue after retry = %d, %v; want the retried and the waiting notice", sent, err)
		}
		if fake.Deliveries()[refused] != 1 || fake.RequestsFor(refused) != 2 {
			t.Errorf("retried notice: delivered %d, requested %d; want once, on the second request with its key", fake.Deliveries()[refused], fake.RequestsFor(refused))
		}
		if n := countWhere(t, srv.db, "audit_events", "kind", db.AuditMailRetried); n != 1 {
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

// TestRetryOfDeadMailOverTime checks how long "outbox retry" can send a
// dead mail again: a reset mail until its link expires, any other until its
// deadline (mail.NoticeDeadline), when the server's sweep drops its sealed
// payload. What the sweep keeps is tested in package app
// (TestSweepKeepsDeadMailForRetry).
func TestRetryOfDeadMailOverTime(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := dbtest.Fresh(t, "sqlite")
	fake := newFakeResend(t)
	clock := newFakeClock(testStart)
	srv := newResendServer(t, dsn, fake, clock)
	acct := newAccount(t, srv.db, "taro01", "taro@example.jp", "ja")
	notices := queueNotices(t, srv, acct, 2)
	notice, late := notices[0], notices[1]
	if _, _, err := srv.recovery.SendResetByOperator(ctx, "taro01", time.Hour); err != nil {
		t.Fatal(err)
	}
	fake.Fail(fakeFault{Status: 403}, fakeFault{Status: 403}, fakeFault{Status: 403})
	srv.outbox.DeliverDue(ctx)
	rows, _ := db.ListOutbox(ctx, srv.db, db.OutboxFilter{Status: db.OutboxDead})
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
	dropStalePayloads(t, srv.db, clock.Now())
	if _, err := runCommand(t, dsn, clock.Now, OutboxCommand, "retry", reset); err == nil || !strings.Contains(err.Error(), "expired") || !strings.Contains(err.Error(), "send-reset taro01") {
		t.Errorf("retry of an expired reset mail: %v", err)
	}
	if out, err := runCommand(t, dsn, clock.Now, OutboxCommand, "retry", late); err != nil || !strings.Contains(out, "queued again") {
		t.Errorf("retry of a notice within its deadline: %q, %v", out, err)
	}

	// Past the notice's deadline: nothing to retry.
	clock.Advance(mail.NoticeDeadline)
	dropStalePayloads(t, srv.db, clock.Now())
	if _, err := runCommand(t, dsn, clock.Now, OutboxCommand, "retry", notice); err == nil || !strings.Contains(err.Error(), "deadline") {
		t.Errorf("retry after the deadline: %v", err)
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
	srv := newResendServer(t, dsn, fake, clock)
	newAccount(t, srv.db, "taro01", "taro@example.jp", "ja")
	if _, _, err := srv.recovery.SendResetByOperator(ctx, "taro01", time.Hour); err != nil {
		t.Fatal(err)
	}
	fake.Fail(fakeFault{Status: 403})
	srv.outbox.DeliverDue(ctx)
	rows, _ := db.ListOutbox(ctx, srv.db, db.OutboxFilter{Status: db.OutboxDead})
	if len(rows) != 1 {
		t.Fatalf("dead rows = %+v", rows)
	}
	clock.Advance(2 * time.Second)
	if _, _, err := srv.recovery.SendResetByOperator(ctx, "taro01", time.Hour); err != nil {
		t.Fatal(err)
	}
	_, err := runCommand(t, dsn, clock.Now, OutboxCommand, "retry", rows[0].ID)
	if err == nil || !strings.Contains(err.Error(), "newer link") {
		t.Errorf("retry of a superseded reset mail: %v", err)
	}
}
