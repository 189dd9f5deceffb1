package app

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"aikagi/app/secret"
	"aikagi/db"
)

// Mail kinds, as stored in the outbox.
const (
	mailKindReset           = "reset_link"
	mailKindPasswordChanged = "password_changed"
)

const (
	outboxBatch = 10
	// outboxLease is how long a claim holds unless renewed; then another
	// worker takes the mail over. A live worker renews the claims it holds
	// right before each send and every outboxRenewEvery while it waits, so
	// a killed instance's mail goes out within outboxLease plus one
	// outboxPoll of another instance running (the 30 s of the spec). A send
	// starts only on a claim just renewed and is cut off before that
	// renewal runs out (resendTimeout is shorter still), so a live worker
	// never sends on a claim it has lost.
	outboxLease      = 20 * time.Second
	outboxRenewEvery = 5 * time.Second
	outboxPoll       = time.Second
	// outboxMaxAttempts tries span about 35 minutes with retryDelay: longer
	// than a reset link lives by default, so a mail that dies had no chance.
	outboxMaxAttempts = 10
	// outboxClaimMargin is kept between the end of a send and the end of
	// its claim, for the clocks of two instances that disagree a little.
	outboxClaimMargin = 2 * time.Second
	// outboxShutdownGrace lets a send under way at shutdown finish.
	outboxShutdownGrace = 10 * time.Second
	// outboxRetention is how long a dead row keeps its sealed payload for
	// "outbox retry" (a reset link's expiry ends it sooner).
	outboxRetention = 7 * 24 * time.Hour
	sweepEvery      = 10 * time.Minute
)

// providerRateKey counts the requests of every instance to the mail
// provider in rate_counters.
const providerRateKey = "provider:resend"

// Message is one rendered mail.
type Message struct {
	From    string `json:"from"`
	To      string `json:"to"`
	Subject string `json:"subject"`
	Text    string `json:"text"`
	HTML    string `json:"html"`
}

// Sender delivers a message. id is the outbox row id, stable across retries,
// so a provider can use it as an idempotency key.
type Sender interface {
	Send(ctx context.Context, id string, m Message) (providerID string, err error)
}

// rateLimitedSender is a Sender whose provider limits requests per second
// (Resend); the worker paces its calls under RESEND_RATE_LIMIT.
type rateLimitedSender interface {
	Sender
	rateLimited()
}

// PermanentError marks a failure that retrying cannot fix.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// RetryLaterError marks a failure that may pass: the provider was
// unreachable, overloaded or rate limiting. After, when set, is how long the
// provider asked us to wait (Retry-After); the worker then pauses too.
type RetryLaterError struct {
	Err   error
	After time.Duration
}

func (e *RetryLaterError) Error() string { return e.Err.Error() }
func (e *RetryLaterError) Unwrap() error { return e.Err }

// outboxWorker is the worker's state outside the database: how long the
// provider asked it to pause, and how it waits (tests swap in a fake
// clock's sleep).
type outboxWorker struct {
	mu          sync.Mutex
	pausedUntil time.Time
	sleep       func(ctx context.Context, d time.Duration) error // nil: a real timer
}

func (w *outboxWorker) pause(until time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if until.After(w.pausedUntil) {
		w.pausedUntil = until
	}
}

func (w *outboxWorker) paused(now time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return now.Before(w.pausedUntil)
}

