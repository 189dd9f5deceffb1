package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"aikagi/app/secret"
	"aikagi/db"
	"aikagi/views"
)

const (
	// intakeDelay is how long a request waits before a worker may take
	// it: long enough for its own response to be on its way, so that the
	// work of matching it (more for a match than for none) never shares
	// the machine with that response.
	intakeDelay = 50 * time.Millisecond
	// intakePoll is how often a worker looks for requests that another
	// instance recorded and did not match (it died, or is busy). The
	// instance that records a request wakes its own worker, which takes
	// it after intakeDelay.
	intakePoll = 500 * time.Millisecond
	// intakeMaxAttempts bounds the tries at a request whose processing
	// fails (a database error that lasts, a bug); with intakeRetryDelay
	// they span about half a minute.
	intakeMaxAttempts = 5
	// intakeBatch is how many requests one transaction takes.
	intakeBatch = 50
	// intakeKeyGrace is how long a request that this instance cannot open
	// (sealed under a key it was not given) is left for another instance,
	// retried every intakeKeyRetry without counting as a failed attempt.
	intakeKeyGrace = 10 * time.Minute
	intakeKeyRetry = 2 * time.Second
	// intakeMaxAge is how long a request may wait at all: the sweep
	// finishes anything older, unmatched, so that no personal data lingers.
	intakeMaxAge = 24 * time.Hour
)

// intakeOutcome is what the worker made of a request.
type intakeOutcome string

const (
	intakeMatched   intakeOutcome = "matched"   // a mail was queued
	intakeUnmatched intakeOutcome = "unmatched" // no account matched
	intakeLimited   intakeOutcome = "limited"   // matched, over a mail limit: nothing sent
	intakeDisabled  intakeOutcome = "disabled"  // matched a disabled account: nothing sent
	intakeFailed    intakeOutcome = "failed"    // could not be processed; finished with an audit event
	intakeExpired   intakeOutcome = "expired"   // waited longer than intakeMaxAge
)

// intakeRequest is a recorded step 3 as the worker sees it: the confirmed
// values, and when and from where they were sent.
type intakeRequest struct {
	requestState
	At   time.Time
	Who  client
	Lang views.Lang
}

// recordRequest is step 3's database work, the same statement whatever the
// values: the request is stored, sealed, for the worker to match.
func (a *App) recordRequest(ctx context.Context, j *journey, st requestState, who client, lang views.Lang) error {
	plain, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("record request: %w", err)
	}
	id := newOutboxID() // random hex, as the outbox's: also what the seal binds to
	row := &db.IntakeRequest{
		ID:        id,
		Journey:   string(j.Name),
		Payload:   a.sealer.Seal(id, plain),
		Lang:      string(lang),
		IP:        who.IP,
		UserAgent: who.UserAgent,
	}
	now := a.now()
	if err := db.InsertIntake(ctx, a.db, row, now, now.Add(a.intakeDelay)); err != nil {
		return err
	}
	a.wakeIntake()
	return nil
}

// wakeIntake tells the intake worker a request is waiting, without blocking.
func (a *App) wakeIntake() {
	select {
	case a.intakeWake <- struct{}{}:
	default:
	}
}

