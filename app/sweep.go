package app

import (
	"context"
	"time"

	"aikagi/app/mail"
	"aikagi/db"
)

const (
	sweepEvery = 10 * time.Minute
	// auditSweepBatch bounds the audit events one sweep deletes, so that
	// the first sweep over a long trail does not hold the table for long;
	// the sweeps after it go on.
	auditSweepBatch = 10000
)

// runSweeps sweeps at once and then every sweepEvery until ctx ends.
func (a *App) runSweeps(ctx context.Context) {
	ticker := time.NewTicker(sweepEvery)
	defer ticker.Stop()
	for {
		a.sweep(ctx)
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// sweep deletes what has expired or outlived its retention: rate counters,
// sessions, login failures too old to count, the sealed payloads of dead
// mail nobody can retry, finished mail's addresses (masked) and old audit
// events.
func (a *App) sweep(ctx context.Context) {
	now := a.now()
	if _, err := db.DeleteExpiredCounters(ctx, a.db, now); err != nil {
		a.log.Error("sweep: rate counters", "err", err)
	}
	if err := db.DeleteExpired(ctx, a.db, now, now.Add(-a.cfg.LockoutWindow)); err != nil {
		a.log.Error("sweep", "err", err)
	}
	if _, err := db.DropStalePayloads(ctx, a.db, now, now.Add(-mail.Retention)); err != nil {
		a.log.Error("sweep: outbox payloads", "err", err)
	}
	if _, err := db.MaskOldAddresses(ctx, a.db, now.Add(-a.cfg.MailAddressRetention), 1000); err != nil {
		a.log.Error("sweep: outbox addresses", "err", err)
	}
	if _, err := db.DeleteAuditBefore(ctx, a.db, now.Add(-a.cfg.AuditRetention), auditSweepBatch); err != nil {
		a.log.Error("sweep: audit trail", "err", err)
	}
}
