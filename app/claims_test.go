package app

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"aikagi/app/mail"
	"aikagi/db"
	"aikagi/db/dbtest"
)

// TestTwoWorkersDeliverEachMailOnce runs two instances' workers on one
// database against 200 queued mails: 200 deliveries, each requested once.
func TestTwoWorkersDeliverEachMailOnce(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		fake := newFakeResend(t)
		dsn := dbtest.Fresh(t, dialect)
		fast := map[string]string{"RESEND_RATE_LIMIT": "10000"}
		a1 := newResendApp(t, dsn, fake, nil, 10*time.Second, fast)
		a2 := newResendApp(t, dsn, fake, nil, 10*time.Second, fast)
		acct := newAccount(t, a1, "taro01", "taro@example.jp", "ja")
		ids := queueNotices(t, a1, acct, 200)

		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for _, a := range []*App{a1, a2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a.outbox.Run(ctx)
			}()
		}
		waitFor(t, 2*time.Minute, "every mail marked sent", func() bool {
			return countWhere(t, a1, "outbox", "status", db.OutboxSent) == len(ids)
		})
		cancel()
		wg.Wait()

		deliveries := fake.deliveries()
		if len(deliveries) != len(ids) {
			t.Fatalf("%d distinct mails delivered, want %d", len(deliveries), len(ids))
		}
		for _, id := range ids {
			if deliveries[id] != 1 || fake.requestsFor(id) != 1 {
				t.Errorf("mail %s: delivered %d times, requested %d times; want once each", id, deliveries[id], fake.requestsFor(id))
			}
		}
		var senders []int
		if err := a1.db.NewSelect().Table("audit_events").ColumnExpr("count(*)").Where("kind = ?", db.AuditMailSent).Scan(context.Background(), &senders); err != nil {
			t.Fatal(err)
		}
		if senders[0] != len(ids) {
			t.Errorf("%d mail_sent audit events, want %d", senders[0], len(ids))
		}
	})
}

// TestDeadWorkersClaimIsTakenOver plays a worker killed in the middle of a
// batch, after Resend accepted some of it: it renews its claim no more, and
// 25 s later another instance sends the batch (the spec allows 30 s), and
// Resend delivers each mail once.
func TestDeadWorkersClaimIsTakenOver(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		fake := newFakeResend(t)
		clock := newFakeClock(testStart)
		dsn := dbtest.Fresh(t, dialect)
		dead := newResendApp(t, dsn, fake, clock, 0, nil)
		acct := newAccount(t, dead, "taro01", "taro@example.jp", "ja")
		ids := queueNotices(t, dead, acct, 10)

		// The dead worker claimed the batch and got three mails to Resend,
		// then died before recording anything.
		rows, err := db.ClaimDueMail(ctx, dead.db, clock.Now(), mail.Lease, mail.Batch)
		if err != nil || len(rows) != 10 {
			t.Fatalf("claim: %d rows, %v", len(rows), err)
		}
		sender, err := mail.NewResendSender(fakeAPIKey, fake.URL+"/", fakeTimeout)
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range rows[:3] {
			var m mail.Message
			plain, err := dead.sealer.Open(row.ID, row.Payload)
			if err == nil {
				err = json.Unmarshal(plain, &m)
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := sender.Send(ctx, row.ID, m); err != nil {
				t.Fatal(err)
			}
		}

		other := newResendApp(t, dsn, fake, clock, 0, map[string]string{"RESEND_RATE_LIMIT": "100"})
		if sent, err := other.outbox.DeliverDue(ctx); err != nil || sent != 0 {
			t.Fatalf("while the claim holds: DeliverDue = %d, %v; want nothing", sent, err)
		}
		clock.Advance(mail.Lease - time.Second)
		if sent, err := other.outbox.DeliverDue(ctx); err != nil || sent != 0 {
			t.Fatalf("a second before the lease ends: DeliverDue = %d, %v; want nothing", sent, err)
		}
		clock.Set(testStart.Add(25 * time.Second))
		if sent, err := other.outbox.DeliverDue(ctx); err != nil || sent != 10 {
			t.Fatalf("25 s after the claim: DeliverDue = %d, %v; want 10", sent, err)
		}
		deliveries := fake.deliveries()
		for i, id := range ids {
			if deliveries[id] != 1 {
				t.Errorf("mail %d delivered %d times, want once", i, deliveries[id])
			}
			if row := outboxRow(t, other, id); row.Status != db.OutboxSent || row.Attempts != 2 {
				t.Errorf("mail %d: %s after %d attempts, want sent at the second", i, row.Status, row.Attempts)
			}
		}
		if n := len(fake.mails()); n != 10 {
			t.Errorf("Resend delivered %d mails, want 10", n)
		}
	})
}

