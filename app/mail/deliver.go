package mail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"aikagi/app/secret"
	"aikagi/db"
)

// openClaim opens the messages of the rows of c, in order. When a row
// cannot be opened it deals with that (a single row's failed attempt;
// splitUnopened for a batch) and reports false: nothing is sent now.
func (o *Outbox) openClaim(ctx context.Context, c *claim) ([]Tagged, bool) {
	msgs := make([]Tagged, 0, len(c.rows))
	var unopened []db.OutboxMail
	var openErr error
	for _, row := range c.rows {
		m, err := o.open(row)
		if err != nil {
			unopened, openErr = append(unopened, row), err
			continue
		}
		msgs = append(msgs, Tagged{ID: row.ID, Message: m})
	}
	switch {
	case len(unopened) == 0:
		return msgs, true
	case c.batch() == "":
		o.markFailed(ctx, c.rows[0], openErr)
	default:
		o.splitUnopened(ctx, c, unopened, openErr)
	}
	return nil, false
}

// deliver sends one claimed row, its message m, held until heldUntil,
// and records the outcome.
func (o *Outbox) deliver(ctx context.Context, row db.OutboxMail, m Message, heldUntil time.Time) bool {
	// Recording the outcome must not be cut short by shutdown.
	rctx := context.WithoutCancel(ctx)
	c := &claim{rows: []db.OutboxMail{row}, heldUntil: heldUntil}
	var providerID string
	err := o.call(ctx, c, func(ctx context.Context) (err error) {
		providerID, err = o.sender.Send(ctx, row.ID, m)
		return err
	})
	switch {
	case errors.Is(err, errCutShort):
		return false
	case err != nil:
		o.failed(rctx, c, err)
		return false
	}
	return o.recordSent(rctx, row, providerID, "")
}

// deliverBatch hands the batch c, its messages msgs, over in one request
// under the batch's id, and records the outcome of each row. It returns
// how many it sent.
func (o *Outbox) deliverBatch(ctx context.Context, c *claim, msgs []Tagged) (sent int) {
	rctx := context.WithoutCancel(ctx)
	var ids []string
	err := o.call(ctx, c, func(ctx context.Context) (err error) {
		ids, err = o.sender.(BatchSender).SendBatch(ctx, c.batch(), msgs)
		return err
	})
	switch {
	case errors.Is(err, errCutShort):
		return 0
	case err != nil:
		o.failed(rctx, c, err)
		return 0
	}
	for i, row := range c.rows {
		if o.recordSent(rctx, row, ids[i], c.batch()) {
			sent++
		}
	}
	return sent
}

// splitUnopened deals with a batch some of whose rows this instance cannot
// open. A batch never tried goes back to the queue without them, and they
// go on alone (failing, and retried, as single rows do). A batch tried
// before must be sent as it was: all of it waits for a retry.
func (o *Outbox) splitUnopened(ctx context.Context, c *claim, unopened []db.OutboxMail, err error) {
	if c.retried() {
		for _, row := range c.rows {
			o.markFailed(ctx, row, err)
		}
		return
	}
	o.sendAlone(ctx, unopened)
	rest := &claim{heldUntil: c.heldUntil}
	for _, row := range c.rows {
		if !slices.ContainsFunc(unopened, func(u db.OutboxMail) bool { return u.ID == row.ID }) {
			rest.rows = append(rest.rows, row)
		}
	}
	o.release(ctx, rest, o.now(), false, "")
}

// sendAlone takes rows out of their batch, uncounted and due at once, to
// go on their own from now on (db.SendMailAlone).
func (o *Outbox) sendAlone(ctx context.Context, rows []db.OutboxMail) {
	for _, row := range rows {
		if _, err := db.SendMailAlone(ctx, o.db, row.ID, row.Attempts, o.now()); err != nil {
			o.log.Error("outbox: set apart", "outbox_id", row.ID, "err", err)
		}
	}
}

// errCutShort is what call returns when shutdown cut the request short and
// the claim was handed back.
var errCutShort = errors.New("outbox: cut short by shutdown")

