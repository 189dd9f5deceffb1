package mail_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/a-h/templ"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/uptrace/bun"

	"aikagi/app/config"
	"aikagi/app/mail"
	"aikagi/app/mail/resendtest"
	"aikagi/app/metrics"
	"aikagi/app/secret"
	"aikagi/app/testkit"
	"aikagi/db"
	"aikagi/db/dbtest"
)

var testStart = time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)

// instance is one app instance's outbox on a shared database.
type instance struct {
	db      *bun.DB
	outbox  *mail.Outbox
	metrics *metrics.Metrics
	sealer  *secret.Sealer
}

// settings are what an instance is started with besides the fake.
type settings struct {
	rate      config.Limit // RESEND_RATE_LIMIT; 2/s when zero
	batchSize int          // RESEND_BATCH_SIZE; 100 when zero
	timeout   time.Duration
	clock     *testkit.Clock // nil: real time
}

// newInstance starts an outbox on the database at dsn that sends through
// the real ResendSender to fake.
func newInstance(t *testing.T, dsn string, fake *resendtest.Fake, s settings) *instance {
	t.Helper()
	cfg, err := config.Load(func(name string) string {
		return map[string]string{"SECRET_KEY": "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"}[name]
	}, func() []byte { t.Fatal("random key"); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if s.rate.Max == 0 {
		s.rate = config.Limit{Max: 2, Window: time.Second}
	}
	if s.timeout == 0 {
		s.timeout = 30 * time.Second
	}
	sender, err := mail.NewResendSender(resendtest.APIKey, fake.URL+"/", s.timeout)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now
	if s.clock != nil {
		now = s.clock.Now
	}
	bdb := dbtest.OpenDSN(t, dsn)
	in := &instance{db: bdb, metrics: metrics.New(bdb, now, config.Build()), sealer: secret.NewSealer(cfg)}
	in.outbox = mail.New(mail.Deps{DB: bdb, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: now, Sender: sender,
		Sealer: in.sealer, Metrics: in.metrics, From: "Shop Support <support@example.test>", Rate: s.rate,
		BatchSize: s.batchSize, RepeatWindow: time.Hour})
	if s.clock != nil {
		in.outbox.Sleep = s.clock.Sleep
	}
	return in
}

// newAccounts creates n accounts named prefix-0… and returns their ids.
func newAccounts(t *testing.T, bdb *bun.DB, prefix string, n int, now time.Time) []int64 {
	t.Helper()
	ids := make([]int64, n)
	for i := range n {
		a := &db.Account{LoginID: fmt.Sprintf("%s-%d", prefix, i), Email: fmt.Sprintf("%s-%d@example.jp", prefix, i),
			StoreName: "テスト商店", Locale: "ja", PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"}
		if err := db.CreateAccount(context.Background(), bdb, a, now); err != nil {
			t.Fatal(err)
		}
		ids[i] = a.ID
	}
	return ids
}

// queue queues one mail of kind for each account, to its registered
// address (or to, when given), in one transaction, and returns the outbox
// ids in the order queued.
func (in *instance) queue(t *testing.T, kind mail.Kind, accounts []int64, to string, expires time.Time) []string {
	t.Helper()
	ctx := context.Background()
	var ids []string
	err := in.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		for _, id := range accounts {
			acct, err := db.GetAccount(ctx, tx, id)
			if err != nil {
				return err
			}
			addr := acct.Email
			if to != "" {
				addr = to
			}
			if err := in.outbox.Queue(ctx, tx, mail.Outgoing{Kind: kind, AccountID: id, To: addr, Subject: "件名 " + acct.LoginID,
				Text: "本文", HTML: templ.Raw("<p>本文</p>"), ExpiresAt: expires}); err != nil {
				return err
			}
			var last []string
			if err := tx.NewSelect().Table("outbox").Column("id").Where("account_id = ?", id).OrderExpr("id DESC").Limit(1).Scan(ctx, &last); err != nil {
				return err
			}
			ids = append(ids, last[0])
		}
		return nil
	})
	if err != nil {
		t.Fatalf("queue: %v", err)
	}
	in.outbox.Wake()
	return ids
}

func (in *instance) row(t *testing.T, id string) db.OutboxMail {
	t.Helper()
	row, err := db.GetOutboxMail(context.Background(), in.db, id)
	if err != nil || row == nil {
		t.Fatalf("outbox row %s: %v, %v", id, row, err)
	}
	return *row
}

func (in *instance) countStatus(t *testing.T, status db.OutboxStatus) int {
	t.Helper()
	n, err := in.db.NewSelect().Table("outbox").Where("status = ?", status).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestBurstAtTheProvidersPace queues a burst of several hundred reset
// mails on two instances against a fake that, like Resend, answers in
// 200 ms and allows 2 requests a second: every mail is handed over exactly
// once, in batches, and nothing is dropped for the pace.
func TestBurstAtTheProvidersPace(t *testing.T) {
	t.Parallel()
	dbtest.ForEachDialect(t, func(t *testing.T, dialect string) {
		fake := resendtest.New(t)
		fake.Delay, fake.Limit = 200*time.Millisecond, 2
		dsn := dbtest.Fresh(t, dialect)
		instances := []*instance{newInstance(t, dsn, fake, settings{}), newInstance(t, dsn, fake, settings{})}
		accounts := newAccounts(t, instances[0].db, "burst", 400, time.Now())
		var ids []string
		for i, in := range instances {
			half := accounts[i*200 : (i+1)*200]
			ids = append(ids, in.queue(t, mail.KindReset, half, "", time.Now().Add(30*time.Minute))...)
		}

		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for _, in := range instances {
			wg.Go(func() { in.outbox.Run(ctx) })
		}
		testkit.WaitFor(t, 3*time.Minute, "every mail sent", func() bool { return instances[0].countStatus(t, db.OutboxSent) == len(ids) })
		cancel()
		wg.Wait()

		delivered := fake.Deliveries()
		for _, id := range ids {
			if delivered[id] != 1 {
				t.Errorf("mail %s delivered %d times, want once", id, delivered[id])
			}
		}
		if n := len(fake.Mails()); n != len(ids) {
			t.Errorf("the provider took %d mails for %d queued", n, len(ids))
		}
		if calls := fake.CallsTo("/emails/batch") + fake.CallsTo("/emails"); calls >= len(ids)/10 {
			t.Errorf("%d requests for %d mails: they did not go in batches", calls, len(ids))
		}
	})
}

// TestBatchRetrySendsTheSameBatch loses the answer to a batch in each way
// a request can fail without a clear refusal: the retry sends the very same
// batch under the same idempotency key, and each mail arrives once.
func TestBatchRetrySendsTheSameBatch(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		fault   resendtest.Fault
		timeout time.Duration
	}{
		{"answer lost", resendtest.Fault{Drop: true}, 0},
		{"timeout after the provider accepted", resendtest.Fault{Stall: true}, 2 * time.Second},
		{"server error", resendtest.Fault{Status: 500}, 0},
		{"unavailable with Retry-After", resendtest.Fault{Status: 503, RetryAfter: "30"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			fake := resendtest.New(t)
			clk := testkit.NewClock(testStart)
			in := newInstance(t, dbtest.Fresh(t, "sqlite"), fake, settings{clock: clk, timeout: tc.timeout})
			ids := in.queue(t, mail.KindPasswordChanged, newAccounts(t, in.db, "taro", 5, clk.Now()), "", time.Time{})
			fake.Fail(tc.fault)

			if sent, err := in.outbox.DeliverDue(ctx); err != nil || sent != 0 {
				t.Fatalf("first try: DeliverDue = %d, %v; want the failure", sent, err)
			}
			batch := in.row(t, ids[0]).BatchID
			for _, id := range ids {
				if row := in.row(t, id); row.Status != db.OutboxPending || row.BatchID != batch || batch == "" || row.Attempts != 1 {
					t.Fatalf("after the failure: %s in batch %q after %d attempts; want pending in batch %q", row.Status, row.BatchID, row.Attempts, batch)
				}
			}
			clk.Advance(time.Hour)
			if sent, err := in.outbox.DeliverDue(ctx); err != nil || sent != len(ids) {
				t.Fatalf("retry: DeliverDue = %d, %v; want %d", sent, err, len(ids))
			}
			if n := fake.RequestsFor(batch); n != 2 {
				t.Errorf("%d requests under the batch's key, want 2", n)
			}
			for _, id := range ids {
				if n := fake.Deliveries()[id]; n != 1 {
					t.Errorf("mail %s delivered %d times, want once", id, n)
				}
			}
		})
	}
}

// TestRefusedBatchFallsBackToSingleSends queues a batch with one mail the
// provider refuses (a broken address): the batch is refused whole, then
// every mail goes on its own under its own key, the good ones arrive once
// and the bad one dies with the provider's reason.
func TestRefusedBatchFallsBackToSingleSends(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := resendtest.New(t)
	clk := testkit.NewClock(testStart)
	in := newInstance(t, dbtest.Fresh(t, "sqlite"), fake, settings{clock: clk})
	accounts := newAccounts(t, in.db, "taro", 4, clk.Now())
	good := in.queue(t, mail.KindPasswordChanged, accounts[:3], "", time.Time{})
	bad := in.queue(t, mail.KindPasswordChanged, accounts[3:], "broken-address", time.Time{})[0]

	if _, err := in.outbox.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	if n := fake.CallsTo("/emails/batch"); n != 1 {
		t.Errorf("%d batch requests, want the one refused", n)
	}
	for _, id := range good {
		if row := in.row(t, id); row.Status != db.OutboxSent || fake.Deliveries()[id] != 1 || fake.RequestsFor(id) != 1 {
			t.Errorf("good mail: %s, delivered %d times; want sent once on its own", row.Status, fake.Deliveries()[id])
		}
	}
	if row := in.row(t, bad); row.Status != db.OutboxDead || !row.Alone || fake.Deliveries()[bad] != 0 {
		t.Errorf("bad mail: %s (alone %v), last error %q; want dead on its own", row.Status, row.Alone, row.LastError)
	}
}

// TestMailPastItsDeadlineIsNotSent leaves a reset mail waiting past its
// link's expiry, and restores a backup whose notice was queued days ago
// before mail had deadlines: neither is sent; both end expired, counted.
func TestMailPastItsDeadlineIsNotSent(t *testing.T) {
	t.Parallel()
	dbtest.ForEachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		fake := resendtest.New(t)
		clk := testkit.NewClock(testStart)
		dsn := dbtest.Fresh(t, dialect)
		in := newInstance(t, dsn, fake, settings{clock: clk})
		accounts := newAccounts(t, in.db, "taro", 2, clk.Now())
		reset := in.queue(t, mail.KindReset, accounts[:1], "", clk.Now().Add(30*time.Minute))[0]
		old := in.queue(t, mail.KindPasswordChanged, accounts[1:], "", time.Time{})[0]
		// The notice as a backup from before deadlines holds it: none, days ago.
		if _, err := in.db.NewUpdate().Table("outbox").Set("expires_at = NULL").Set("created_at = ?", testStart.Add(-72*time.Hour)).
			Where("id = ?", old).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Migrate(ctx, in.db); err != nil { // what starting the restored instance does
			t.Fatal(err)
		}
		clk.Advance(30 * time.Minute)
		if sent, err := in.outbox.DeliverDue(ctx); err != nil || sent != 0 {
			t.Fatalf("DeliverDue = %d, %v; want nothing sent", sent, err)
		}
		for _, id := range []string{reset, old} {
			if row := in.row(t, id); row.Status != db.OutboxExpired || row.ExpiredAt == nil || row.Payload != nil {
				t.Errorf("mail %s: %s, payload kept %v; want expired without its content", row.Kind, row.Status, row.Payload != nil)
			}
		}
		if n := fake.RequestCount(); n != 0 {
			t.Errorf("%d requests reached the provider", n)
		}
		expired := counterValue(t, in.metrics, "aikagi_mail_deliveries_total", map[string]string{"kind": "reset_link", "result": "expired"})
		if expired != 1 {
			t.Errorf("expired reset mails counted: %v, want 1", expired)
		}
		if ok, err := db.RequeueMail(ctx, in.db, reset, clk.Now()); err != nil || ok {
			t.Errorf("an expired mail was queued again: %v, %v", ok, err)
		}
	})
}

