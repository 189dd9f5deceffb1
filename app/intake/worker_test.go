package intake

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/uptrace/bun"

	"aikagi/app/config"
	"aikagi/app/metrics"
	"aikagi/app/route"
	"aikagi/app/secret"
	"aikagi/app/testkit"
	"aikagi/db"
	"aikagi/db/dbtest"
)

// Keys of the tests, as SECRET_KEY takes them.
var (
	keyA = strings.Repeat("a1", 32)
	keyB = strings.Repeat("b2", 32)
)

// testStart is when every test's clock starts: a whole second, as the
// database stores times.
var testStart = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// fakeJourney stands in for a journey's matcher. It keeps every request it
// is handed and, as a real matcher does, audits it in the transaction, so
// that a try rolled back leaves nothing. A login ID starting with "fail"
// makes it fail, "panic" panic, and "nobody" match no account.
type fakeJourney struct {
	kind db.AuditKind // what a match records
	mu   sync.Mutex
	seen []Request
}

func (j *fakeJourney) match(ctx context.Context, tx bun.Tx, r Request) (Outcome, error) {
	j.mu.Lock()
	j.seen = append(j.seen, r)
	j.mu.Unlock()
	switch {
	case strings.HasPrefix(r.LoginID, "fail"):
		return "", errors.New("the account store is down")
	case strings.HasPrefix(r.LoginID, "panic"):
		panic("a bug in the matching code")
	case strings.HasPrefix(r.LoginID, "nobody"):
		return Unmatched, nil
	}
	event := &db.AuditEvent{Kind: j.kind, LoginID: r.LoginID, IP: r.Who.IP, UserAgent: r.Who.UserAgent}
	return Matched, db.RecordAudit(ctx, tx, event, r.At)
}

// handed lists the login IDs the journey was handed, sorted: requests
// due at the same time are taken in no particular order.
func (j *fakeJourney) handed() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	ids := make([]string, len(j.seen))
	for i, r := range j.seen {
		ids[i] = r.LoginID
	}
	slices.Sort(ids)
	return ids
}

// instance is one instance's worker, with its fake journeys, the mail
// wake-ups it asked for and its metrics.
type instance struct {
	w        *Worker
	db       *bun.DB
	reset    *fakeJourney
	reminder *fakeJourney
	metrics  *metrics.Metrics
	wakes    atomic.Int64 // OutboxWake calls: matches that queued mail
}

// newInstance builds a worker on bdb whose SECRET_KEY is key, on clock.
func newInstance(t *testing.T, bdb *bun.DB, clock *testkit.Clock, key string) *instance {
	t.Helper()
	cfg, err := config.Load(func(name string) string {
		return map[string]string{"SECRET_KEY": key}[name]
	}, func() []byte { return make([]byte, 32) })
	if err != nil {
		t.Fatal(err)
	}
	in := &instance{
		db:       bdb,
		reset:    &fakeJourney{kind: db.AuditResetRequested},
		reminder: &fakeJourney{kind: db.AuditReminderRequested},
		metrics:  metrics.New(bdb, clock.Now, config.BuildInfo{}),
	}
	in.w = New(Deps{
		DB:      bdb,
		Log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:     clock.Now,
		Sealer:  secret.NewSealer(cfg),
		Metrics: in.metrics,
		Matchers: map[route.Journey]Matcher{
			route.ResetJourney:    in.reset.match,
			route.ReminderJourney: in.reminder.match,
		},
		OutboxWake: func() { in.wakes.Add(1) },
	})
	return in
}

// record records step 3 of journey for loginID, from 192.0.2.1.
func (in *instance) record(t *testing.T, journey route.Journey, loginID string) {
	t.Helper()
	v := Values{LoginID: loginID, Email: loginID + "@example.jp"}
	if err := in.w.Record(context.Background(), journey, v, db.Actor{IP: "192.0.2.1", UserAgent: "test browser"}, "ja"); err != nil {
		t.Fatalf("record %s: %v", loginID, err)
	}
}

// process runs ProcessDue and returns how many requests it took.
func (in *instance) process(t *testing.T) int {
	t.Helper()
	n, err := in.w.ProcessDue(context.Background())
	if err != nil {
		t.Fatalf("ProcessDue: %v", err)
	}
	return n
}

// outcomes is the count of journey's outcome in the metrics.
func (in *instance) outcomes(t *testing.T, journey route.Journey, o Outcome) int {
	t.Helper()
	var m dto.Metric
	if err := in.metrics.Intake.WithLabelValues(string(journey), string(o)).Write(&m); err != nil {
		t.Fatal(err)
	}
	return int(m.GetCounter().GetValue())
}

