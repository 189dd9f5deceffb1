// Package retention deletes what has expired or outlived its retention:
// rate counters, sessions (the console's too), reset links that can no
// longer be used or renewed, staff invitations, old login
// failures (the console's too), the sealed payloads of dead mail, finished mail's addresses
// (masked) and old audit events. It runs in every instance; the deletes
// are idempotent, so instances may overlap.
package retention

import (
	"context"
	"log/slog"
	"time"

	"aikagi/app/config"
	"aikagi/db"

	"github.com/uptrace/bun"
)

const (
	sweepEvery = 10 * time.Minute
	// auditSweepBatch bounds the audit events one sweep deletes, so that
	// the first sweep over a long trail does not hold the table for long;
	// the sweeps after it go on.
	auditSweepBatch = 10000
)

// Sweeper deletes on a schedule.
type Sweeper struct {
	db  *bun.DB
	log *slog.Logger
	now func() time.Time
	cfg config.Config
}

// New returns a Sweeper under cfg's LOGIN_LOCKOUT_WINDOW,
// MAIL_ADDRESS_RETENTION and AUDIT_RETENTION.
func New(bdb *bun.DB, log *slog.Logger, now func() time.Time, cfg config.Config) *Sweeper {
	return &Sweeper{db: bdb, log: log, now: now, cfg: cfg}
}

// Run sweeps at once and then every sweepEvery until ctx ends.
func (s *Sweeper) Run(ctx context.Context) {
	ticker := time.NewTicker(sweepEvery)
	defer ticker.Stop()
	for {
		s.Sweep(ctx)
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// Sweep deletes what has expired or outlived its retention once.
func (s *Sweeper) Sweep(ctx context.Context) {
	now := s.now()
	if _, err := db.DeleteExpiredCounters(ctx, s.db, now); err != nil {
		s.log.Error("sweep: rate counters", "err", err)
	}
	if err := db.DeleteExpired(ctx, s.db, now, now.Add(-s.cfg.LockoutWindow)); err != nil {
		s.log.Error("sweep", "err", err)
	}
	if err := db.DeleteOldStaffLoginFailures(ctx, s.db, now.Add(-s.cfg.LockoutWindow)); err != nil {
		s.log.Error("sweep: staff login failures", "err", err)
	}
	if _, err := db.DeleteOldResetTokens(ctx, s.db, now); err != nil {
		s.log.Error("sweep: reset links", "err", err)
	}
	if err := db.DeleteExpiredStaffSessions(ctx, s.db, now); err != nil {
		s.log.Error("sweep: staff sessions", "err", err)
	}
	if _, err := db.DeleteExpiredStaffInvites(ctx, s.db, now); err != nil {
		s.log.Error("sweep: staff invitations", "err", err)
	}
	if _, err := db.DropStalePayloads(ctx, s.db, now, now.Add(-db.DeadPayloadRetention)); err != nil {
		s.log.Error("sweep: outbox payloads", "err", err)
	}
	if _, err := db.MaskOldAddresses(ctx, s.db, now.Add(-s.cfg.MailAddressRetention), 1000); err != nil {
		s.log.Error("sweep: outbox addresses", "err", err)
	}
	if _, err := db.DeleteAuditBefore(ctx, s.db, now.Add(-s.cfg.AuditRetention), auditSweepBatch); err != nil {
		s.log.Error("sweep: audit trail", "err", err)
	}
}