// TestFirstMailsGoBeforeRepeats floods the outbox with repeat requests of
// many accounts, then has a few merchants ask for the first time: with mail
// waiting, theirs goes out first, and among mail of one rank the earliest
// deadline first. The clock is the test's; nothing sleeps.
func TestFirstMailsGoBeforeRepeats(t *testing.T) {
	t.Parallel()
	dbtest.ForEachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		fake := resendtest.New(t)
		clk := testkit.NewClock(testStart)
		in := newInstance(t, dbtest.Fresh(t, dialect), fake, settings{clock: clk, batchSize: 10})

		flooded := newAccounts(t, in.db, "flood", 30, clk.Now())
		var floodIDs []string
		for range 3 { // each account asks three times: one first mail and two repeats
			floodIDs = append(floodIDs, in.queue(t, mail.KindReset, flooded, "", clk.Now().Add(30*time.Minute))...)
			clk.Advance(time.Second)
		}
		newcomers := newAccounts(t, in.db, "new", 5, clk.Now())
		clk.Advance(time.Second)
		late := in.queue(t, mail.KindReset, newcomers[:4], "", clk.Now().Add(30*time.Minute))
		// The last newcomer's link runs out sooner (an operator's short link).
		urgent := in.queue(t, mail.KindReset, newcomers[4:], "", clk.Now().Add(10*time.Minute))[0]

		if sent, err := in.outbox.DeliverDue(ctx); err != nil || sent != len(floodIDs)+5 {
			t.Fatalf("DeliverDue = %d, %v; want %d", sent, err, len(floodIDs)+5)
		}
		var order []string
		for _, m := range fake.Mails() {
			order = append(order, m.OutboxID())
		}
		firsts, repeats := floodIDs[:30], floodIDs[30:]
		lastFirst := 0
		for _, id := range append(append([]string{urgent}, late...), firsts...) {
			lastFirst = max(lastFirst, slices.Index(order, id))
		}
		for _, id := range repeats {
			if i := slices.Index(order, id); i < lastFirst {
				t.Fatalf("repeat %s went out %dth, before a first mail (the last went out %dth)", id, i+1, lastFirst+1)
			}
		}
		if i := slices.Index(order, urgent); i != 0 {
			t.Errorf("the first mail with the earliest deadline went out %dth, want first", i+1)
		}
	})
}