// sleep waits d, or until ctx ends.
func (a *App) sleep(ctx context.Context, d time.Duration) error {
	if a.worker.sleep != nil {
		return a.worker.sleep(ctx, d)
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

// newOutboxID is random, so it also serves as the provider's idempotency key.
// It is hex so that it never starts with "-", which a command line would
// take for a flag (outbox retry ID).
func newOutboxID() string { return hex.EncodeToString(secret.Random()[:16]) }

// wakeOutbox tells the worker a row is waiting, without blocking.
func (a *App) wakeOutbox() {
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// RunOutbox delivers queued mail until ctx ends: at once when this instance
// queues a mail (wakeOutbox), and every second for rows queued by other
// instances, due for a retry, or left behind by a worker that died.
//
// On PostgreSQL that one-second poll is the cross-instance path, on purpose
// rather than LISTEN/NOTIFY: the instance that queues a mail is the one it
// wakes, so NOTIFY would only hurry the rare row another instance retries,
// at the price of a dedicated connection per instance and its reconnects;
// the poll is one indexed query a second.
func (a *App) RunOutbox(ctx context.Context) {
	ticker := time.NewTicker(outboxPoll)
	defer ticker.Stop()
	var lastSweep time.Time
	for {
		if _, err := a.deliverDue(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("outbox: deliver", "err", err)
		}
		if time.Since(lastSweep) > sweepEvery && ctx.Err() == nil {
			lastSweep = time.Now()
			a.sweep(ctx)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-a.wake:
		}
	}
}

// deliverDue sends what is due, a claimed batch at a time, each row once,
// under the provider's rate limit. It stops early, handing the rows it has
// not tried back to the outbox, when ctx ends or when the provider asks for
// a pause.
func (a *App) deliverDue(ctx context.Context) (sent int, err error) {
	for ctx.Err() == nil && !a.worker.paused(a.now()) {
		now := a.now()
		rows, err := db.ClaimDueMail(ctx, a.db, now, outboxLease, outboxBatch)
		if err != nil {
			return sent, err
		}
		c := &outboxClaim{rows: rows, heldUntil: db.Stamp(now.Add(outboxLease))}
		n, err := a.deliverClaim(ctx, c)
		sent += n
		if err != nil || len(rows) < outboxBatch {
			return sent, err
		}
	}
	return sent, nil
}

// outboxClaim is a batch of rows this worker holds: those it has not sent
// yet, in order, and until when it holds them.
type outboxClaim struct {
	rows      []db.OutboxMail
	heldUntil time.Time
}

// deliverClaim sends the rows of c one by one, renewing the claim on the
// rest before each send.
func (a *App) deliverClaim(ctx context.Context, c *outboxClaim) (sent int, err error) {
	for len(c.rows) > 0 {
		if err := a.waitToSend(ctx, c); err != nil {
			a.handBack(ctx, c.rows)
			if ctx.Err() != nil {
				return sent, nil
			}
			return sent, err
		}
		if ctx.Err() != nil || a.worker.paused(a.now()) {
			a.handBack(ctx, c.rows)
			return sent, nil
		}
		if err := a.renewClaim(ctx, c); err != nil {
			// Whether the claim still holds is unknown: send nothing. The
			// rows go to whoever claims them once the lease runs out.
			return sent, err
		}
		if len(c.rows) == 0 {
			break
		}
		row := c.rows[0]
		c.rows = c.rows[1:]
		if a.deliver(ctx, row, c.heldUntil) {
			sent++
		}
	}
	return sent, nil
}

// renewClaim extends the lease of the rows c holds, and drops from c those
// it no longer holds: another worker took them over when this one missed
// its renewals (a stalled process, a lost connection).
func (a *App) renewClaim(ctx context.Context, c *outboxClaim) error {
	if len(c.rows) == 0 {
		return nil
	}
	until := db.Stamp(a.now().Add(outboxLease))
	ids, err := db.RenewMailClaims(ctx, a.db, c.rows, until)
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
		a.log.Warn("outbox: the claim passed to another worker before this one sent; it keeps the row", "outbox_id", row.ID)
	}
	c.rows = kept
	c.heldUntil = until
	return nil
}

// handBack returns claimed rows to the outbox uncounted.
func (a *App) handBack(ctx context.Context, rows []db.OutboxMail) {
	if len(rows) == 0 {
		return
	}
	ctx = context.WithoutCancel(ctx)
	for _, row := range rows {
		if _, err := db.ReleaseMail(ctx, a.db, row.ID, row.Attempts, a.now()); err != nil {
			a.log.Error("outbox: hand back", "outbox_id", row.ID, "err", err)
		}
	}
	a.log.Info("outbox: handed back unsent mail", "count", len(rows))
}

// waitToSend blocks until this instance may make one more request to a
// rate-limited provider. The count lives in rate_counters, so every instance
// shares the limit; within a window the requests are spread evenly (the nth
// of Max waits until (n-1)/Max of the window), so that the requests of two
// windows never bunch at their border. While it waits it keeps the claim c
// (nil: none) alive, and it stops waiting when c has lost every row.
func (a *App) waitToSend(ctx context.Context, c *outboxClaim) error {
	if _, ok := a.mailer.(rateLimitedSender); !ok {
		return nil
	}
	l := a.cfg.Resend.RateLimit
	for {
		now := a.now()
		n, err := db.CountHit(ctx, a.db, providerRateKey, now, l.Window)
		if err != nil {
			return fmt.Errorf("outbox: rate limit: %w", err)
		}
		start := db.Stamp(now).Truncate(l.Window)
		if n <= l.Max {
			return a.sleepHolding(ctx, start.Add(l.Window*time.Duration(n-1)/time.Duration(l.Max)).Sub(now), c)
		}
		if err := a.sleepHolding(ctx, start.Add(l.Window).Sub(now), c); err != nil {
			return err
		}
		if c != nil && len(c.rows) == 0 {
			return nil
		}
	}
}

// sleepHolding waits d, or until ctx ends, renewing the claim c (when not
// nil) every outboxRenewEvery: a long wait for the provider's rate limit
// must not cost the claim. It returns early when c has lost every row.
func (a *App) sleepHolding(ctx context.Context, d time.Duration, c *outboxClaim) error {
	if c == nil || d <= outboxRenewEvery {
		return a.sleep(ctx, d)
	}
	for d > 0 {
		step := min(d, outboxRenewEvery)
		if err := a.sleep(ctx, step); err != nil {
			return err
		}
		d -= step
		if d <= 0 {
			break
		}
		if err := a.renewClaim(ctx, c); err != nil {
			return err
		}
		if len(c.rows) == 0 {
			return nil
		}
	}
	return nil
}

// deliver sends one claimed row, held until heldUntil, and records the
// outcome.
func (a *App) deliver(ctx context.Context, row db.OutboxMail, heldUntil time.Time) bool {
	// Recording the outcome must not be cut short by shutdown.
	rctx := context.WithoutCancel(ctx)
	var m Message
	plain, err := a.sealer.Open(row.ID, row.Payload)
	if errors.Is(err, secret.ErrNoKeyOpens) {
		// Sealed by an instance with a key this one lacks: left, with the
		// usual backoff, for one that has it, and dead only when none took
		// it over all the tries.
		a.log.Error("outbox: cannot open a queued mail; check SECRET_KEY and SECRET_KEYS_OLD on this instance", "outbox_id", row.ID, "attempt", row.Attempts)
		a.markFailed(rctx, row, err)
		return false
	}
	if err == nil {
		err = json.Unmarshal(plain, &m)
	}
	if err != nil {
		a.markFailed(rctx, row, &PermanentError{Err: err})
		return false
	}
	if row.ExpiresAt != nil && !a.now().Before(*row.ExpiresAt) {
		a.markFailed(rctx, row, &PermanentError{Err: fmt.Errorf("outbox: the link expired at %s before the mail could be sent; nothing was sent", row.ExpiresAt.Format(time.RFC3339))})
		return false
	}
	sendCtx, cancel := afterGrace(ctx, outboxShutdownGrace)
	defer cancel()
	// The call may not outlast the claim: past heldUntil another worker may
	// send the row too.
	sendCtx, cancelHeld := context.WithTimeout(sendCtx, heldUntil.Sub(a.now())-outboxClaimMargin)
	defer cancelHeld()
	providerID, err := a.mailer.Send(sendCtx, row.ID, m)
	if err != nil {
		if ctx.Err() != nil && sendCtx.Err() != nil {
			// Cut short by shutdown: hand it back uncounted. The provider
			// may have accepted it; the retry's idempotency key covers that.
			a.handBack(ctx, []db.OutboxMail{row})
			return false
		}
		a.markFailed(rctx, row, err)
		return false
	}
	ok, err := db.MarkMailSent(rctx, a.db, row.ID, row.Attempts, providerID, a.now())
	if err != nil {
		// The row stays claimed; when the lease runs out a worker sends it
		// again with the same idempotency key, and the provider answers
		// with this message instead of delivering a second one.
		a.log.Error("outbox: mark sent", "outbox_id", row.ID, "provider_id", providerID, "err", err)
		return false
	}
	if !ok {
		a.log.Warn("outbox: sent, but the claim had passed to another worker; it keeps the row", "outbox_id", row.ID, "provider_id", providerID)
		return false
	}
	a.metrics.Mails.WithLabelValues(row.Kind, "sent").Inc()
	if err := db.RecordAudit(rctx, a.db, &db.AuditEvent{Kind: db.AuditMailSent, AccountID: row.AccountID, Detail: row.Kind + " " + row.ID}, a.now()); err != nil {
		a.log.Error("outbox: audit", "outbox_id", row.ID, "err", err)
	}
	a.log.Info("outbox: sent", "outbox_id", row.ID, "kind", row.Kind, "provider_id", providerID, "attempt", row.Attempts)
	return true
}

// afterGrace returns a context that ends grace after ctx does.
func afterGrace(ctx context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var timer *time.Timer
	var mu sync.Mutex
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		timer = time.AfterFunc(grace, cancel)
	})
	return sctx, func() {
		stop()
		mu.Lock()
		if timer != nil {
			timer.Stop()
		}
		mu.Unlock()
		cancel()
	}
}

