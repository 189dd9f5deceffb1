package app

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"aikagi/app/mail"
	"aikagi/db"
	"aikagi/db/dbtest"
)

// backoff is the window retryDelay draws from for attempt n, widened by the
// one second that stamping the next attempt to whole seconds may take off.
func backoff(n int) (lo, hi time.Duration) {
	d := min(5*time.Second<<(n-1), 15*time.Minute)
	return d - d/5 - time.Second, d + d/5
}

// TestResendFaultsDeliverOnce drives one mail through each kind of fault
// Resend or the network can produce. Every mail reaches the fake at most
// once (counted by idempotency key, as Resend counts), is retried only when
// due, after the backoff or the Retry-After asked for, and dies when
// retrying cannot help or the tries run out.
func TestResendFaultsDeliverOnce(t *testing.T) {
	t.Parallel()
	serverErrors := make([]fakeFault, mail.MaxAttempts)
	for i := range serverErrors {
		serverErrors[i] = fakeFault{Status: http.StatusInternalServerError}
	}
	type wait struct{ lo, hi time.Duration } // after a failed attempt; zero: the backoff
	cases := []struct {
		name     string
		faults   []fakeFault
		waits    map[int]wait // by attempt
		sentAt   int          // the attempt that succeeds; 0: the mail dies
		diesAt   int
		requests int
		errHas   string        // in the last error of a dead row
		timeout  time.Duration // the sender's; zero: fakeTimeout
		// throttled attempts were refused for the rate limit (429): they
		// wait as asked, and do not count towards MaxAttempts.
		throttled map[int]bool
	}{
		{name: "server errors", faults: []fakeFault{{Status: 500}, {Status: 502}, {Status: 503}}, sentAt: 4, requests: 4},
		{name: "429 with Retry-After in seconds", faults: []fakeFault{{Status: 429, Name: "rate_limit_exceeded", RetryAfter: "7"}},
			waits: map[int]wait{1: {6 * time.Second, 7 * time.Second}}, sentAt: 2, requests: 2, throttled: map[int]bool{1: true}},
		{name: "429 with a long Retry-After", faults: []fakeFault{{Status: 429, RetryAfter: "120"}},
			waits: map[int]wait{1: {119 * time.Second, 120 * time.Second}}, sentAt: 2, requests: 2, throttled: map[int]bool{1: true}},
		{name: "429 without Retry-After", faults: []fakeFault{{Status: 429}, {Status: 429}},
			waits: map[int]wait{1: {time.Second, time.Second}, 2: {time.Second, time.Second}}, sentAt: 3, requests: 3, throttled: map[int]bool{1: true, 2: true}},
		{name: "503 with Retry-After as a date", faults: []fakeFault{{Status: 503, RetryAt: 40 * time.Second}},
			waits: map[int]wait{1: {37 * time.Second, 41 * time.Second}}, sentAt: 2, requests: 2},
		{name: "timeout after Resend accepted", faults: []fakeFault{{Stall: true}}, sentAt: 2, requests: 2, timeout: 2 * time.Second},
		{name: "connection dropped after Resend accepted", faults: []fakeFault{{Drop: true}}, sentAt: 2, requests: 2},
		{name: "first request still processing", faults: []fakeFault{{Drop: true, BusyFor: 1}}, sentAt: 3, requests: 3},
		{name: "refused message", faults: []fakeFault{{Status: 422, Name: "validation_error"}}, diesAt: 1, requests: 1, errHas: "HTTP 422 validation_error"},
		{name: "wrong API key", faults: []fakeFault{{Status: 403, Name: "invalid_api_key"}}, diesAt: 1, requests: 1, errHas: "check RESEND_API_KEY"},
		{name: "tries used up", faults: serverErrors, diesAt: mail.MaxAttempts, requests: mail.MaxAttempts, errHas: "HTTP 500"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			fake := newFakeResend(t)
			clock := newFakeClock(testStart)
			a := newResendApp(t, dbtest.Fresh(t, "sqlite"), fake, clock, tc.timeout, nil)
			logs := captureLog(a)
			acct := newAccount(t, a, "taro01", "taro@example.jp", "ja")
			id := queueNotices(t, a, acct, 1)[0]
			fake.Fail(tc.faults...)

			counted := 0
			for attempt := 1; ; attempt++ {
				if attempt > mail.MaxAttempts+len(tc.throttled) {
					t.Fatal("still trying after the last attempt")
				}
				before := fake.RequestCount()
				sent, err := a.outbox.DeliverDue(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if !tc.throttled[attempt] {
					counted++
				}
				row := outboxRow(t, a, id)
				if fake.RequestCount() != before+1 || row.Attempts != counted {
					t.Fatalf("attempt %d: %d requests reached the fake, row counts %d attempts", attempt, fake.RequestCount()-before, row.Attempts)
				}
				if attempt == tc.sentAt {
					if sent != 1 || row.Status != db.OutboxSent || row.ProviderID != fake.Mails()[0].ID || row.Payload != nil {
						t.Fatalf("attempt %d: sent %d, row %s provider id %q payload %d bytes; want sent with %q, payload dropped",
							attempt, sent, row.Status, row.ProviderID, len(row.Payload), fake.Mails()[0].ID)
					}
					break
				}
				if attempt == tc.diesAt {
					if row.Status != db.OutboxDead || row.DeadAt == nil || !strings.Contains(row.LastError, tc.errHas) || row.Payload == nil {
						t.Fatalf("attempt %d: row %s, last error %q, payload kept %v; want dead with %q and the payload kept for outbox retry",
							attempt, row.Status, row.LastError, row.Payload != nil, tc.errHas)
					}
					if got := auditKinds(t, a.db); !slices.Contains(got, db.AuditMailDead) {
						t.Errorf("audit = %q, want %s", got, db.AuditMailDead)
					}
					if log := logs.String(); !strings.Contains(log, "gave up") || !strings.Contains(log, "aikagi outbox retry "+id) {
						t.Errorf("no log line telling the operator what to do:\n%s", log)
					}
					break
				}
				if row.Status != db.OutboxPending || row.LastError == "" {
					t.Fatalf("attempt %d: row %s, last error %q; want pending with the error", attempt, row.Status, row.LastError)
				}
				w, ok := tc.waits[attempt]
				if !ok {
					w.lo, w.hi = backoff(attempt)
				}
				if got := row.NextAttemptAt.Sub(clock.Now()); got < w.lo || got > w.hi {
					t.Fatalf("attempt %d failed with %q: next attempt in %v, want %v to %v", attempt, row.LastError, got, w.lo, w.hi)
				}
				// Not a moment early.
				clock.Set(row.NextAttemptAt.Add(-time.Second))
				if sent, err := a.outbox.DeliverDue(ctx); err != nil || sent != 0 || fake.RequestCount() != before+1 {
					t.Fatalf("attempt %d: a second before it was due, DeliverDue = %d, %v and %d requests", attempt, sent, err, fake.RequestCount()-before-1)
				}
				clock.Set(row.NextAttemptAt)
			}

			wantDeliveries := 1
			if tc.sentAt == 0 {
				wantDeliveries = 0
			}
			if got := fake.Deliveries()[id]; got != wantDeliveries {
				t.Errorf("the fake delivered the mail %d times, want %d", got, wantDeliveries)
			}
			if got := fake.RequestsFor(id); got != tc.requests {
				t.Errorf("%d requests with the mail's key, want %d", got, tc.requests)
			}
			if n := countWhere(t, a, "audit_events", "kind", db.AuditMailSent); n != wantDeliveries {
				t.Errorf("%d mail_sent audit events, want %d", n, wantDeliveries)
			}
		})
	}
}

