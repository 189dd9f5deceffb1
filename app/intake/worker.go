package intake

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"aikagi/app/route"
	"aikagi/app/secret"
	"aikagi/db"

	"github.com/uptrace/bun"
)

// Run matches recorded requests until ctx ends: Delay after
// this instance records one, and every poll for requests left by
// others. A short poll rather than LISTEN/NOTIFY: the instance that
// records a request is the one it wakes, so the poll only serves the rare
// request whose instance died first, and costs one indexed query.
func (w *Worker) Run(ctx context.Context) {
	ticker := time.NewTicker(poll)
	defer ticker.Stop()
	var lastSweep time.Time
	for {
		if time.Since(lastSweep) > sweepEvery {
			lastSweep = time.Now()
			w.Sweep(ctx)
		}
		switch _, err := w.ProcessDue(ctx); {
		case ctx.Err() != nil:
		case err != nil:
			w.polls.Failed(w.log, "intake: process", err)
		default:
			w.polls.Succeeded(w.log, "intake: process")
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-w.wake:
			if w.sleep(ctx, w.Delay) != nil {
				return
			}
		}
	}
}

// ProcessDue processes every due request and returns how many it
// finished. Requests go in batches, one transaction each, which keeps up
// with step 3 under load; when anything in a Batch fails, the Batch is
// rolled back whole and its requests are taken one at a time, so that only
// the failing one waits for a retry. On PostgreSQL, once a full batch shows
// that more is waiting, Lanes batches are matched at once (SKIP LOCKED
// keeps them apart): matching waits on the database's round trips far more
// than on this process. With little waiting one lane does it all, so that a
// request that fails is not tried by a second lane in the same pass.
func (w *Worker) ProcessDue(ctx context.Context) (n int, err error) {
	n, err = w.processStep(ctx)
	if err != nil || n < Batch || ctx.Err() != nil {
		return n, err
	}
	if !db.IsPostgres(w.db) {
		more, err := w.processLane(ctx)
		return n + more, err
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range Lanes {
		wg.Go(func() {
			done, lerr := w.processLane(ctx)
			mu.Lock()
			defer mu.Unlock()
			n += done
			err = cmp.Or(err, lerr)
		})
	}
	wg.Wait()
	return n, err
}

// processLane processes due requests a batch after another until none is
// due.
func (w *Worker) processLane(ctx context.Context) (n int, err error) {
	for ctx.Err() == nil {
		done, err := w.processStep(ctx)
		n += done
		if err != nil || done < Batch {
			return n, err
		}
	}
	return n, nil
}

// processStep processes one batch of due requests, or, when the batch
// fails, up to as many one at a time.
func (w *Worker) processStep(ctx context.Context) (int, error) {
	done, err := w.processBatch(ctx, Batch)
	if err != nil {
		return w.processOneByOne(ctx, Batch)
	}
	return done, nil
}

// processOneByOne processes up to limit due requests, a transaction
// each; a request that fails is left for a retry (retry).
func (w *Worker) processOneByOne(ctx context.Context, limit int) (n int, err error) {
	for n < limit && ctx.Err() == nil {
		rows, err := w.processTx(ctx, 1)
		if len(rows) == 0 {
			return n, err
		}
		n++
		if err != nil {
			if err := w.retry(context.WithoutCancel(ctx), &rows[0], err); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// processBatch processes up to limit due requests in one
// transaction, all or none.
func (w *Worker) processBatch(ctx context.Context, limit int) (int, error) {
	rows, err := w.processTx(ctx, limit)
	if err != nil {
		return 0, err
	}
	return len(rows), nil
}

// processTx claims up to limit due requests and, in the same
// transaction, acts on each and deletes it: a crash leaves either the rows,
// processed again later, or everything done. It returns the rows it
// claimed, also when it failed and rolled back.
func (w *Worker) processTx(ctx context.Context, limit int) (rows []db.IntakeRequest, err error) {
	// Requests under way finish even when shutdown begins.
	ctx = context.WithoutCancel(ctx)
	var outcomes []Outcome
	err = w.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) (err error) {
		// A request that makes the code panic is retried and then
		// finished like any failure, instead of taking the process down.
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("intake: panic: %v", p)
			}
		}()
		if rows, err = db.ClaimIntake(ctx, tx, w.now(), limit); err != nil {
			return err
		}
		outcomes = make([]Outcome, len(rows))
		for i := range rows {
			if outcomes[i], err = w.match(ctx, tx, &rows[i]); err != nil {
				return err
			}
			if _, err := db.DeleteIntake(ctx, tx, rows[i].ID); err != nil {
				return err
			}
			if w.BeforeCommit != nil {
				if err := w.BeforeCommit(&rows[i]); err != nil {
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
		w.metrics.Intake.WithLabelValues(row.Journey, string(outcomes[i])).Inc()
		if outcomes[i] == Matched {
			w.outboxWake()
		}
	}
	return rows, nil
}

// match opens row and hands it to its journey's matcher, in tx.
func (w *Worker) match(ctx context.Context, tx bun.Tx, row *db.IntakeRequest) (Outcome, error) {
	matcher := w.matchers[route.Journey(row.Journey)]
	if matcher == nil {
		return "", fmt.Errorf("intake: unknown journey %q", row.Journey)
	}
	plain, err := w.sealer.Open(row.ID, row.Payload)
	if err != nil {
		return "", fmt.Errorf("intake: %w", err)
	}
	req := Request{At: row.RequestedAt, Who: db.Actor{IP: row.IP, UserAgent: row.UserAgent}, Lang: row.Lang}
	if err := json.Unmarshal(plain, &req.Values); err != nil {
		return "", fmt.Errorf("intake: decode: %w", err)
	}
	return matcher(ctx, tx, req)
}

// retry records a failed attempt at row: it waits and is tried
// again, or, after MaxAttempts, is finished with an audit event.
func (w *Worker) retry(ctx context.Context, row *db.IntakeRequest, cause error) error {
	if errors.Is(cause, secret.ErrNoKeyOpens) && w.now().Sub(row.RequestedAt) < KeyGrace {
		w.log.Error("intake: cannot open a recorded request; check SECRET_KEY and SECRET_KEYS_OLD on this instance", "intake_id", row.ID, "journey", row.Journey)
		return db.PostponeIntake(ctx, w.db, row.ID, cause.Error(), w.now().Add(KeyRetry), false)
	}
	attempt := row.Attempts + 1
	if attempt >= MaxAttempts {
		w.log.Error("intake: gave up on a request; nothing was sent", "intake_id", row.ID, "journey", row.Journey, "attempts", attempt, "err", cause)
		return w.finish(ctx, row, Failed, cause.Error())
	}
	next := w.now().Add(RetryDelay(attempt))
	w.log.Warn("intake: will retry", "intake_id", row.ID, "journey", row.Journey, "attempt", attempt, "next_attempt_at", next, "err", cause)
	return db.PostponeIntake(ctx, w.db, row.ID, cause.Error(), next, true)
}

// RetryDelay doubles from 2 s: 2, 4, 8, 16 s.
func RetryDelay(attempt int) time.Duration {
	return 2 * time.Second << min(max(attempt-1, 0), 4)
}

// finish deletes row without acting on it and records why, with the
// request's own time and client.
func (w *Worker) finish(ctx context.Context, row *db.IntakeRequest, outcome Outcome, reason string) error {
	kind := db.AuditRequestFailed
	if outcome == Expired {
		kind = db.AuditRequestExpired
	}
	deleted := false
	err := w.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
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
		w.metrics.Intake.WithLabelValues(row.Journey, string(outcome)).Inc()
	}
	return nil
}

// Sweep finishes requests older than MaxAge, which no worker
// matched in time (every instance was down, say): a mail that late would
// only confuse, and the sealed personal data must not linger.
func (w *Worker) Sweep(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	for {
		rows, err := db.StaleIntake(ctx, w.db, w.now().Add(-MaxAge), 100)
		if err != nil {
			w.log.Error("sweep: intake", "err", err)
			return
		}
		for i := range rows {
			if err := w.finish(ctx, &rows[i], Expired, "not processed within "+MaxAge.String()); err != nil {
				w.log.Error("sweep: intake", "err", err)
				return
			}
		}
		if len(rows) < 100 {
			return
		}
	}
}