// markFailed records a failed attempt: due again after the backoff (or the
// provider's Retry-After, when longer), or dead when retrying cannot help or
// the tries are used up.
func (a *App) markFailed(ctx context.Context, row db.OutboxMail, err error) {
	now := a.now()
	var perm *PermanentError
	dead := errors.As(err, &perm) || row.Attempts >= outboxMaxAttempts
	delay := retryDelay(row.Attempts)
	var later *RetryLaterError
	if errors.As(err, &later) && later.After > 0 {
		// The provider asked everyone to wait: this row and the rest.
		delay = max(delay, later.After)
		a.worker.pause(now.Add(later.After))
	}
	next := now.Add(delay)
	ok, merr := db.MarkMailFailed(ctx, a.db, row.ID, row.Attempts, err.Error(), next, dead, now)
	if merr != nil {
		a.log.Error("outbox: mark failed", "outbox_id", row.ID, "err", merr)
		return
	}
	if !ok {
		a.log.Warn("outbox: failed, but the claim had passed to another worker; it keeps the row", "outbox_id", row.ID, "err", err)
		return
	}
	a.metrics.Mails.WithLabelValues(row.Kind, map[bool]string{true: "dead", false: "retry"}[dead]).Inc()
	if !dead {
		a.log.Warn("outbox: will retry", "outbox_id", row.ID, "attempt", row.Attempts, "next_attempt_at", next, "err", err)
		return
	}
	action := fmt.Sprintf("fix the cause named in err, then run: aikagi outbox retry %s", row.ID)
	if row.Kind == mailKindReset {
		action += " (or send a new link: aikagi account send-reset LOGIN_ID)"
	}
	a.log.Error("outbox: gave up; the mail was not delivered", "outbox_id", row.ID, "kind", row.Kind,
		"account_id", row.AccountID, "attempts", row.Attempts, "err", err, "action", action)
	if aerr := db.RecordAudit(ctx, a.db, &db.AuditEvent{Kind: db.AuditMailDead, AccountID: row.AccountID, Detail: fmt.Sprintf("%s %s: %v", row.Kind, row.ID, err)}, now); aerr != nil {
		a.log.Error("outbox: audit", "outbox_id", row.ID, "err", aerr)
	}
}