// TestResendRetryAfterPausesWorker checks that a 429's Retry-After holds
// back all mail of the worker, not only the row that got it.
func TestResendRetryAfterPausesWorker(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := newFakeResend(t)
	clock := newFakeClock(testStart)
	a := newResendApp(t, dbtest.Fresh(t, "sqlite"), fake, clock, 0, nil)
	acct := newAccount(t, a, "taro01", "taro@example.jp", "ja")
	ids := queueNotices(t, a, acct, 3)
	fake.Fail(fakeFault{Status: 429, RetryAfter: "30"})

	if sent, err := a.outbox.DeliverDue(ctx); err != nil || sent != 0 || fake.RequestCount() != 1 {
		t.Fatalf("DeliverDue = %d, %v with %d requests; want one request, refused", sent, err, fake.RequestCount())
	}
	for _, id := range ids {
		row := outboxRow(t, a, id)
		tried := fake.RequestsFor(id)
		if row.Status != db.OutboxPending || row.Attempts != tried {
			t.Errorf("row %s after the 429: %s, %d attempts, %d requests; want pending, only the refused one counted", id, row.Status, row.Attempts, tried)
		}
	}
	clock.Advance(29 * time.Second)
	if sent, _ := a.outbox.DeliverDue(ctx); sent != 0 || fake.RequestCount() != 1 {
		t.Fatalf("during the pause: sent %d, %d requests", sent, fake.RequestCount())
	}
	clock.Advance(time.Second)
	if sent, err := a.outbox.DeliverDue(ctx); err != nil || sent != 3 {
		t.Fatalf("after the pause: DeliverDue = %d, %v; want all 3", sent, err)
	}
	if d := fake.Deliveries(); len(d) != 3 {
		t.Errorf("deliveries = %v", d)
	}
}