// TestLiveWorkerKeepsItsClaim runs a batch whose waits take longer than the
// lease (the rate limit spaces its mails 30 s apart): the worker renews its
// claim while it waits, so an instance looking 25 s in finds nothing to
// take over, and each mail goes out once, at its first attempt.
func TestLiveWorkerKeepsItsClaim(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		fake := newFakeResend(t)
		clock := newFakeClock(testStart)
		dsn := dbtest.Fresh(t, dialect)
		live := newResendApp(t, dsn, fake, clock, 0, slowRate)
		other := newResendApp(t, dsn, fake, clock, 0, nil)
		acct := newAccount(t, live, "taro01", "taro@example.jp", "ja")
		ids := queueNotices(t, live, acct, 3)

		looked := false
		live.outbox.Sleep = func(ctx context.Context, d time.Duration) error {
			if err := clock.Sleep(ctx, d); err != nil {
				return err
			}
			if !looked && clock.Now().Sub(testStart) >= 25*time.Second {
				looked = true
				if sent, err := other.outbox.DeliverDue(ctx); err != nil || sent != 0 {
					t.Errorf("%v after the claim: the other instance sent %d, %v; want nothing", clock.Now().Sub(testStart), sent, err)
				}
			}
			return nil
		}
		if sent, err := live.outbox.DeliverDue(ctx); err != nil || sent != 3 {
			t.Fatalf("DeliverDue = %d, %v; want 3", sent, err)
		}
		if !looked {
			t.Fatalf("the batch took %v; the test wants it to outlast the lease", clock.Now().Sub(testStart))
		}
		for i, id := range ids {
			if n := fake.deliveries()[id]; n != 1 || fake.requestsFor(id) != 1 {
				t.Errorf("mail %d delivered %d times in %d requests, want once", i, n, fake.requestsFor(id))
			}
			if row := outboxRow(t, live, id); row.Status != db.OutboxSent || row.Attempts != 1 {
				t.Errorf("mail %d: %s after %d attempts, want sent at the first", i, row.Status, row.Attempts)
			}
		}
	})
}

// TestStalledWorkerDoesNotSendOnALostClaim stalls a worker in the middle of
// a batch for longer than the lease (a paused process): another instance
// takes the rest over and sends it, and the stalled worker, once it runs
// again, finds its claim lost and sends nothing more.
func TestStalledWorkerDoesNotSendOnALostClaim(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		fake := newFakeResend(t)
		clock := newFakeClock(testStart)
		dsn := dbtest.Fresh(t, dialect)
		stalled := newResendApp(t, dsn, fake, clock, 0, slowRate)
		other := newResendApp(t, dsn, fake, clock, 0, map[string]string{"RESEND_RATE_LIMIT": "100"})
		acct := newAccount(t, stalled, "taro01", "taro@example.jp", "ja")
		ids := queueNotices(t, stalled, acct, 4)

		tookOver := -1
		stalled.outbox.Sleep = func(ctx context.Context, d time.Duration) error {
			if tookOver >= 0 || d <= 0 {
				return clock.Sleep(ctx, d)
			}
			// The first wait lasts 25 s instead of d, without renewals.
			clock.Advance(25 * time.Second)
			var err error
			if tookOver, err = other.outbox.DeliverDue(ctx); err != nil {
				t.Error(err)
			}
			return nil
		}
		sent, err := stalled.outbox.DeliverDue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if sent != 1 || tookOver != 3 {
			t.Errorf("the stalled worker sent %d, the other %d; want 1 and the 3 it took over", sent, tookOver)
		}
		for i, id := range ids {
			if n := fake.deliveries()[id]; n != 1 || fake.requestsFor(id) != 1 {
				t.Errorf("mail %d delivered %d times in %d requests, want once", i, n, fake.requestsFor(id))
			}
			if row := outboxRow(t, stalled, id); row.Status != db.OutboxSent {
				t.Errorf("mail %d: %s, want sent", i, row.Status)
			}
		}
	})
}

