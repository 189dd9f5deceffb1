package mail

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"aikagi/app/config"
	"aikagi/app/metrics"
	"aikagi/app/secret"
	"aikagi/db"

	"github.com/uptrace/bun"
)

const (
	// MaxBatch is the most mails one request hands over: Resend's limit
	// for its batch endpoint.
	MaxBatch = 100
	// Lease is how long a claim holds unless renewed; then another
	// worker takes the mail over. A live worker renews the claims it holds
	// right before each send and every RenewEvery while it waits, so
	// a killed instance's mail goes out within Lease plus one
	// Poll of another instance running (the 30 s of the spec). A send
	// starts only on a claim just renewed and is cut off before that
	// renewal runs out (resendTimeout is shorter still), so a live worker
	// never sends on a claim it has lost.
	Lease      = 20 * time.Second
	RenewEvery = 5 * time.Second
	Poll       = time.Second
	// MaxAttempts tries span about 35 minutes with RetryDelay: longer
	// than a reset link lives by default, so a mail that dies had no chance.
	// A request the provider refused for its rate limit (429) is not an
	// attempt.
	MaxAttempts = 10
	// ClaimMargin is kept between the end of a send and the end of
	// its claim, for the clocks of two instances that disagree a little.
	ClaimMargin = 2 * time.Second
	// shutdownGrace lets a send under way at shutdown finish.
	shutdownGrace = 10 * time.Second
	// expireBatch bounds the rows one pass marks expired.
	expireBatch = 500
	// maxSenders bounds the calls one instance has under way at once.
	maxSenders = 64
)

// Outbox queues mail in the database, in the caller's transaction, and
// delivers it through a Sender: a worker in every instance claims due
// mail in fair order — each recipient's first mail before repeats, then
// earliest deadline — in batches of up to BatchSize, and hands each batch
// over in one request, several requests at once, at the provider's pace
// shared by every instance. Failed requests are retried with backoff; mail
// past its deadline is not sent. A mail is queued with the change that
// causes it, so it is never lost and never sent for a change that rolled
// back.
type Outbox struct {
	db           *bun.DB
	log          *slog.Logger
	now          func() time.Time
	sender       Sender
	sealer       *secret.Sealer
	metrics      *metrics.Metrics
	from         string        // MAIL_FROM
	rate         config.Limit  // RESEND_RATE_LIMIT, shared by every instance
	batchSize    int           // mails per request, at most
	senders      int           // requests under way at once, at most
	repeatWindow time.Duration // a recipient's mail within this of another is a repeat
	wake         chan struct{}

	mu          sync.Mutex
	pausedUntil time.Time // the provider asked to wait until then

	polls db.FailureLog // Run's polls of the database, logged once per outage

	// Sleep, when set (by tests, with a fake clock), replaces real waiting.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Deps are what an Outbox works with.
type Deps struct {
	DB      *bun.DB
	Log     *slog.Logger
	Now     func() time.Time
	Sender  Sender
	Sealer  *secret.Sealer
	Metrics *metrics.Metrics
	From    string       // the From header of every mail
	Rate    config.Limit // requests to a rate-limited provider, by all instances
	// BatchSize is the most mails handed over in one request (MaxBatch
	// when zero; 1 sends every mail on its own). Batches need a
	// BatchSender.
	BatchSize int
	// RepeatWindow is how long a recipient's earlier mail makes a new one
	// a repeat, served after first mails (LIMIT_MAILS_PER_ACCOUNT's window).
	RepeatWindow time.Duration
}

// New returns an outbox; its worker runs when Run is called. Every mail
// kind's delivery series starts at zero.
func New(d Deps) *Outbox {
	for _, kind := range Kinds {
		for _, result := range Results {
			d.Metrics.Mails.WithLabelValues(string(kind), string(result))
		}
		for _, event := range db.DeliveryEvents {
			d.Metrics.Reports.WithLabelValues(string(kind), string(event))
		}
	}
	o := &Outbox{db: d.DB, log: d.Log, now: d.Now, sender: d.Sender, sealer: d.Sealer, metrics: d.Metrics,
		from: d.From, rate: d.Rate, batchSize: d.BatchSize, senders: 1, repeatWindow: d.RepeatWindow, wake: make(chan struct{}, 1)}
	if o.batchSize <= 0 || o.batchSize > MaxBatch {
		o.batchSize = MaxBatch
	}
	if _, ok := d.Sender.(BatchSender); !ok {
		o.batchSize = 1
	}
	if o.repeatWindow <= 0 {
		o.repeatWindow = time.Hour
	}
	if _, ok := d.Sender.(rateLimitedSender); ok && d.Rate.Max > 0 {
		o.senders = Senders(d.Rate)
	}
	return o
}

// Senders is how many requests one instance keeps under way for the
// provider's pace rate: enough that a provider answering in up to 400 ms
// is never what limits the pace (a request waiting for its turn holds a
// place too), and at least two, so that one slow answer does not stop the
// others.
func Senders(rate config.Limit) int {
	perSecond := float64(rate.Max) / rate.Window.Seconds()
	return min(max(int(math.Ceil(perSecond*0.4))+1, 2), maxSenders)
}

// Result is what became of one delivery attempt, as the metrics count it.
type Result string

const (
	ResultSent    Result = "sent"
	ResultRetry   Result = "retry"
	ResultDead    Result = "dead"
	ResultExpired Result = "expired" // its deadline passed before it could be handed over
)

// Results lists every result.
var Results = []Result{ResultSent, ResultRetry, ResultDead, ResultExpired}

func (o *Outbox) pause(until time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if until.After(o.pausedUntil) {
		o.pausedUntil = until
	}
}

func (o *Outbox) paused(now time.Time) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return now.Before(o.pausedUntil)
}

