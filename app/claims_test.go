package app

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"aikagi/app/mail"
	"aikagi/db"
	"aikagi/db/dbtest"
)

// TestTwoWorkersDeliverEachMailOnce runs two instances' workers on one
// database against 200 queued mails, sent one by one and in batches: 200
// deliveries, each in one request.
func TestTwoWorkersDeliverEachMailOnce(t *testing.T) {
	t.Parallel()
	for _, size := range []string{"1", "100"} {
		t.Run("batch size "+size, func(t *testing.T) {
			t.Parallel()
			twoWorkersDeliverEachMailOnce(t, size)
		})
	}
}

func twoWorkersDeliverEachMailOnce(t *testing.T, batchSize string) {
	forEachDialect(t, func(t *testing.T, dialect string) {
		fake := newFakeResend(t)
		dsn := dbtest.Fresh(t, dialect)
		fast := map[string]string{"RESEND_RATE_LIMIT": "10000", "RESEND_BATCH_SIZE": batchSize}
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

		deliveries := fake.Deliveries()
		if len(deliveries) != len(ids) {
			t.Fatalf("%d distinct mails delivered, want %d", len(deliveries), len(ids))
		}
		for _, id := range ids {
			if deliveries[id] != 1 {
				t.Errorf("mail %s: delivered %d times; want once", id, deliveries[id])
			}
			if batchSize == "1" && fake.RequestsFor(id) != 1 {
				t.Errorf("mail %s: requested %d times; want once", id, fake.RequestsFor(id))
			}
		}
		if batchSize != "1" && fake.CallsTo("/emails/batch") == 0 {
			t.Error("no batch request")
		}
		if calls := fake.RequestCount(); calls > len(ids) {
			t.Errorf("%d requests for %d mails", calls, len(ids))
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

// TestDeadWorkersClaimIsTakenOver plays a worker killed while it sent a
// batch: Resend accepted the batch, but the worker died before recording
// anything and renews its claim no more. 25 s later another instance sends
// the very same batch under the same idempotency key (the spec allows 30
// s), Resend answers with the first batch's ids, and delivers each mail
// once.
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

		rows, err := db.ClaimMail(ctx, dead.db, clock.Now(), mail.Lease, mail.MaxBatch, dbtest.BatchID())
		if err != nil || len(rows) != 10 || rows[0].BatchID == "" {
			t.Fatalf("claim: %d rows in batch %q, %v", len(rows), rows[0].BatchID, err)
		}
		sender, err := mail.NewResendSender(fakeAPIKey, fake.URL+"/", fakeTimeout)
		if err != nil {
			t.Fatal(err)
		}
		msgs := make([]mail.Tagged, len(rows))
		for i, row := range rows {
			msgs[i] = mail.Tagged{ID: row.ID, Message: openMail(t, dead, row)}
		}
		first, err := sender.SendBatch(ctx, rows[0].BatchID, msgs)
		if err != nil {
			t.Fatal(err)
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
		deliveries := fake.Deliveries()
		for i, id := range ids {
			if deliveries[id] != 1 {
				t.Errorf("mail %d delivered %d times, want once", i, deliveries[id])
			}
			row := outboxRow(t, other, id)
			if row.Status != db.OutboxSent || row.Attempts != 2 {
				t.Errorf("mail %d: %s after %d attempts, want sent at the second", i, row.Status, row.Attempts)
			}
			if j := slices.Index(ids, row.ID); row.ProviderID != first[j] {
				t.Errorf("mail %d: provider id %q, want the first answer's %q", i, row.ProviderID, first[j])
			}
		}
		if n := len(fake.Mails()); n != 10 {
			t.Errorf("Resend delivered %d mails, want 10", n)
		}
		if n := fake.RequestsFor(rows[0].BatchID); n != 2 {
			t.Errorf("%d requests with the batch's key, want 2", n)
		}
	})
}

// openMail opens the sealed message of an outbox row.
func openMail(t *testing.T, a *App, row db.OutboxMail) mail.Message {
	t.Helper()
	var m mail.Message
	plain, err := a.sealer.Open(row.ID, row.Payload)
	if err == nil {
		err = json.Unmarshal(plain, &m)
	}
	if err != nil {
		t.Fatal(err)
	}
	return m
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
		// The first goes at once; the second is claimed and waits its turn.
		ids := queueNotices(t, live, acct, 2)

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
		if sent, err := live.outbox.DeliverDue(ctx); err != nil || sent != 2 {
			t.Fatalf("DeliverDue = %d, %v; want 2", sent, err)
		}
		if !looked {
			t.Fatalf("the batch took %v; the test wants it to outlast the lease", clock.Now().Sub(testStart))
		}
		for i, id := range ids {
			if n := fake.Deliveries()[id]; n != 1 || fake.RequestsFor(id) != 1 {
				t.Errorf("mail %d delivered %d times in %d requests, want once", i, n, fake.RequestsFor(id))
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
		other := newResendApp(t, dsn, fake, clock, 0, map[string]string{"RESEND_RATE_LIMIT": "100", "RESEND_BATCH_SIZE": "1"})
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
			if n := fake.Deliveries()[id]; n != 1 || fake.RequestsFor(id) != 1 {
				t.Errorf("mail %d delivered %d times in %d requests, want once", i, n, fake.RequestsFor(id))
			}
			if row := outboxRow(t, stalled, id); row.Status != db.OutboxSent {
				t.Errorf("mail %d: %s, want sent", i, row.Status)
			}
		}
	})
}

// TestShutdownFinishesTheSendAndHandsBackTheRest stops a worker while Resend
// is still answering: the request under way (one mail, or a whole batch) is
// finished and recorded, a mail claimed and waiting for its turn goes back
// to the outbox uncounted, and another instance sends the rest at once.
func TestShutdownFinishesTheSendAndHandsBackTheRest(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		batchSize string
		underWay  int // mails in the request under way at shutdown
	}{{"1", 1}, {"100", 5}} {
		t.Run("batch size "+tc.batchSize, func(t *testing.T) {
			t.Parallel()
			forEachDialect(t, func(t *testing.T, dialect string) {
				shutdownFinishesTheSend(t, dialect, tc.batchSize, tc.underWay)
			})
		})
	}
}

