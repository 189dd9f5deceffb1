package mail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"aikagi/app/secret"
	"aikagi/db"
)

// deliver sends one claimed row, held until heldUntil, and records the
// outcome.
func (o *Outbox) deliver(ctx context.Context, row db.OutboxMail, heldUntil time.Time) bool {
	// Recording the outcome must not be cut short by shutdown.
	rctx := context.WithoutCancel(ctx)
	m, err := o.open(row)
	if err != nil {
		o.markFailed(rctx, row, err)
		return false
	}
	sendCtx, cancel := afterGrace(ctx, shutdownGrace)
	defer cancel()
	// The call may not outlast the claim: past heldUntil another worker may
	// send the row too.
	sendCtx, cancelHeld := context.WithTimeout(sendCtx, heldUntil.Sub(o.now())-ClaimMargin)
	defer cancelHeld()
	providerID, err := o.sender.Send(sendCtx, row.ID, m)
	if err != nil {
		if ctx.Err() != nil && sendCtx.Err() != nil {
			// Cut short by shutdown: hand it back uncounted. The provider
			// may have accepted it; the retry's idempotency key covers that.
			o.handBack(ctx, []db.OutboxMail{row})
			return false
		}
		o.markFailed(rctx, row, err)
		return false
	}
	ok, err := db.MarkMailSent(rctx, o.db, row.ID, row.Attempts, providerID, o.now())
	if err != nil {
		// The row stays claimed; when the lease runs out a worker sends it
		// again with the same idempotency key, and the provider answers
		// with this message instead of delivering a second one.
		o.log.Error("outbox: mark sent", "outbox_id", row.ID, "provider_id", providerID, "err", err)
		return false
	}
	if !ok {
		o.log.Warn("outbox: sent, but the claim had passed to another worker; it keeps the row", "outbox_id", row.ID, "provider_id", providerID)
		return false
	}
	o.metrics.Mails.WithLabelValues(row.Kind, "sent").Inc()
	if err := db.RecordAudit(rctx, o.db, &db.AuditEvent{Kind: db.AuditMailSent, AccountID: row.AccountID, Detail: row.Kind + " " + row.ID}, o.now()); err != nil {
		o.log.Error("outbox: audit", "outbox_id", row.ID, "err", err)
	}
	o.log.Info("outbox: sent", "outbox_id", row.ID, "kind", row.Kind, "provider_id", providerID, "attempt", row.Attempts)
	return true
}

// open decrypts and decodes row's message. A row this instance has no key
// for is left, with the usual backoff, for one that has it, and dies only
// when none took it over all the tries; an expired link, or a payload that
// does not decode, is a PermanentError.
func (o *Outbox) open(row db.OutboxMail) (Message, error) {
	var m Message
	plain, err := o.sealer.Open(row.ID, row.Payload)
	if errors.Is(err, secret.ErrNoKeyOpens) {
		o.log.Error("outbox: cannot open a queued mail; check SECRET_KEY and SECRET_KEYS_OLD on this instance", "outbox_id", row.ID, "attempt", row.Attempts)
		return m, err
	}
	if err == nil {
		err = json.Unmarshal(plain, &m)
	}
	if err != nil {
		return m, &PermanentError{Err: err}
	}
	if row.ExpiresAt != nil && !o.now().Before(*row.ExpiresAt) {
		return m, &PermanentError{Err: fmt.Errorf("outbox: the link expired at %s before the mail could be sent; nothing was sent", row.ExpiresAt.Format(time.RFC3339))}
	}
	return m, nil
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

// markFailed records a failed attempt: dead when retrying cannot help or
// the tries are used up, else due again after the backoff (or the
// provider's Retry-After, when longer).
func (o *Outbox) markFailed(ctx context.Context, row db.OutboxMail, err error) {
	var perm *PermanentError
	if errors.As(err, &perm) || row.Attempts >= MaxAttempts {
		o.markDead(ctx, row, err)
		return
	}
	now := o.now()
	delay := RetryDelay(row.Attempts)
	var later *RetryLaterError
	if errors.As(err, &later) && later.After > 0 {
		// The provider asked everyone to wait: this row and the rest.
		delay = max(delay, later.After)
		o.pause(now.Add(later.After))
	}
	next := now.Add(delay)
	ok, merr := db.RetryMailLater(ctx, o.db, row.ID, row.Attempts, err.Error(), next)
	if !o.recorded(row, ok, merr, err) {
		return
	}
	o.metrics.Mails.WithLabelValues(row.Kind, "retry").Inc()
	o.log.Warn("outbox: will retry", "outbox_id", row.ID, "attempt", row.Attempts, "next_attempt_at", next, "err", err)
}

// markDead gives row up, and tells the operator what to do about it.
func (o *Outbox) markDead(ctx context.Context, row db.OutboxMail, err error) {
	now := o.now()
	ok, merr := db.MarkMailDead(ctx, o.db, row.ID, row.Attempts, err.Error(), now)
	if !o.recorded(row, ok, merr, err) {
		return
	}
	o.metrics.Mails.WithLabelValues(row.Kind, "dead").Inc()
	action := fmt.Sprintf("fix the cause named in err, then run: aikagi outbox retry %s", row.ID)
	if row.Kind == string(KindReset) {
		action += " (or send a new link: aikagi account send-reset LOGIN_ID)"
	}
	o.log.Error("outbox: gave up; the mail was not delivered", "outbox_id", row.ID, "kind", row.Kind,
		"account_id", row.AccountID, "attempts", row.Attempts, "err", err, "action", action)
	if aerr := db.RecordAudit(ctx, o.db, &db.AuditEvent{Kind: db.AuditMailDead, AccountID: row.AccountID, Detail: fmt.Sprintf("%s %s: %v", row.Kind, row.ID, err)}, now); aerr != nil {
		o.log.Error("outbox: audit", "outbox_id", row.ID, "err", aerr)
	}
}

// recorded reports whether a failed attempt at row (cause) was recorded:
// ok and merr are what recording it returned.
func (o *Outbox) recorded(row db.OutboxMail, ok bool, merr, cause error) bool {
	if merr != nil {
		o.log.Error("outbox: mark failed", "outbox_id", row.ID, "err", merr)
		return false
	}
	if !ok {
		o.log.Warn("outbox: failed, but the claim had passed to another worker; it keeps the row", "outbox_id", row.ID, "err", cause)
	}
	return ok
}

// RetryDelay grows exponentially from 5 s to at most 15 min, with ±20 %
// jitter so that rows failing together do not retry together.
func RetryDelay(attempt int) time.Duration {
	d := 5 * time.Second << min(max(attempt-1, 0), 8)
	d = min(d, 15*time.Minute)
	jitter := time.Duration(rand.Int64N(int64(d)/5*2+1)) - d/5
	return d + jitter
}