// sleep waits d, or until ctx ends.
func (o *Outbox) sleep(ctx context.Context, d time.Duration) error {
	if o.Sleep != nil {
		return o.Sleep(ctx, d)
	}
	if d <= 0 {
		return ctx.Err()
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

// Run delivers queued mail until ctx ends: at once when this instance
// queues a mail (Wake), and every Poll for rows queued by other instances,
// due for a retry, or left behind by a worker that died (a poll rather
// than LISTEN/NOTIFY: docs/architecture.md, "Workers poll"). It claims a
// unit of mail whenever one of its senders is free, and returns once the
// sends under way have finished or handed their mail back.
func (o *Outbox) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	free := make(chan struct{}, o.senders)
	for range o.senders {
		free <- struct{}{}
	}
	ticker := time.NewTicker(Poll)
	defer ticker.Stop()
	for {
		pollErr := o.expireOverdue(ctx)
	claiming:
		for ctx.Err() == nil && !o.paused(o.now()) {
			select {
			case <-free:
			default:
				break claiming // every sender is busy; one wakes us when done
			}
			c, err := o.claimNext(ctx)
			if err != nil || c == nil {
				free <- struct{}{}
				pollErr = cmp.Or(pollErr, err)
				break
			}
			wg.Go(func() {
				defer func() {
					free <- struct{}{}
					o.Wake()
				}()
				o.deliverClaim(ctx, c)
			})
		}
		switch {
		case ctx.Err() != nil:
		case pollErr != nil:
			o.polls.Failed(o.log, "outbox: poll", pollErr)
		default:
			o.polls.Succeeded(o.log, "outbox: poll")
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-o.wake:
		}
	}
}

// DeliverDue sends what is due, one claimed unit after another, and
// returns how many mails it handed over. It stops early, handing back what
// it has not sent, when ctx ends or when the provider asks for a pause.
// (Run does the same with several requests under way.)
func (o *Outbox) DeliverDue(ctx context.Context) (sent int, err error) {
	if err := o.expireOverdue(ctx); err != nil {
		return 0, err
	}
	for ctx.Err() == nil && !o.paused(o.now()) {
		c, err := o.claimNext(ctx)
		if err != nil || c == nil {
			return sent, err
		}
		n, err := o.deliverClaim(ctx, c)
		sent += n
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}

// claim is a unit of mail this worker holds — one row, or the members of
// a batch — and until when it holds them.
type claim struct {
	rows      []db.OutboxMail
	heldUntil time.Time
}

// batch is the id of the batch c holds, or "" for a single row.
func (c *claim) batch() string {
	if len(c.rows) == 1 && c.rows[0].BatchID == "" {
		return ""
	}
	return c.rows[0].BatchID
}

// retried reports whether c was tried before: its batch then may have
// reached the provider, and must be sent again as it is.
func (c *claim) retried() bool { return c.rows[0].Attempts > 1 }

// claimNext claims the next unit of due mail, or returns nil when none is
// due.
func (o *Outbox) claimNext(ctx context.Context) (*claim, error) {
	now := o.now()
	rows, err := db.ClaimMail(ctx, o.db, now, Lease, o.batchSize, "b"+NewID())
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return &claim{rows: rows, heldUntil: db.Stamp(now.Add(Lease))}, nil
}

// expireOverdue ends the waiting mail whose deadline has passed: it is not
// sent, and is counted and logged; support sees it on the account's
// timeline and in the needs-attention list.
func (o *Outbox) expireOverdue(ctx context.Context) error {
	for ctx.Err() == nil {
		rows, err := db.ExpireOverdueMail(ctx, o.db, o.now(), expireBatch)
		if err != nil {
			return fmt.Errorf("outbox: expire: %w", err)
		}
		for _, row := range rows {
			o.metrics.Mails.WithLabelValues(row.Kind, string(ResultExpired)).Inc()
			o.log.Error("outbox: the mail passed its deadline before it could be handed over; it was not sent",
				"outbox_id", row.ID, "kind", row.Kind, "account_id", row.AccountID, "queued_at", row.CreatedAt, "deadline", row.ExpiresAt,
				"action", "check the provider and aikagi_outbox_oldest_waiting_seconds; the merchant can ask again")
		}
		if len(rows) < expireBatch {
			return nil
		}
	}
	return nil
}

// deliverClaim waits for the provider's turn while holding c, then hands
// c over: one request for a single row, or for the whole batch.
func (o *Outbox) deliverClaim(ctx context.Context, c *claim) (sent int, err error) {
	size := len(c.rows)
	if ctx.Err() != nil {
		o.handBack(ctx, c) // shutdown began right after the claim
		return 0, nil
	}
	// Everything but the request itself comes before the turn is booked:
	// a request that leaves late bunches with the next one at the
	// provider, which answers 429. (The renewal is not cut short by a
	// shutdown: it decides whether the claim is this worker's to hand back.)
	if err := o.renewClaim(context.WithoutCancel(ctx), c); err != nil {
		// Whether the claim still holds is unknown: send nothing. The
		// rows go to whoever claims them once the lease runs out.
		return 0, err
	}
	if len(c.rows) < size {
		return 0, nil // another worker took the unit over: it sends it, whole
	}
	msgs, ok := o.openClaim(context.WithoutCancel(ctx), c)
	if !ok {
		return 0, nil
	}
	// The claim stays fresh while it waits (sleepHolding renews it every
	// RenewEvery), so the request may start as soon as the turn comes.
	err = o.waitToSend(ctx, c)
	if len(c.rows) < size {
		// Another worker took the unit over while this one waited (a
		// stalled process): it sends the unit, whole.
		return 0, err
	}
	if err != nil {
		o.handBack(ctx, c)
		if ctx.Err() != nil {
			return 0, nil
		}
		return 0, err
	}
	if ctx.Err() != nil || o.paused(o.now()) {
		o.handBack(ctx, c)
		return 0, nil
	}
	if c.batch() == "" {
		if o.deliver(ctx, c.rows[0], msgs[0].Message, c.heldUntil) {
			return 1, nil
		}
		return 0, nil
	}
	return o.deliverBatch(ctx, c, msgs), nil
}

// renewClaim extends the lease of the rows c holds, and drops from c those
// it no longer holds: another worker took them over when this one missed
// its renewals (a stalled process, a lost connection).
func (o *Outbox) renewClaim(ctx context.Context, c *claim) error {
	if len(c.rows) == 0 {
		return nil
	}
	until := db.Stamp(o.now().Add(Lease))
	ids, err := db.RenewMailClaims(ctx, o.db, c.rows, until)
	if err != nil {
		return fmt.Errorf("outbox: renew claim: %w", err)
	}
	held := make(map[string]bool, len(ids))
	for _, id := range ids {
		held[id] = true
	}
	var kept []db.OutboxMail
	for _, row := range c.rows {
		if held[row.ID] {
			kept = append(kept, row)
			continue
		}
		o.log.Warn("outbox: the claim passed to another worker before this one sent; it keeps the row", "outbox_id", row.ID)
	}
	c.rows = kept
	c.heldUntil = until
	return nil
}

// handBack returns the rows of c to the outbox uncounted, due at once. A
// batch stays whole: it may be a retry of a request that reached the
// provider.
func (o *Outbox) handBack(ctx context.Context, c *claim) {
	o.release(ctx, c, o.now(), true, "")
	o.log.Info("outbox: handed back unsent mail", "count", len(c.rows))
}

// release returns the rows of c uncounted, due at next; with keepBatch
// they stay one batch. reason, when not empty, is kept as their last error.
func (o *Outbox) release(ctx context.Context, c *claim, next time.Time, keepBatch bool, reason string) {
	ctx = context.WithoutCancel(ctx)
	for _, row := range c.rows {
		if _, err := db.ReleaseMail(ctx, o.db, row.ID, row.Attempts, next, keepBatch, reason); err != nil {
			o.log.Error("outbox: hand back", "outbox_id", row.ID, "err", err)
		}
	}
}

// paceMargin spaces requests a little wider than RESEND_RATE_LIMIT allows,
// so that a request delayed on its way (a busy machine, a slow connection)
// does not arrive within the same second as the ones around it and get a
// 429 from a provider that counts over a sliding second.
const paceMargin = 0.05

// interval is the time between two requests to the provider under rate.
func interval(rate config.Limit) time.Duration {
	return time.Duration(float64(rate.Window) / float64(rate.Max) * (1 + paceMargin))
}

// waitToSend blocks until this instance may make one more request to a
// rate-limited provider. The slots are booked in the database
// (db.TakeSlot), so that every instance shares the pace: one request every
// interval, evenly spread. While it waits it keeps the claim c alive, and
// it stops waiting when c has lost every row.
func (o *Outbox) waitToSend(ctx context.Context, c *claim) error {
	if _, ok := o.sender.(rateLimitedSender); !ok {
		return nil
	}
	now := o.now()
	slot, err := db.TakeSlot(ctx, o.db, providerRateKey, now, interval(o.rate))
	if err != nil {
		return fmt.Errorf("outbox: rate limit: %w", err)
	}
	return o.sleepHolding(ctx, slot.Sub(now), c)
}

// sleepHolding waits d, or until ctx ends, renewing the claim c (when not
// nil) every RenewEvery: a long wait for the provider's rate limit
// must not cost the claim. It returns early when c has lost every row.
func (o *Outbox) sleepHolding(ctx context.Context, d time.Duration, c *claim) error {
	if c == nil || d <= RenewEvery {
		return o.sleep(ctx, d)
	}
	for d > 0 {
		step := min(d, RenewEvery)
		if err := o.sleep(ctx, step); err != nil {
			return err
		}
		d -= step
		if d <= 0 {
			break
		}
		if err := o.renewClaim(ctx, c); err != nil {
			return err
		}
		if len(c.rows) == 0 {
			return nil
		}
	}
	return nil
}