func shutdownFinishesTheSend(t *testing.T, dialect, batchSize string, underWay int) {
	fake := newFakeResend(t)
	dsn := dbtest.Fresh(t, dialect)
	clock := newFakeClock(testStart)
	a := newResendApp(t, dsn, fake, clock, 10*time.Second, map[string]string{"RESEND_BATCH_SIZE": batchSize})
	// A wait for the provider's turn lasts until shutdown.
	a.outbox.Sleep = func(ctx context.Context, d time.Duration) error {
		if d > 0 {
			<-ctx.Done()
		}
		return ctx.Err()
	}
	acct := newAccount(t, a, "taro01", "taro@example.jp", "ja")
	ids := queueNotices(t, a, acct, 5)
	hold := make(chan struct{})
	fake.Fail(fakeFault{Hold: hold})
	arrived := fake.Notify()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.outbox.Run(ctx)
	}()
	select {
	case <-arrived:
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

	if n := countWhere(t, a, "outbox", "status", db.OutboxSent); n != underWay {
		t.Errorf("%d mails recorded sent after shutdown, want the %d under way", n, underWay)
	}
	for _, id := range ids {
		if row := outboxRow(t, a, id); row.Status != db.OutboxSent && (row.Status != db.OutboxPending || row.Attempts != 0 || row.LockedUntil != nil) {
			t.Errorf("mail %s after shutdown: %s, %d attempts; want sent, or pending and uncounted", id, row.Status, row.Attempts)
		}
	}
	next := newResendApp(t, dsn, fake, clock, 0, nil)
	if sent, err := next.outbox.DeliverDue(context.Background()); err != nil || sent != len(ids)-underWay {
		t.Fatalf("the next instance sent %d, %v; want the %d handed back", sent, err, len(ids)-underWay)
	}
	for _, id := range ids {
		if n := fake.Deliveries()[id]; n != 1 {
			t.Errorf("mail %s delivered %d times", id, n)
		}
	}
}

// TestExpiredLinkIsNotSent checks that a reset mail still queued when its
// link expires ends expired, counted, instead of carrying a dead link.
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
	if len(rows) != 1 || rows[0].Status != db.OutboxExpired || rows[0].ExpiredAt == nil || fake.RequestCount() != 0 {
		t.Fatalf("rows = %+v, %d requests; want one expired row, nothing sent", rows, fake.RequestCount())
	}
	if got := metricValue(t, a, `aikagi_mail_deliveries_total{kind="reset_link",result="expired"}`); got != 1 {
		t.Errorf("expired reset mails counted = %v, want 1", got)
	}
}