// call makes one request to the provider for the claim c. The request may
// not outlast the claim (past heldUntil another worker may send the same
// mail), and a shutdown lets it finish within shutdownGrace; when it cuts
// the request short, c is handed back uncounted (the provider may have
// accepted it: the retry's idempotency key covers that) and call returns
// errCutShort.
func (o *Outbox) call(ctx context.Context, c *claim, send func(context.Context) error) error {
	sendCtx, cancel := afterGrace(ctx, shutdownGrace)
	defer cancel()
	sendCtx, cancelHeld := context.WithTimeout(sendCtx, c.heldUntil.Sub(o.now())-ClaimMargin)
	defer cancelHeld()
	err := send(sendCtx)
	if err != nil && ctx.Err() != nil && sendCtx.Err() != nil {
		o.handBack(ctx, c)
		return errCutShort
	}
	if err == nil {
		o.metrics.BatchSize.Observe(float64(len(c.rows)))
	}
	return err
}

// recordSent marks row, claimed under its Attempts, handed over as
// providerID (in batch, when not empty), and reports whether it still held
// the claim.
func (o *Outbox) recordSent(ctx context.Context, row db.OutboxMail, providerID, batch string) bool {
	ok, err := db.MarkMailSent(ctx, o.db, row.ID, row.Attempts, providerID, o.now())
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
	o.metrics.Mails.WithLabelValues(row.Kind, string(ResultSent)).Inc()
	if err := db.RecordAudit(ctx, o.db, &db.AuditEvent{Kind: db.AuditMailSent, AccountID: row.AccountID, Detail: row.Kind + " " + row.ID}, o.now()); err != nil {
		o.log.Error("outbox: audit", "outbox_id", row.ID, "err", err)
	}
	o.log.Info("outbox: sent", "outbox_id", row.ID, "kind", row.Kind, "provider_id", providerID, "batch_id", batch, "attempt", row.Attempts)
	return true
}

// failed records a request for the claim c that failed with err. A
// request refused for the provider's rate limit is no attempt: the mail
// waits, uncounted, for as long as the provider asked, and this instance
// pauses as long. A batch refused for the content of one of its mails is
// sent again one mail at a time. Anything else is a failed attempt of
// each row (markFailed).
func (o *Outbox) failed(ctx context.Context, c *claim, err error) {
	now := o.now()
	var perm *PermanentError
	var later *RetryLaterError
	switch {
	case errors.As(err, &later) && later.Throttled:
		wait := max(later.After, time.Second)
		o.pause(now.Add(wait))
		// Every instance waits as long: no slot is free until then.
		if err := db.HoldSlots(ctx, o.db, providerRateKey, now.Add(wait)); err != nil {
			o.log.Error("outbox: hold the pace", "err", err)
		}
		o.metrics.Throttled.Inc()
		// A batch tried before may have reached the provider: it stays whole.
		o.release(ctx, c, now.Add(wait), c.retried(), err.Error())
		o.log.Warn("outbox: the provider refused a request for its rate limit; the mail waits", "count", len(c.rows), "wait", wait, "err", err)
	case errors.As(err, &perm) && perm.Content && c.batch() != "":
		o.sendAlone(ctx, c.rows)
		o.log.Warn("outbox: the provider refused a batch for the content of a mail; its mails go one by one", "batch_id", c.batch(), "count", len(c.rows), "err", err)
	default:
		for _, row := range c.rows {
			o.markFailed(ctx, row, err)
		}
	}
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
	o.metrics.Mails.WithLabelValues(row.Kind, string(ResultRetry)).Inc()
	o.log.Warn("outbox: will retry", "outbox_id", row.ID, "attempt", row.Attempts, "next_attempt_at", next, "err", err)
}

// markDead gives row up, and tells the operator what to do about it.
func (o *Outbox) markDead(ctx context.Context, row db.OutboxMail, err error) {
	now := o.now()
	ok, merr := db.MarkMailDead(ctx, o.db, row.ID, row.Attempts, err.Error(), now)
	if !o.recorded(row, ok, merr, err) {
		return
	}
	o.metrics.Mails.WithLabelValues(row.Kind, string(ResultDead)).Inc()
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