// retryDelay grows exponentially from 5 s to at most 15 min, with ±20 %
// jitter so that rows failing together do not retry together.
func retryDelay(attempt int) time.Duration {
	d := 5 * time.Second << min(max(attempt-1, 0), 8)
	d = min(d, 15*time.Minute)
	jitter := time.Duration(rand.Int64N(int64(d)/5*2+1)) - d/5
	return d + jitter
}

// sweep deletes what has expired: rate counters, sessions, login failures
// too old to count, and the sealed payloads of dead mail nobody can retry.
// auditSweepBatch bounds the audit events one sweep deletes, so that the
// first sweep over a long trail does not hold the table for long; the
// sweeps after it go on (sweepEvery).
const auditSweepBatch = 10000

func (a *App) sweep(ctx context.Context) {
	now := a.now()
	if _, err := db.DeleteExpiredCounters(ctx, a.db, now); err != nil {
		a.log.Error("sweep: rate counters", "err", err)
	}
	if err := db.DeleteExpired(ctx, a.db, now, now.Add(-a.cfg.LockoutWindow)); err != nil {
		a.log.Error("sweep", "err", err)
	}
	if _, err := db.DropStalePayloads(ctx, a.db, now, now.Add(-outboxRetention)); err != nil {
		a.log.Error("sweep: outbox payloads", "err", err)
	}
	if _, err := db.MaskOldAddresses(ctx, a.db, now.Add(-a.cfg.MailAddressRetention), 1000); err != nil {
		a.log.Error("sweep: outbox addresses", "err", err)
	}
	if _, err := db.DeleteAuditBefore(ctx, a.db, now.Add(-a.cfg.AuditRetention), auditSweepBatch); err != nil {
		a.log.Error("sweep: audit trail", "err", err)
	}
}
