package mail

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"aikagi/app/config"
	"aikagi/app/metrics"
	"aikagi/app/secret"
	"aikagi/db"

	"github.com/uptrace/bun"
)

const (
	Batch = 10
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
	MaxAttempts = 10
	// ClaimMargin is kept between the end of a send and the end of
	// its claim, for the clocks of two instances that disagree a little.
	ClaimMargin = 2 * time.Second
	// shutdownGrace lets a send under way at shutdown finish.
	shutdownGrace = 10 * time.Second
	// Retention is how long a dead row keeps its sealed payload for
	// "outbox retry" (a reset link's expiry ends it sooner).
	Retention = 7 * 24 * time.Hour
)

// Outbox queues mail in the database, in the caller's transaction, and
// delivers it through a Sender: a worker in every instance claims due rows,
// sends each once under the provider's rate limit, and retries with
// backoff. A mail is queued with the change that causes it, so it is never
// lost and never sent for a change that rolled back.
type Outbox struct {
	db      *bun.DB
	log     *slog.Logger
	now     func() time.Time
	sender  Sender
	sealer  *secret.Sealer
	metrics *metrics.Metrics
	from    string       // MAIL_FROM
	rate    config.Limit // RESEND_RATE_LIMIT, shared by every instance
	wake    chan struct{}

	mu          sync.Mutex
	pausedUntil time.Time // the provider asked to wait until then

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
}

// New returns an outbox; its worker runs when Run is called. Every mail
// kind's delivery series starts at zero.
func New(d Deps) *Outbox {
	for _, kind := range Kinds {
		for _, result := range []string{"sent", "retry", "dead"} {
			d.Metrics.Mails.WithLabelValues(string(kind), result)
		}
		for _, event := range db.DeliveryEvents {
			d.Metrics.Reports.WithLabelValues(string(kind), string(event))
		}
	}
	return &Outbox{db: d.DB, log: d.Log, now: d.Now, sender: d.Sender, sealer: d.Sealer, metrics: d.Metrics,
		from: d.From, rate: d.Rate, wake: make(chan struct{}, 1)}
}

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
// than LISTEN/NOTIFY: docs/architecture.md, "Workers poll").
func (o *Outbox) Run(ctx context.Context) {
	ticker := time.NewTicker(Poll)
	defer ticker.Stop()
	for {
		if _, err := o.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			o.log.Error("outbox: deliver", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-o.wake:
		}
	}
}

// DeliverDue sends what is due, a claimed batch at a time, each row once,
// under the provider's rate limit. It stops early, handing the rows it has
// not tried back to the outbox, when ctx ends or when the provider asks for
// a pause.
func (o *Outbox) DeliverDue(ctx context.Context) (sent int, err error) {
	for ctx.Err() == nil && !o.paused(o.now()) {
		now := o.now()
		rows, err := db.ClaimDueMail(ctx, o.db, now, Lease, Batch)
		if err != nil {
			return sent, err
		}
		c := &claim{rows: rows, heldUntil: db.Stamp(now.Add(Lease))}
		n, err := o.deliverClaim(ctx, c)
		sent += n
		if err != nil || len(rows) < Batch {
			return sent, err
		}
	}
	return sent, nil
}

// claim is a batch of rows this worker holds: those it has not sent
// yet, in order, and until when it holds them.
type claim struct {
	rows      []db.OutboxMail
	heldUntil time.Time
}

// deliverClaim sends the rows of c one by one, renewing the claim on the
// rest before each send.
func (o *Outbox) deliverClaim(ctx context.Context, c *claim) (sent int, err error) {
	for len(c.rows) > 0 {
		if err := o.waitToSend(ctx, c); err != nil {
			o.handBack(ctx, c.rows)
			if ctx.Err() != nil {
				return sent, nil
			}
			return sent, err
		}
		if ctx.Err() != nil || o.paused(o.now()) {
			o.handBack(ctx, c.rows)
			return sent, nil
		}
		if err := o.renewClaim(ctx, c); err != nil {
			// Whether the claim still holds is unknown: send nothing. The
			// rows go to whoever claims them once the lease runs out.
			return sent, err
		}
		if len(c.rows) == 0 {
			break
		}
		row := c.rows[0]
		c.rows = c.rows[1:]
		if o.deliver(ctx, row, c.heldUntil) {
			sent++
		}
	}
	return sent, nil
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
	kept := c.rows[:0]
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

// handBack returns claimed rows to the outbox uncounted.
func (o *Outbox) handBack(ctx context.Context, rows []db.OutboxMail) {
	if len(rows) == 0 {
		return
	}
	ctx = context.WithoutCancel(ctx)
	for _, row := range rows {
		if _, err := db.ReleaseMail(ctx, o.db, row.ID, row.Attempts, o.now()); err != nil {
			o.log.Error("outbox: hand back", "outbox_id", row.ID, "err", err)
		}
	}
	o.log.Info("outbox: handed back unsent mail", "count", len(rows))
}

// WaitTurn blocks until this instance may make one more request to a
// rate-limited provider, holding no claim.
func (o *Outbox) WaitTurn(ctx context.Context) error { return o.waitToSend(ctx, nil) }

// waitToSend blocks until this instance may make one more request to a
// rate-limited provider. The count lives in rate_counters, so every instance
// shares the limit; within a window the requests are spread evenly (the nth
// of Max waits until (n-1)/Max of the window), so that the requests of two
// windows never bunch at their border. While it waits it keeps the claim c
// (nil: none) alive, and it stops waiting when c has lost every row.
func (o *Outbox) waitToSend(ctx context.Context, c *claim) error {
	if _, ok := o.sender.(rateLimitedSender); !ok {
		return nil
	}
	l := o.rate
	for {
		now := o.now()
		n, err := db.CountHit(ctx, o.db, providerRateKey, now, l.Window)
		if err != nil {
			return fmt.Errorf("outbox: rate limit: %w", err)
		}
		start := db.Stamp(now).Truncate(l.Window)
		if n <= l.Max {
			return o.sleepHolding(ctx, start.Add(l.Window*time.Duration(n-1)/time.Duration(l.Max)).Sub(now), c)
		}
		if err := o.sleepHolding(ctx, start.Add(l.Window).Sub(now), c); err != nil {
			return err
		}
		if c != nil && len(c.rows) == 0 {
			return nil
		}
	}
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