// waiting lists the requests still recorded.
func waiting(t *testing.T, bdb *bun.DB) []db.IntakeRequest {
	t.Helper()
	var rows []db.IntakeRequest
	if err := bdb.NewSelect().Model(&rows).Order("requested_at", "id").Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	return rows
}

// auditTrail is every audit event, oldest first.
func auditTrail(t *testing.T, bdb *bun.DB) []db.AuditEvent {
	t.Helper()
	var events []db.AuditEvent
	if err := bdb.NewSelect().Model(&events).Order("id").Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	return events
}

// A recorded request waits Delay, sealed; then it is handed to its
// journey's matcher once, with the values, time, client and language of
// step 3, and removed. Only a match wakes the outbox.
func TestProcessDueHandsEachRequestToItsJourneyOnce(t *testing.T) {
	dbtest.ForEachDialect(t, func(t *testing.T, dialect string) {
		clock := testkit.NewClock(testStart)
		in := newInstance(t, dbtest.Open(t, dialect), clock, keyA)
		in.record(t, route.ResetJourney, "taro01")
		in.record(t, route.ReminderJourney, "hana02")
		in.record(t, route.ResetJourney, "nobody03")
		for _, row := range waiting(t, in.db) {
			if bytes.Contains(row.Payload, []byte("@example.jp")) {
				t.Errorf("request %s is stored in clear: %q", row.ID, row.Payload)
			}
		}
		if n := in.process(t); n != 0 {
			t.Fatalf("processed %d before Delay, want none", n)
		}
		clock.Advance(Delay)
		if n := in.process(t); n != 3 {
			t.Fatalf("processed %d, want 3", n)
		}
		if n := in.process(t); n != 0 {
			t.Errorf("processed %d more on a second run, want none", n)
		}

		if got := fmt.Sprint(in.reset.handed(), in.reminder.handed()); got != "[nobody03 taro01] [hana02]" {
			t.Errorf("handed reset, reminder = %s", got)
		}
		want := Request{Values: Values{LoginID: "taro01", Email: "taro01@example.jp"}, At: testStart, Who: db.Actor{IP: "192.0.2.1", UserAgent: "test browser"}, Lang: "ja"}
		i := slices.IndexFunc(in.reset.seen, func(r Request) bool { return r.LoginID == "taro01" })
		if got := in.reset.seen[i]; got.Values != want.Values || !got.At.Equal(want.At) || got.Who != want.Who || got.Lang != want.Lang {
			t.Errorf("the matcher was handed %+v, want %+v", got, want)
		}
		if rows := waiting(t, in.db); len(rows) != 0 {
			t.Errorf("%d requests left", len(rows))
		}
		if n := len(auditTrail(t, in.db)); n != 2 {
			t.Errorf("%d audit events, want the two matches'", n)
		}
		if n := in.wakes.Load(); n != 2 {
			t.Errorf("the outbox was woken %d times, want once per match (2)", n)
		}
		for _, c := range []struct {
			journey route.Journey
			outcome Outcome
			want    int
		}{
			{route.ResetJourney, Matched, 1},
			{route.ResetJourney, Unmatched, 1},
			{route.ReminderJourney, Matched, 1},
			{route.ReminderJourney, Unmatched, 0},
		} {
			if got := in.outcomes(t, c.journey, c.outcome); got != c.want {
				t.Errorf("%s %s = %d, want %d", c.journey, c.outcome, got, c.want)
			}
		}
	})
}

