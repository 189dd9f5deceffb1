package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"aikagi/db"
)

// Mail kinds, as stored in the outbox.
const (
	mailKindReset           = "reset_link"
	mailKindPasswordChanged = "password_changed"
)

const (
	outboxBatch       = 10
	outboxLease       = 2 * time.Minute // a claim older than this is taken over
	outboxPoll        = time.Second
	outboxMaxAttempts = 8
	sweepEvery        = 10 * time.Minute
)

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

// PermanentError marks a failure that retrying cannot fix.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// newOutboxID is random, so it also serves as the provider's idempotency key.
func newOutboxID() string { return randomString(16) }

// wakeOutbox tells the worker a row is waiting, without blocking.
func (a *App) wakeOutbox() {
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// RunOutbox delivers queued mail until ctx ends: at once when woken, and
// every second for rows queued by other instances or due for a retry.
func (a *App) RunOutbox(ctx context.Context) {
	ticker := time.NewTicker(outboxPoll)
	defer ticker.Stop()
	var lastSweep time.Time
	for {
		if _, err := a.deliverDue(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("outbox: deliver", "err", err)
		}
		if time.Since(lastSweep) > sweepEvery {
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

// deliverDue claims the due rows and tries each once. When ctx ends midway,
// the rows not yet tried go back to the outbox for the next worker.
func (a *App) deliverDue(ctx context.Context) (sent int, err error) {
	rows, err := db.ClaimDueMail(ctx, a.db, a.now(), outboxLease, outboxBatch)
	if err != nil {
		return 0, err
	}
	for _, row := range rows {
		if ctx.Err() != nil {
			if err := db.ReleaseMail(context.WithoutCancel(ctx), a.db, row.ID, a.now()); err != nil {
				a.log.Error("outbox: hand back", "outbox_id", row.ID, "err", err)
			}
			continue
		}
		if a.deliver(ctx, row) {
			sent++
		}
	}
	return sent, nil
}

// deliver sends one claimed row and records the outcome.
func (a *App) deliver(ctx context.Context, row db.OutboxMail) bool {
	// Recording the outcome must not be cut short by shutdown.
	rctx := context.WithoutCancel(ctx)
	var m Message
	plain, err := a.unseal(row.ID, row.Payload)
	if err == nil {
		err = json.Unmarshal(plain, &m)
	}
	if err != nil {
		a.markFailed(rctx, row, &PermanentError{Err: err})
		return false
	}
	providerID, err := a.mailer.Send(ctx, row.ID, m)
	if err != nil {
		if ctx.Err() != nil {
			// Shutting down: hand it back uncounted.
			if rerr := db.ReleaseMail(rctx, a.db, row.ID, a.now()); rerr != nil {
				a.log.Error("outbox: hand back", "outbox_id", row.ID, "err", rerr)
			}
			return false
		}
		a.markFailed(rctx, row, err)
		return false
	}
	if err := db.MarkMailSent(rctx, a.db, row.ID, providerID, a.now()); err != nil {
		a.log.Error("outbox: mark sent", "outbox_id", row.ID, "err", err)
		return false
	}
	if err := db.RecordAudit(rctx, a.db, &db.AuditEvent{Kind: db.AuditMailSent, AccountID: row.AccountID, Detail: row.Kind + " " + row.ID}, a.now()); err != nil {
		a.log.Error("outbox: audit", "outbox_id", row.ID, "err", err)
	}
	a.log.Info("outbox: sent", "outbox_id", row.ID, "kind", row.Kind, "provider_id", providerID)
	return true
}

func (a *App) markFailed(ctx context.Context, row db.OutboxMail, err error) {
	var perm *PermanentError
	dead := errors.As(err, &perm) || row.Attempts >= outboxMaxAttempts
	next := a.now().Add(retryDelay(row.Attempts))
	if merr := db.MarkMailFailed(ctx, a.db, row.ID, err.Error(), next, dead); merr != nil {
		a.log.Error("outbox: mark failed", "outbox_id", row.ID, "err", merr)
		return
	}
	if !dead {
		a.log.Warn("outbox: will retry", "outbox_id", row.ID, "attempt", row.Attempts, "next_attempt_at", next, "err", err)
		return
	}
	a.log.Error("outbox: gave up; the mail was not delivered", "outbox_id", row.ID, "kind", row.Kind, "attempts", row.Attempts, "err", err)
	if aerr := db.RecordAudit(ctx, a.db, &db.AuditEvent{Kind: db.AuditMailDead, AccountID: row.AccountID, Detail: fmt.Sprintf("%s %s: %v", row.Kind, row.ID, err)}, a.now()); aerr != nil {
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

// sweep deletes what has expired: rate counters, sessions, and login
// failures too old to count.
func (a *App) sweep(ctx context.Context) {
	now := a.now()
	if _, err := db.DeleteExpiredCounters(ctx, a.db, now); err != nil {
		a.log.Error("sweep: rate counters", "err", err)
	}
	if err := db.DeleteExpired(ctx, a.db, now, now.Add(-a.cfg.LockoutWindow)); err != nil {
		a.log.Error("sweep", "err", err)
	}
}