// RunIntake matches recorded requests until ctx ends: intakeDelay after
// this instance records one, and every intakePoll for requests left by
// others. A short poll rather than LISTEN/NOTIFY: the instance that
// records a request is the one it wakes, so the poll only serves the rare
// request whose instance died first, and costs one indexed query.
func (a *App) RunIntake(ctx context.Context) {
	ticker := time.NewTicker(intakePoll)
	defer ticker.Stop()
	var lastSweep time.Time
	for {
		if time.Since(lastSweep) > sweepEvery {
			lastSweep = time.Now()
			a.sweepIntake(ctx)
		}
		if _, err := a.processIntake(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("intake: process", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-a.intakeWake:
			if a.sleep(ctx, a.intakeDelay) != nil {
				return
			}
		}
	}
}

// processIntake processes every due request and returns how many it
// finished. Requests go in batches, one transaction each, which keeps up
// with step 3 under load; when anything in a batch fails, the batch is
// rolled back whole and its requests are taken one at a time, so that only
// the failing one waits for a retry.
func (a *App) processIntake(ctx context.Context) (n int, err error) {
	for ctx.Err() == nil {
		done, err := a.processIntakeBatch(ctx, intakeBatch)
		if err != nil {
			if done, err = a.processIntakeOneByOne(ctx, intakeBatch); err != nil {
				return n + done, err
			}
		}
		n += done
		if done < intakeBatch {
			return n, nil
		}
	}
	return n, nil
}

// processIntakeOneByOne processes up to limit due requests, a transaction
// each; a request that fails is left for a retry (retryIntake).
func (a *App) processIntakeOneByOne(ctx context.Context, limit int) (n int, err error) {
	for n < limit && ctx.Err() == nil {
		rows, err := a.processIntakeTx(ctx, 1)
		if len(rows) == 0 {
			return n, err
		}
		n++
		if err != nil {
			if err := a.retryIntake(context.WithoutCancel(ctx), &rows[0], err); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// processIntakeBatch processes up to limit due requests in one
// transaction, all or none.
func (a *App) processIntakeBatch(ctx context.Context, limit int) (int, error) {
	rows, err := a.processIntakeTx(ctx, limit)
	if err != nil {
		return 0, err
	}
	return len(rows), nil
}

// processIntakeTx claims up to limit due requests and, in the same
// transaction, acts on each and deletes it: a crash leaves either the rows,
// processed again later, or everything done. It returns the rows it
// claimed, also when it failed and rolled back.
func (a *App) processIntakeTx(ctx context.Context, limit int) (rows []db.IntakeRequest, err error) {
	// Requests under way finish even when shutdown begins.
	ctx = context.WithoutCancel(ctx)
	var outcomes []intakeOutcome
	err = a.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) (err error) {
		// A request that makes the code panic is retried and then
		// finished like any failure, instead of taking the process down.
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("intake: panic: %v", p)
			}
		}()
		if rows, err = db.ClaimIntake(ctx, tx, a.now(), limit); err != nil {
			return err
		}
		outcomes = make([]intakeOutcome, len(rows))
		for i := range rows {
			if outcomes[i], err = a.matchIntake(ctx, tx, &rows[i]); err != nil {
				return err
			}
			if _, err := db.DeleteIntake(ctx, tx, rows[i].ID); err != nil {
				return err
			}
			if a.intakeBeforeCommit != nil {
				if err := a.intakeBeforeCommit(&rows[i]); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return rows, err
	}
	for i, row := range rows {
		a.metrics.Intake.WithLabelValues(row.Journey, string(outcomes[i])).Inc()
		if outcomes[i] == intakeMatched {
			a.wakeOutbox()
		}
	}
	return rows, nil
}

// matchIntake opens row and hands it to its journey, in tx.
func (a *App) matchIntake(ctx context.Context, tx bun.Tx, row *db.IntakeRequest) (intakeOutcome, error) {
	j := a.journeyNamed(row.Journey)
	if j == nil {
		return "", fmt.Errorf("intake: unknown journey %q", row.Journey)
	}
	plain, err := a.sealer.Open(row.ID, row.Payload)
	if err != nil {
		return "", fmt.Errorf("intake: %w", err)
	}
	req := intakeRequest{At: row.RequestedAt, Who: client{IP: row.IP, UserAgent: row.UserAgent}}
	req.Lang, _ = views.ParseLang(row.Lang)
	if err := json.Unmarshal(plain, &req.requestState); err != nil {
		return "", fmt.Errorf("intake: decode: %w", err)
	}
	return j.match(ctx, tx, req)
}

func (a *App) journeyNamed(name string) *journey {
	for _, j := range []*journey{a.reset, a.reminder} {
		if string(j.Name) == name {
			return j
		}
	}
	return nil
}

// retryIntake records a failed attempt at row: it waits and is tried
// again, or, after intakeMaxAttempts, is finished with an audit event.
func (a *App) retryIntake(ctx context.Context, row *db.IntakeRequest, cause error) error {
	if errors.Is(cause, secret.ErrNoKeyOpens) && a.now().Sub(row.RequestedAt) < intakeKeyGrace {
		a.log.Error("intake: cannot open a recorded request; check SECRET_KEY and SECRET_KEYS_OLD on this instance", "intake_id", row.ID, "journey", row.Journey)
		return db.PostponeIntake(ctx, a.db, row.ID, cause.Error(), a.now().Add(intakeKeyRetry), false)
	}
	attempt := row.Attempts + 1
	if attempt >= intakeMaxAttempts {
		a.log.Error("intake: gave up on a request; nothing was sent", "intake_id", row.ID, "journey", row.Journey, "attempts", attempt, "err", cause)
		return a.finishIntake(ctx, row, intakeFailed, cause.Error())
	}
	next := a.now().Add(intakeRetryDelay(attempt))
	a.log.Warn("intake: will retry", "intake_id", row.ID, "journey", row.Journey, "attempt", attempt, "next_attempt_at", next, "err", cause)
	return db.PostponeIntake(ctx, a.db, row.ID, cause.Error(), next, true)
}

// intakeRetryDelay doubles from 2 s: 2, 4, 8, 16 s.
func intakeRetryDelay(attempt int) time.Duration {
	return 2 * time.Second << min(max(attempt-1, 0), 4)
}

// finishIntake deletes row without acting on it and records why, with the
// request's own time and client.
func (a *App) finishIntake(ctx context.Context, row *db.IntakeRequest, outcome intakeOutcome, reason string) error {
	kind := db.AuditRequestFailed
	if outcome == intakeExpired {
		kind = db.AuditRequestExpired
	}
	deleted := false
	err := a.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var err error
		// A worker of another instance may have finished it meanwhile.
		if deleted, err = db.DeleteIntake(ctx, tx, row.ID); err != nil || !deleted {
			return err
		}
		event := &db.AuditEvent{Kind: kind, IP: row.IP, UserAgent: row.UserAgent, Detail: row.Journey + ": " + reason}
		return db.RecordAudit(ctx, tx, event, row.RequestedAt)
	})
	if err != nil {
		return fmt.Errorf("intake: finish %s: %w", row.ID, err)
	}
	if deleted {
		a.metrics.Intake.WithLabelValues(row.Journey, string(outcome)).Inc()
	}
	return nil
}

// sweepIntake finishes requests older than intakeMaxAge, which no worker
// matched in time (every instance was down, say): a mail that late would
// only confuse, and the sealed personal data must not linger.
func (a *App) sweepIntake(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	for {
		rows, err := db.StaleIntake(ctx, a.db, a.now().Add(-intakeMaxAge), 100)
		if err != nil {
			a.log.Error("sweep: intake", "err", err)
			return
		}
		for i := range rows {
			if err := a.finishIntake(ctx, &rows[i], intakeExpired, "not processed within "+intakeMaxAge.String()); err != nil {
				a.log.Error("sweep: intake", "err", err)
				return
			}
		}
		if len(rows) < 100 {
			return
		}
	}
}