// TestResendRateLimitSharedAcrossInstances checks the pacing under
// RESEND_RATE_LIMIT: two instances on one database take turns, and never
// more than the limit goes out in one second, evenly spread.
func TestResendRateLimitSharedAcrossInstances(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		fake := newFakeResend(t)
		clock := newFakeClock(testStart)
		dsn := dbtest.Fresh(t, dialect)
		singles := map[string]string{"RESEND_BATCH_SIZE": "1"}
		apps := []*App{newResendApp(t, dsn, fake, clock, 0, singles), newResendApp(t, dsn, fake, clock, 0, singles)}

		// Mails sent one by one go out at the pace.
		acct := newAccount(t, apps[0], "taro01", "taro@example.jp", "ja")
		queueNotices(t, apps[0], acct, 25)
		start := clock.Now()
		if sent, err := apps[0].outbox.DeliverDue(ctx); err != nil || sent != 25 {
			t.Fatalf("DeliverDue = %d, %v; want 25", sent, err)
		}
		if took := clock.Now().Sub(start); took < 12*time.Second {
			t.Errorf("25 mails at 2/s took %v, want at least 12s", took)
		}
		var sentAt []time.Time
		if err := apps[0].db.NewSelect().Table("outbox").Column("sent_at").Where("status = ?", db.OutboxSent).Scan(ctx, &sentAt); err != nil {
			t.Fatal(err)
		}
		bySecond := map[int64]int{}
		for _, at := range sentAt {
			bySecond[at.Unix()]++
		}
		for sec, n := range bySecond {
			if n > 2 {
				t.Errorf("%d mails sent in second %v, want at most 2", n, time.Unix(sec, 0).UTC())
			}
		}
	})
}

// slowRate lets one mail out every 30 s, each on its own: the wait between
// two mails outlasts a lease.
var slowRate = map[string]string{"RESEND_RATE_LIMIT": "1/30s", "RESEND_BATCH_SIZE": "1"}

// TestBurstOfRequestsEndsInOneMailEach sends several hundred matched
// step 3 requests at once, with the default limits, against a provider
// that answers in 200 ms and refuses more than 2 requests a second, as
// Resend does: every merchant gets exactly one mail, none is dropped for a
// global rate, and the mail goes in batches.
func TestBurstOfRequestsEndsInOneMailEach(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		fake := newFakeResend(t)
		fake.Delay, fake.Limit = 200*time.Millisecond, 2
		a := newResendApp(t, dbtest.Fresh(t, dialect), fake, nil, 0, map[string]string{"LIMIT_SENDS_PER_IP": "1000/1h"})
		const n = 300
		for i := range n {
			newAccount(t, a, fmt.Sprintf("shop%03d", i), fmt.Sprintf("shop%03d@example.jp", i), "ja")
		}
		for i := range n {
			requestResetFlow(t, a, fmt.Sprintf("shop%03d", i), fmt.Sprintf("shop%03d@example.jp", i))
		}
		waitFor(t, 3*time.Minute, "every request matched", func() bool {
			processIntake(t, a)
			return countRows(t, a.db, "intake_requests") == 0
		})
		if got := countRows(t, a.db, "outbox"); got != n {
			t.Fatalf("%d mails queued for %d matched requests", got, n)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			a.outbox.Run(ctx)
		}()
		waitFor(t, 3*time.Minute, "every mail handed over", func() bool {
			return countWhere(t, a, "outbox", "status", db.OutboxSent) == n
		})
		cancel()
		<-done

		perAddress := map[string]int{}
		for _, m := range fake.Mails() {
			perAddress[m.To[0]]++
		}
		for i := range n {
			if addr := fmt.Sprintf("shop%03d@example.jp", i); perAddress[addr] != 1 {
				t.Errorf("%s got %d mails, want 1", addr, perAddress[addr])
			}
		}
		if calls := fake.CallsTo("/emails/batch") + fake.CallsTo("/emails"); calls > n/10 {
			t.Errorf("%d requests for %d mails: they did not go in batches", calls, n)
		}
	})
}