// A request whose matcher fails, or panics, is retried after RetryDelay
// without holding back the requests beside it, and after MaxAttempts is
// finished with an audit event that names why; nothing it did in a failed
// try remains, and the worker carries on.
func TestFailingRequestIsRetriedThenFinished(t *testing.T) {
	for _, tc := range []struct {
		loginID string
		reason  string // in the audit event
	}{
		{"fail01", "the account store is down"},
		{"panic01", "panic: a bug in the matching code"},
	} {
		t.Run(tc.loginID, func(t *testing.T) {
			t.Parallel()
			dbtest.ForEachDialect(t, func(t *testing.T, dialect string) {
				clock := testkit.NewClock(testStart)
				in := newInstance(t, dbtest.Open(t, dialect), clock, keyA)
				in.record(t, route.ResetJourney, tc.loginID)
				in.record(t, route.ResetJourney, "taro01")
				clock.Advance(Delay)
				for attempt := 1; attempt <= MaxAttempts; attempt++ {
					if n := in.process(t); n == 0 {
						t.Fatalf("try %d: nothing processed", attempt)
					}
					if attempt == MaxAttempts {
						break
					}
					rows := waiting(t, in.db)
					if len(rows) != 1 || rows[0].Attempts != attempt || !strings.Contains(rows[0].LastError, tc.reason) {
						t.Fatalf("after try %d: waiting %+v, want the request with %d attempts and its error", attempt, rows, attempt)
					}
					clock.Advance(RetryDelay(attempt) - time.Second)
					if n := in.process(t); n != 0 {
						t.Fatalf("after try %d: retried before RetryDelay", attempt)
					}
					clock.Advance(time.Second)
				}
				if rows := waiting(t, in.db); len(rows) != 0 {
					t.Fatalf("%d requests left after %d tries", len(rows), MaxAttempts)
				}
				events := auditTrail(t, in.db)
				if len(events) != 2 {
					t.Fatalf("audit = %+v, want the match and the failure", events)
				}
				if e := events[0]; e.Kind != db.AuditResetRequested || e.LoginID != "taro01" {
					t.Errorf("first event %s %s, want taro01 matched once", e.Kind, e.LoginID)
				}
				failed := events[1]
				if failed.Kind != db.AuditRequestFailed || !strings.Contains(failed.Detail, "reset") || !strings.Contains(failed.Detail, tc.reason) {
					t.Errorf("last event %s %q, want %s naming the journey and %q", failed.Kind, failed.Detail, db.AuditRequestFailed, tc.reason)
				}
				if failed.IP != "192.0.2.1" || !failed.At.Equal(testStart) {
					t.Errorf("failure audited from %s at %v, want the request's 192.0.2.1 at %v", failed.IP, failed.At, testStart)
				}
				if got := in.outcomes(t, route.ResetJourney, Failed); got != 1 {
					t.Errorf("failed = %d, want 1", got)
				}
				if n := in.wakes.Load(); n != 1 {
					t.Errorf("the outbox was woken %d times, want once for taro01", n)
				}
			})
		})
	}
}

// A request that waited longer than MaxAge is swept: finished with an
// audit event, never matched. A younger one stays.
func TestSweepFinishesRequestsOlderThanMaxAge(t *testing.T) {
	dbtest.ForEachDialect(t, func(t *testing.T, dialect string) {
		clock := testkit.NewClock(testStart)
		in := newInstance(t, dbtest.Open(t, dialect), clock, keyA)
		in.record(t, route.ReminderJourney, "old01")
		clock.Advance(MaxAge - time.Minute)
		in.record(t, route.ResetJourney, "young02")
		clock.Advance(2 * time.Minute)
		in.w.Sweep(context.Background())

		rows := waiting(t, in.db)
		if len(rows) != 1 || rows[0].Journey != string(route.ResetJourney) {
			t.Errorf("waiting %+v, want only the younger request", rows)
		}
		events := auditTrail(t, in.db)
		if len(events) != 1 {
			t.Fatalf("audit = %+v, want one expiry", events)
		}
		if e := events[0]; e.Kind != db.AuditRequestExpired || !strings.Contains(e.Detail, "reminder") || !e.At.Equal(testStart) || e.IP != "192.0.2.1" {
			t.Errorf("event %s %q at %v from %s, want %s of the reminder at %v from 192.0.2.1", e.Kind, e.Detail, e.At, e.IP, db.AuditRequestExpired, testStart)
		}
		if got := fmt.Sprint(in.reset.handed(), in.reminder.handed()); got != "[] []" {
			t.Errorf("handed reset, reminder = %s, want nothing", got)
		}
		if got := in.outcomes(t, route.ReminderJourney, Expired); got != 1 {
			t.Errorf("expired = %d, want 1", got)
		}
	})
}

