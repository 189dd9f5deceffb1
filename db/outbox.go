package db

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// EnqueueMail stores m as pending, due now. Call it in the transaction that
// creates whatever the mail announces.
func EnqueueMail(ctx context.Context, idb bun.IDB, m *OutboxMail, now time.Time) error {
	m.Status = OutboxPending
	m.CreatedAt = Stamp(now)
	m.NextAttemptAt = Stamp(now)
	if _, err := idb.NewInsert().Model(m).Exec(ctx); err != nil {
		return fmt.Errorf("db: enqueue mail: %w", err)
	}
	return nil
}

// ClaimDueMail leases up to limit due rows to the caller until now+lease and
// counts the attempt. A row whose lease ran out (its worker died) is due
// again. On PostgreSQL, SKIP LOCKED keeps concurrent workers on disjoint rows;
// SQLite runs one writer at a time anyway.
func ClaimDueMail(ctx context.Context, idb bun.IDB, now time.Time, lease time.Duration, limit int) ([]OutboxMail, error) {
	lockClause := ""
	if IsPostgres(idb) {
		lockClause = "FOR UPDATE SKIP LOCKED"
	}
	var rows []OutboxMail
	err := idb.NewRaw(`
UPDATE outbox SET status = ?, locked_until = ?, attempts = attempts + 1
WHERE id IN (
    SELECT id FROM outbox
    WHERE (status = ? AND next_attempt_at <= ?) OR (status = ? AND locked_until <= ?)
    ORDER BY next_attempt_at
    LIMIT ? `+lockClause+`
)
RETURNING *`,
		OutboxSending, Stamp(now.Add(lease)),
		OutboxPending, Stamp(now), OutboxSending, Stamp(now),
		limit,
	).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("db: claim due mail: %w", err)
	}
	return rows, nil
}

// MarkMailSent records the delivery and drops the sealed payload.
func MarkMailSent(ctx context.Context, idb bun.IDB, id, providerID string, now time.Time) error {
	_, err := idb.NewUpdate().Model((*OutboxMail)(nil)).
		Set("status = ?", OutboxSent).
		Set("provider_id = ?", providerID).
		Set("sent_at = ?", Stamp(now)).
		Set("payload = NULL").
		Set("locked_until = NULL").
		Set("last_error = ''").
		Where("id = ?", id).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("db: mark mail sent: %w", err)
	}
	return nil
}

// MarkMailFailed records a failed attempt: the row is due again at next, or
// dead when dead is true (its payload is then dropped too).
func MarkMailFailed(ctx context.Context, idb bun.IDB, id, lastError string, next time.Time, dead bool) error {
	q := idb.NewUpdate().Model((*OutboxMail)(nil)).
		Set("last_error = ?", lastError).
		Set("locked_until = NULL").
		Where("id = ?", id)
	if dead {
		q = q.Set("status = ?", OutboxDead).Set("payload = NULL")
	} else {
		q = q.Set("status = ?", OutboxPending).Set("next_attempt_at = ?", Stamp(next))
	}
	if _, err := q.Exec(ctx); err != nil {
		return fmt.Errorf("db: mark mail failed: %w", err)
	}
	return nil
}

// ReleaseMail hands a claimed row back without counting the attempt, for a
// worker that stops before it could send.
func ReleaseMail(ctx context.Context, idb bun.IDB, id string, now time.Time) error {
	_, err := idb.NewUpdate().Model((*OutboxMail)(nil)).
		Set("status = ?", OutboxPending).
		Set("attempts = attempts - 1").
		Set("locked_until = NULL").
		Set("next_attempt_at = ?", Stamp(now)).
		Where("id = ?", id).
		Where("status = ?", OutboxSending).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("db: release mail: %w", err)
	}
	return nil
}

// ListOutbox returns the newest rows first, optionally of one status.
func ListOutbox(ctx context.Context, idb bun.IDB, status string, limit int) ([]OutboxMail, error) {
	var rows []OutboxMail
	q := idb.NewSelect().Model(&rows).ExcludeColumn("payload").OrderExpr("created_at DESC, id DESC").Limit(limit)
	if status != "" {
		q = q.Where("status = ?", status)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("db: list outbox: %w", err)
	}
	return rows, nil
}