// TestShutdownFinishesTheSendAndHandsBackTheRest stops a worker while Resend
// is still answering: the mail under way is finished and recorded, the rest
// of the batch goes back to the outbox uncounted, and another instance sends
// it at once.
func TestShutdownFinishesTheSendAndHandsBackTheRest(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		fake := newFakeResend(t)
		dsn := dbtest.Fresh(t, dialect)
		clock := newFakeClock(testStart)
		a := newResendApp(t, dsn, fake, clock, 10*time.Second, nil)
		acct := newAccount(t, a, "taro01", "taro@example.jp", "ja")
		ids := queueNotices(t, a, acct, 5)
		hold := make(chan struct{})
		fake.fail(fakeFault{Hold: hold})
		arrived := fake.notify()

		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			a.outbox.Run(ctx)
		}()
		var first string
		select {
		case first = <-arrived:
		case <-time.After(time.Minute):
			t.Fatal("the worker sent nothing")
		}
		cancel() // SIGTERM, while Resend has not answered yet
		close(hold)
		select {
		case <-done:
		case <-time.After(time.Minute):
			t.Fatal("the worker did not stop")
		}

		if row := outboxRow(t, a, first); row.Status != db.OutboxSent {
			t.Errorf("the mail under way is %s, want sent", row.Status)
		}
		for _, id := range ids {
			if id == first {
				continue
			}
			if row := outboxRow(t, a, id); row.Status != db.OutboxPending || row.Attempts != 0 || row.LockedUntil != nil {
				t.Errorf("mail %s after shutdown: %s, %d attempts; want pending and uncounted", id, row.Status, row.Attempts)
			}
		}
		next := newResendApp(t, dsn, fake, clock, 0, nil)
		if sent, err := next.outbox.DeliverDue(context.Background()); err != nil || sent != 4 {
			t.Fatalf("the next instance sent %d, %v; want the 4 handed back", sent, err)
		}
		for _, id := range ids {
			if n := fake.deliveries()[id]; n != 1 {
				t.Errorf("mail %s delivered %d times", id, n)
			}
		}
	})
}

// TestExpiredLinkIsNotSent checks that a reset mail still queued when its
// link expires dies instead of carrying a dead link.
func TestExpiredLinkIsNotSent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := newFakeResend(t)
	clock := newFakeClock(testStart)
	a := newResendApp(t, dbtest.Fresh(t, "sqlite"), fake, clock, 0, nil)
	newAccount(t, a, "taro01", "taro@example.jp", "ja")
	if _, _, err := a.recovery.SendResetByOperator(ctx, "taro01", 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	clock.Advance(10 * time.Minute)
	if sent, err := a.outbox.DeliverDue(ctx); err != nil || sent != 0 {
		t.Fatalf("DeliverDue = %d, %v", sent, err)
	}
	rows, _ := db.ListOutbox(ctx, a.db, db.OutboxFilter{})
	if len(rows) != 1 || rows[0].Status != db.OutboxDead || !strings.Contains(rows[0].LastError, "expired") || fake.requestCount() != 0 {
		t.Fatalf("rows = %+v, %d requests; want one dead row, nothing sent", rows, fake.requestCount())
	}
}
