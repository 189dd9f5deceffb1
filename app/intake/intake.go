// Package intake takes step 3's requests off the request path: step 3
// records each request, sealed, with the same statement whatever it holds,
// and a worker in every instance matches them against the accounts a moment
// later, in the transaction that deletes them. Nothing a response does can
// then depend on whether an account matched.
package intake

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"aikagi/app/metrics"
	"aikagi/app/route"
	"aikagi/app/secret"
	"aikagi/db"

	"github.com/uptrace/bun"
)

const (
	// Delay is how long a request waits before a worker may take
	// it: long enough for its own response to be on its way, so that the
	// work of matching it (more for a match than for none) never shares
	// the machine with that response.
	Delay = 50 * time.Millisecond
	// poll is how often a worker looks for requests that another
	// instance recorded and did not match (it died, or is busy). The
	// instance that records a request wakes its own worker, which takes
	// it after Delay.
	poll = 500 * time.Millisecond
	// MaxAttempts bounds the tries at a request whose processing
	// fails (a database error that lasts, a bug); with RetryDelay
	// they span about half a minute.
	MaxAttempts = 5
	// Batch is how many requests one transaction takes.
	Batch = 50
	// Lanes is how many batches one worker matches at once on PostgreSQL.
	Lanes = 2
	// KeyGrace is how long a request that this instance cannot open
	// (sealed under a key it was not given) is left for another instance,
	// retried every KeyRetry without counting as a failed attempt.
	KeyGrace = 10 * time.Minute
	KeyRetry = 2 * time.Second
	// MaxAge is how long a request may wait at all: the sweep
	// finishes anything older, unmatched, so that no personal data lingers.
	MaxAge = 24 * time.Hour
)

// sweepEvery is how often the worker finishes requests left too long.
const sweepEvery = 10 * time.Minute

// Outcome is what the worker made of a request.
type Outcome string

const (
	Matched   Outcome = "matched"   // a mail was queued
	Unmatched Outcome = "unmatched" // no account matched
	Limited   Outcome = "limited"   // matched, over a mail limit: nothing sent
	Disabled  Outcome = "disabled"  // matched a disabled account: nothing sent
	Failed    Outcome = "failed"    // could not be processed; finished with an audit event
	Expired   Outcome = "expired"   // waited longer than MaxAge
)

// Outcomes lists every outcome.
var Outcomes = []Outcome{Matched, Unmatched, Limited, Disabled, Failed, Expired}

// Values are a request's confirmed values, as sealed in its row.
type Values struct {
	LoginID string `json:"l"`
	Email   string `json:"e"`
}

// Request is a recorded step 3 as a matcher sees it: the confirmed values,
// and when, from where and in which language they were sent.
type Request struct {
	Values
	At   time.Time
	Who  db.Actor
	Lang string
}

// Matcher is a journey's part of a recorded request, in the transaction
// that deletes it: find the account, apply the mail limits, queue the mail,
// audit.
type Matcher func(ctx context.Context, tx bun.Tx, r Request) (Outcome, error)

// Worker records requests and matches them.
type Worker struct {
	db         *bun.DB
	log        *slog.Logger
	now        func() time.Time
	sealer     *secret.Sealer
	metrics    *metrics.Metrics
	matchers   map[route.Journey]Matcher
	outboxWake func() // a matched request queued mail
	wake       chan struct{}
	polls      db.FailureLog // Run's polls of the database, logged once per outage

	// Delay is how long a recorded request waits (Delay above); tests
	// set 0.
	Delay time.Duration
	// Sleep, when set (by tests, with a fake clock), replaces real waiting.
	Sleep func(ctx context.Context, d time.Duration) error
	// BeforeCommit, when set by a test, runs as the last statement of a
	// transaction; an error rolls it back, as a crash would.
	BeforeCommit func(*db.IntakeRequest) error
}

// Deps are what a Worker works with.
type Deps struct {
	DB         *bun.DB
	Log        *slog.Logger
	Now        func() time.Time
	Sealer     *secret.Sealer
	Metrics    *metrics.Metrics
	Matchers   map[route.Journey]Matcher // one per journey
	OutboxWake func()
}

// New returns a worker; it runs when Run is called. Every journey's
// outcome series starts at zero.
func New(d Deps) *Worker {
	for j := range d.Matchers {
		for _, o := range Outcomes {
			d.Metrics.Intake.WithLabelValues(string(j), string(o))
		}
	}
	return &Worker{db: d.DB, log: d.Log, now: d.Now, sealer: d.Sealer, metrics: d.Metrics, matchers: d.Matchers,
		outboxWake: d.OutboxWake, wake: make(chan struct{}, 1), Delay: Delay}
}

// Record is step 3's database work, the same statement whatever the
// values: the request is stored, sealed, for the worker to match.
func (w *Worker) Record(ctx context.Context, journey route.Journey, v Values, who db.Actor, lang string) error {
	plain, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("record request: %w", err)
	}
	id := secret.NewID() // what the seal binds to
	row := &db.IntakeRequest{
		ID:        id,
		Journey:   string(journey),
		Payload:   w.sealer.Seal(id, plain),
		Lang:      lang,
		IP:        who.IP,
		UserAgent: who.UserAgent,
	}
	now := w.now()
	if err := db.InsertIntake(ctx, w.db, row, now, now.Add(w.Delay)); err != nil {
		return err
	}
	w.Wake()
	return nil
}

// Wake tells the worker a request is waiting, without blocking.
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// sleep waits d, or until ctx ends.
func (w *Worker) sleep(ctx context.Context, d time.Duration) error {
	if w.Sleep != nil {
		return w.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
