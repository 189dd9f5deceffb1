package db

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// IntakeRequest is a step 3 submission waiting to be matched against the
// accounts. Payload holds the login ID and address, sealed with the app's
// key; the row is deleted in the transaction that acts on it.
type IntakeRequest struct {
	bun.BaseModel `bun:"table:intake_requests"`

	ID          string    `bun:"id,pk"`
	Journey     string    `bun:"journey"`
	Payload     []byte    `bun:"payload"`
	Lang        string    `bun:"lang"`
	IP          string    `bun:"ip"`
	UserAgent   string    `bun:"user_agent"`
	RequestedAt time.Time `bun:"requested_at"`
	Attempts    int       `bun:"attempts"`
	DueMS       int64     `bun:"due_ms"` // Unix milliseconds
	LastError   string    `bun:"last_error"`
}

// InsertIntake stores r, made at now and due at due. It is the only
// statement step 3 runs besides the per-IP counter, whatever r contains.
func InsertIntake(ctx context.Context, idb bun.IDB, r *IntakeRequest, now, due time.Time) error {
	r.RequestedAt = Stamp(now)
	r.DueMS = due.UnixMilli()
	if _, err := idb.NewInsert().Model(r).Exec(ctx); err != nil {
		return fmt.Errorf("db: record request: %w", err)
	}
	return nil
}

// ClaimIntake locks up to limit of the oldest due requests for the
// transaction tx. On PostgreSQL, SKIP LOCKED lets workers of several
// instances take different rows; SQLite's write transaction holds the
// whole database, so one worker at a time gets here anyway.
func ClaimIntake(ctx context.Context, tx bun.Tx, now time.Time, limit int) ([]IntakeRequest, error) {
	var rows []IntakeRequest
	q := tx.NewSelect().Model(&rows).
		Where("due_ms <= ?", now.UnixMilli()).
		OrderExpr("due_ms, id").
		Limit(limit)
	if IsPostgres(tx) {
		q = q.For("UPDATE SKIP LOCKED")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("db: claim requests: %w", err)
	}
	return rows, nil
}

// DeleteIntake removes a processed request and reports whether it was
// still there. Call it in the transaction that writes what the request
// became.
func DeleteIntake(ctx context.Context, idb bun.IDB, id string) (bool, error) {
	res, err := idb.NewDelete().Model((*IntakeRequest)(nil)).Where("id = ?", id).Exec(ctx)
	return changedOne(res, err, "delete request")
}

// PostponeIntake makes id due again at next, after a failed attempt at
// processing it; count says whether the attempt counts against its tries.
func PostponeIntake(ctx context.Context, idb bun.IDB, id string, lastError string, next time.Time, count bool) error {
	q := idb.NewUpdate().Model((*IntakeRequest)(nil))
	if count {
		q = q.Set("attempts = attempts + 1")
	}
	_, err := q.
		Set("due_ms = ?", next.UnixMilli()).
		Set("last_error = ?", lastError).
		Where("id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("db: postpone request: %w", err)
	}
	return nil
}

// StaleIntake lists up to limit requests made before cutoff, oldest first:
// the sweep finishes what no worker could.
func StaleIntake(ctx context.Context, idb bun.IDB, cutoff time.Time, limit int) ([]IntakeRequest, error) {
	var rows []IntakeRequest
	err := idb.NewSelect().Model(&rows).
		Where("requested_at < ?", Stamp(cutoff)).
		OrderExpr("requested_at, id").Limit(limit).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("db: stale requests: %w", err)
	}
	return rows, nil
}

// IntakeBacklog is how many requests wait and since when the oldest.
type IntakeBacklog struct {
	Count  int
	Oldest time.Time // zero when none waits
}

// IntakeStats reads the backlog of the intake.
func IntakeStats(ctx context.Context, idb bun.IDB) (IntakeBacklog, error) {
	n, err := idb.NewSelect().Model((*IntakeRequest)(nil)).Count(ctx)
	if err != nil {
		return IntakeBacklog{}, fmt.Errorf("db: intake stats: %w", err)
	}
	var oldest []time.Time
	err = idb.NewSelect().Model((*IntakeRequest)(nil)).Column("requested_at").
		Order("requested_at").Limit(1).Scan(ctx, &oldest)
	if err != nil {
		return IntakeBacklog{}, fmt.Errorf("db: intake oldest: %w", err)
	}
	b := IntakeBacklog{Count: n}
	if len(oldest) == 1 {
		b.Oldest = oldest[0]
	}
	return b, nil
}