// A request that one instance's worker finished is not finished again by
// another that read it before: one audit event, counted once.
func TestFinishedRequestIsNotFinishedTwice(t *testing.T) {
	dbtest.ForEachDialect(t, func(t *testing.T, dialect string) {
		dsn := dbtest.Fresh(t, dialect)
		clock := testkit.NewClock(testStart)
		a := newInstance(t, dbtest.OpenDSN(t, dsn), clock, keyA)
		b := newInstance(t, dbtest.OpenDSN(t, dsn), clock, keyA)
		a.record(t, route.ResetJourney, "old01")
		clock.Advance(MaxAge + time.Minute)
		ctx := context.Background()
		stale, err := db.StaleIntake(ctx, b.db, clock.Now().Add(-MaxAge), 100)
		if err != nil || len(stale) != 1 {
			t.Fatalf("StaleIntake = %d rows, %v; want the request", len(stale), err)
		}
		a.w.Sweep(ctx)
		if err := b.w.finish(ctx, &stale[0], Expired, "not processed within "+MaxAge.String()); err != nil {
			t.Fatalf("finishing a finished request: %v", err)
		}
		if events := auditTrail(t, a.db); len(events) != 1 {
			t.Errorf("%d audit events, want one", len(events))
		}
		if got := a.outcomes(t, route.ResetJourney, Expired) + b.outcomes(t, route.ResetJourney, Expired); got != 1 {
			t.Errorf("expired counted %d times across the instances, want once", got)
		}
	})
}

// A request sealed under a key this instance was not given is left for
// one that has it, retried every KeyRetry, without using up its tries.
func TestRequestSealedUnderAnotherKeyIsLeftForItsInstance(t *testing.T) {
	dbtest.ForEachDialect(t, func(t *testing.T, dialect string) {
		dsn := dbtest.Fresh(t, dialect)
		clock := testkit.NewClock(testStart)
		a := newInstance(t, dbtest.OpenDSN(t, dsn), clock, keyA)
		b := newInstance(t, dbtest.OpenDSN(t, dsn), clock, keyB)
		a.record(t, route.ResetJourney, "taro01")
		clock.Advance(Delay)
		if n := b.process(t); n != 1 {
			t.Fatalf("the other instance tried %d requests, want 1", n)
		}
		rows := waiting(t, a.db)
		if len(rows) != 1 || rows[0].Attempts != 0 {
			t.Fatalf("waiting %+v, want the request with no try used", rows)
		}
		if n := a.process(t); n != 0 {
			t.Errorf("the request was due again before KeyRetry")
		}
		clock.Advance(KeyRetry)
		if n := a.process(t); n != 1 {
			t.Fatalf("the instance with the key processed %d, want 1", n)
		}
		if got := fmt.Sprint(a.reset.handed(), b.reset.handed()); got != "[taro01] []" {
			t.Errorf("handed (key A, key B) = %s", got)
		}
		if events := auditTrail(t, a.db); len(events) != 1 || events[0].Kind != db.AuditResetRequested {
			t.Errorf("audit = %+v, want the one match", events)
		}
	})
}

// Two instances' workers on one PostgreSQL database, running at once, take
// different requests (SKIP LOCKED): each request is matched exactly once.
func TestTwoWorkersProcessEachRequestOnce(t *testing.T) {
	t.Parallel()
	dsn := dbtest.Fresh(t, "postgres")
	clock := testkit.NewClock(testStart)
	a := newInstance(t, dbtest.OpenDSN(t, dsn), clock, keyA)
	b := newInstance(t, dbtest.OpenDSN(t, dsn), clock, keyA)
	const requests = 3*Batch + 7
	for i := range requests {
		journey := route.ResetJourney
		if i%3 == 0 {
			journey = route.ReminderJourney
		}
		a.record(t, journey, fmt.Sprintf("taro%03d", i))
	}
	clock.Advance(Delay)

	var wg sync.WaitGroup
	var processed atomic.Int64
	start := make(chan struct{})
	for _, in := range []*instance{a, b} {
		wg.Go(func() {
			<-start
			n, err := in.w.ProcessDue(context.Background())
			if err != nil {
				t.Errorf("ProcessDue: %v", err)
			}
			processed.Add(int64(n))
		})
	}
	close(start)
	wg.Wait()

	if n := processed.Load(); n != requests {
		t.Errorf("the workers processed %d requests together, want %d", n, requests)
	}
	if rows := waiting(t, a.db); len(rows) != 0 {
		t.Errorf("%d requests left", len(rows))
	}
	handed, matched := map[string]int{}, map[string]int{}
	for _, j := range []*fakeJourney{a.reset, a.reminder, b.reset, b.reminder} {
		for _, id := range j.handed() {
			handed[id]++
		}
	}
	for _, e := range auditTrail(t, a.db) {
		matched[e.LoginID]++
	}
	for i := range requests {
		if id := fmt.Sprintf("taro%03d", i); handed[id] != 1 || matched[id] != 1 {
			t.Errorf("%s handed over %d times and matched %d, want once each", id, handed[id], matched[id])
		}
	}
}