// TestThrottledRequestIsNoAttempt has the provider refuse every request
// for its rate limit for a while: the mail waits as asked, without using
// up its tries, and then goes out once.
func TestThrottledRequestIsNoAttempt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := resendtest.New(t)
	clk := testkit.NewClock(testStart)
	in := newInstance(t, dbtest.Fresh(t, "sqlite"), fake, settings{clock: clk})
	ids := in.queue(t, mail.KindPasswordChanged, newAccounts(t, in.db, "taro", 3, clk.Now()), "", time.Time{})
	throttled := make([]resendtest.Fault, mail.MaxAttempts+2)
	for i := range throttled {
		throttled[i] = resendtest.Fault{Status: 429, Name: "rate_limit_exceeded", RetryAfter: "2"}
	}
	fake.Fail(throttled...)
	for range throttled {
		if sent, err := in.outbox.DeliverDue(ctx); err != nil || sent != 0 {
			t.Fatalf("while throttled: DeliverDue = %d, %v", sent, err)
		}
		clk.Advance(2 * time.Second)
	}
	if sent, err := in.outbox.DeliverDue(ctx); err != nil || sent != len(ids) {
		t.Fatalf("after: DeliverDue = %d, %v; want %d", sent, err, len(ids))
	}
	for _, id := range ids {
		if row := in.row(t, id); row.Status != db.OutboxSent || row.Attempts != 1 || fake.Deliveries()[id] != 1 {
			t.Errorf("mail %s: %s after %d counted attempts, delivered %d times; want sent at the first, once", id, row.Status, row.Attempts, fake.Deliveries()[id])
		}
	}
	if got := counterValue(t, in.metrics, "aikagi_mail_provider_throttled_total", nil); got != float64(len(throttled)) {
		t.Errorf("throttled requests counted: %v, want %d", got, len(throttled))
	}
}

// counterValue reads the series name{labels} from m's scrape.
func counterValue(t *testing.T, m *metrics.Metrics, name string, labels map[string]string) float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	family := families[name]
	if family == nil {
		t.Fatalf("no series %s", name)
	}
	for _, metric := range family.GetMetric() {
		matches := true
		for _, pair := range metric.GetLabel() {
			if want, ok := labels[pair.GetName()]; ok && want != pair.GetValue() {
				matches = false
			}
		}
		if matches {
			return metric.GetCounter().GetValue()
		}
	}
	t.Fatalf("no series %s%v", name, labels)
	return 0
}
