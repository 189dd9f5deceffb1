package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// DeliveryEvent is what the mail provider last reported about a mail.
type DeliveryEvent string

// Delivery events, as the mail provider reports them through its webhooks.
const (
	DeliveryDelayed    DeliveryEvent = "delivery_delayed"
	DeliveryDelivered  DeliveryEvent = "delivered"
	DeliveryBounced    DeliveryEvent = "bounced"
	DeliveryFailed     DeliveryEvent = "failed" // the provider could not send it at all
	DeliveryComplained DeliveryEvent = "complained"
)

// DeliveryEvents lists every delivery event.
var DeliveryEvents = []DeliveryEvent{DeliveryDelivered, DeliveryDelayed, DeliveryBounced, DeliveryComplained, DeliveryFailed}

// deliveryRank orders the events from least to most final: a later event
// replaces an earlier one only when it says more, so webhooks arriving out
// of order or twice leave the row as it should be.
var deliveryRank = map[DeliveryEvent]int{
	"":                 0,
	DeliveryDelayed:    1,
	DeliveryDelivered:  2,
	DeliveryBounced:    3,
	DeliveryFailed:     3,
	DeliveryComplained: 4,
}

// EnqueueMail stores m as pending, due now. Call it in the transaction that
// creates whatever the mail announces.
func EnqueueMail(ctx context.Context, idb bun.IDB, m *OutboxMail, now time.Time) error {
	m.Status = OutboxPending
	m.CreatedAt = Stamp(now)
	m.NextAttemptAt = Stamp(now)
	if m.ExpiresAt != nil {
		at := Stamp(*m.ExpiresAt)
		m.ExpiresAt = &at
	}
	if _, err := idb.NewInsert().Model(m).Exec(ctx); err != nil {
		return fmt.Errorf("db: enqueue mail: %w", err)
	}
	return nil
}

// ClaimDueMail leases up to limit due rows to the caller until now+lease and
// counts the attempt. A row whose lease ran out (its worker died) is due
// again. On PostgreSQL, SKIP LOCKED keeps concurrent workers on disjoint rows;
// SQLite runs one writer at a time anyway.
//
// The returned Attempts identifies the claim: the Mark and Release functions
// take it and change the row only while that claim still holds, so a worker
// that outlived its lease cannot overwrite the outcome of the one that took
// over.
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

// claimed narrows q to the row id while the claim with that attempt count
// holds.
func claimed(q *bun.UpdateQuery, id string, attempt int) *bun.UpdateQuery {
	return q.Where("id = ?", id).Where("status = ?", OutboxSending).Where("attempts = ?", attempt)
}

func changedOne(res sql.Result, err error, what string) (bool, error) {
	if err != nil {
		return false, fmt.Errorf("db: %s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("db: %s: %w", what, err)
	}
	return n == 1, nil
}

// MarkMailSent records the delivery of the claim (id, attempt) and drops
// the sealed payload. It keeps any delivery event already recorded: the
// provider's webhook can overtake the worker. ok is false when the claim
// was lost.
func MarkMailSent(ctx context.Context, idb bun.IDB, id string, attempt int, providerID string, now time.Time) (ok bool, err error) {
	q := idb.NewUpdate().Model((*OutboxMail)(nil)).
		Set("status = ?", OutboxSent).
		Set("provider_id = ?", providerID).
		Set("sent_at = ?", Stamp(now)).
		Set("payload = NULL").
		Set("locked_until = NULL").
		Set("last_error = ''")
	res, err := claimed(q, id, attempt).Exec(ctx)
	return changedOne(res, err, "mark mail sent")
}

// RetryMailLater records a failed attempt of the claim (id, attempt) that
// may pass: the row is due again at next. ok is false when the claim was
// lost.
func RetryMailLater(ctx context.Context, idb bun.IDB, id string, attempt int, lastError string, next time.Time) (ok bool, err error) {
	q := idb.NewUpdate().Model((*OutboxMail)(nil)).
		Set("last_error = ?", lastError).
		Set("locked_until = NULL").
		Set("status = ?", OutboxPending).
		Set("next_attempt_at = ?", Stamp(next))
	res, err := claimed(q, id, attempt).Exec(ctx)
	return changedOne(res, err, "retry mail later")
}

// MarkMailDead records the last failed attempt of the claim (id, attempt):
// the mail is given up. A dead row keeps its payload for "outbox retry"
// until DropStalePayloads removes it. ok is false when the claim was lost.
func MarkMailDead(ctx context.Context, idb bun.IDB, id string, attempt int, lastError string, now time.Time) (ok bool, err error) {
	q := idb.NewUpdate().Model((*OutboxMail)(nil)).
		Set("last_error = ?", lastError).
		Set("locked_until = NULL").
		Set("status = ?", OutboxDead).
		Set("dead_at = ?", Stamp(now))
	res, err := claimed(q, id, attempt).Exec(ctx)
	return changedOne(res, err, "mark mail dead")
}

// RenewMailClaims extends the lease of the claims in rows (each identified
// by its id and Attempts, as ClaimDueMail returned it) to until, and
// returns the ids of those it renewed. A claim another worker has taken
// over, or that was marked or released, is not renewed: the attempts guard
// of MarkMailSent.
func RenewMailClaims(ctx context.Context, idb bun.IDB, rows []OutboxMail, until time.Time) ([]string, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	var ids []string
	err := idb.NewUpdate().Model((*OutboxMail)(nil)).
		Set("locked_until = ?", Stamp(until)).
		Where("status = ?", OutboxSending).
		WhereGroup(" AND ", func(q *bun.UpdateQuery) *bun.UpdateQuery {
			for _, row := range rows {
				q = q.WhereOr("id = ? AND attempts = ?", row.ID, row.Attempts)
			}
			return q
		}).
		Returning("id").
		Scan(ctx, &ids)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("db: renew mail claims: %w", err)
	}
	return ids, nil
}

// ReleaseMail hands the claim (id, attempt) back without counting the
// attempt, for a worker that stops before it could send.
func ReleaseMail(ctx context.Context, idb bun.IDB, id string, attempt int, now time.Time) (ok bool, err error) {
	q := idb.NewUpdate().Model((*OutboxMail)(nil)).
		Set("status = ?", OutboxPending).
		Set("attempts = attempts - 1").
		Set("locked_until = NULL").
		Set("next_attempt_at = ?", Stamp(now))
	res, err := claimed(q, id, attempt).Exec(ctx)
	return changedOne(res, err, "release mail")
}

// OutboxFilter selects rows for ListOutbox. Zero values select everything.
type OutboxFilter struct {
	Status   OutboxStatus  // one status
	Event    DeliveryEvent // one delivery event
	Problems bool          // dead, or bounced, complained or failed at the provider
	Limit    int
}

// ListOutbox returns the newest rows first, without their payloads, with
// the login ID of each row's account.
func ListOutbox(ctx context.Context, idb bun.IDB, f OutboxFilter) ([]OutboxMail, error) {
	var rows []OutboxMail
	q := idb.NewSelect().Model(&rows).ExcludeColumn("payload").
		ColumnExpr("(SELECT a.login_id FROM accounts AS a WHERE a.id = outbox_mail.account_id) AS login_id").
		OrderExpr("outbox_mail.created_at DESC, outbox_mail.id DESC")
	if f.Limit > 0 {
		q = q.Limit(f.Limit)
	}
	if f.Status != "" {
		q = q.Where("outbox_mail.status = ?", f.Status)
	}
	if f.Event != "" {
		q = q.Where("outbox_mail.delivery_event = ?", f.Event)
	}
	if f.Problems {
		q = q.Where("outbox_mail.status = ? OR outbox_mail.delivery_event IN (?)", OutboxDead,
			bun.In([]DeliveryEvent{DeliveryBounced, DeliveryComplained, DeliveryFailed}))
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("db: list outbox: %w", err)
	}
	return rows, nil
}

// GetOutboxMail returns the row with that id, payload included, or nil.
func GetOutboxMail(ctx context.Context, idb bun.IDB, id string) (*OutboxMail, error) {
	var m OutboxMail
	err := idb.NewSelect().Model(&m).Where("id = ?", id).Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("db: get outbox mail: %w", err)
	}
	return &m, nil
}

// RequeueMail makes a dead row, or a pending one waiting for its next
// attempt, due now with a fresh count of attempts, keeping its id (the
// provider's idempotency key) and payload. ok is false when the row is in
// no state to be retried, or has no payload left.
func RequeueMail(ctx context.Context, idb bun.IDB, id string, now time.Time) (ok bool, err error) {
	res, err := idb.NewUpdate().Model((*OutboxMail)(nil)).
		Set("status = ?", OutboxPending).
		Set("attempts = 0").
		Set("next_attempt_at = ?", Stamp(now)).
		Set("locked_until = NULL").
		Set("dead_at = NULL").
		Where("id = ?", id).
		Where("status IN (?)", bun.In([]OutboxStatus{OutboxDead, OutboxPending})).
		Where("payload IS NOT NULL").
		Exec(ctx)
	return changedOne(res, err, "requeue mail")
}

// MessageRef names a mail as a delivery webhook does: by the outbox id the
// mail carried as a tag, and by the provider's message id. Either may be
// empty.
type MessageRef struct {
	OutboxID   string
	ProviderID string
}

// findMessage returns the id of the outbox row ref names, or "" when there
// is none. The outbox id comes first: it is on the row from the start,
// while the provider id is stored only once the worker has recorded the
// send, which a webhook may overtake.
func findMessage(ctx context.Context, idb bun.IDB, ref MessageRef) (string, error) {
	var ids []string
	if ref.OutboxID != "" {
		if err := idb.NewSelect().Table("outbox").Column("id").Where("id = ?", ref.OutboxID).Scan(ctx, &ids); err != nil {
			return "", err
		}
	}
	if len(ids) == 0 && ref.ProviderID != "" {
		if err := idb.NewSelect().Table("outbox").Column("id").Where("provider_id = ?", ref.ProviderID).Limit(1).Scan(ctx, &ids); err != nil {
			return "", err
		}
	}
	if len(ids) == 0 {
		return "", nil
	}
	return ids[0], nil
}

// RecordDeliveryEvent stores event against the row ref names, whatever
// its status (a webhook may arrive before the worker has marked the row
// sent; MarkMailSent leaves the event alone), unless the row already holds
// that event or a more final one. It returns the row when it changed, nil
// otherwise; known is false when no row matches ref.
func RecordDeliveryEvent(ctx context.Context, idb bun.IDB, ref MessageRef, event DeliveryEvent, detail string, now time.Time) (row *OutboxMail, known bool, err error) {
	rank, ok := deliveryRank[event]
	if !ok || event == "" {
		return nil, false, fmt.Errorf("db: record delivery event: unknown event %q", event)
	}
	id, err := findMessage(ctx, idb, ref)
	if err != nil {
		return nil, false, fmt.Errorf("db: record delivery event: %w", err)
	}
	if id == "" {
		return nil, false, nil
	}
	var lower []DeliveryEvent
	for e, r := range deliveryRank {
		if r < rank {
			lower = append(lower, e)
		}
	}
	var rows []OutboxMail
	err = idb.NewRaw(`
UPDATE outbox SET delivery_event = ?, delivery_event_at = ?, delivery_detail = ?
WHERE id = ? AND delivery_event IN (?)
RETURNING id, kind, account_id, to_addr, status, delivery_event`,
		event, Stamp(now), detail, id, bun.In(lower),
	).Scan(ctx, &rows)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, true, fmt.Errorf("db: record delivery event: %w", err)
	}
	if len(rows) == 0 {
		return nil, true, nil
	}
	return &rows[0], true, nil
}

// DropStalePayloads clears the sealed payload of dead rows that can no
// longer be retried usefully: their content expired, or they died before
// deadBefore. It returns how many it cleared.
func DropStalePayloads(ctx context.Context, idb bun.IDB, now, deadBefore time.Time) (int64, error) {
	res, err := idb.NewUpdate().Model((*OutboxMail)(nil)).
		Set("payload = NULL").
		Where("status = ?", OutboxDead).
		Where("payload IS NOT NULL").
		Where("dead_at <= ? OR expires_at <= ?", Stamp(deadBefore), Stamp(now)).
		Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("db: drop stale payloads: %w", err)
	}
	return res.RowsAffected()
}

// MaskOldAddresses shortens the recipient address of up to limit finished
// mails (sent or dead) queued before cutoff to its first two characters and
// its domain — "ta***@example.jp" — so that the delivery facts stay for
// support and statistics while the address itself does not. It returns how
// many it masked.
func MaskOldAddresses(ctx context.Context, idb bun.IDB, cutoff time.Time, limit int) (int, error) {
	var rows []OutboxMail
	err := idb.NewSelect().Model(&rows).Column("id", "to_addr").
		Where("status IN (?)", bun.In([]OutboxStatus{OutboxSent, OutboxDead})).
		Where("created_at < ?", Stamp(cutoff)).
		Where("to_addr NOT LIKE ?", "%***@%").
		OrderExpr("created_at").Limit(limit).Scan(ctx)
	if err != nil {
		return 0, fmt.Errorf("db: old addresses: %w", err)
	}
	for _, r := range rows {
		if _, err := idb.NewUpdate().Model((*OutboxMail)(nil)).Set("to_addr = ?", MaskAddress(r.ToAddr)).Where("id = ?", r.ID).Exec(ctx); err != nil {
			return 0, fmt.Errorf("db: mask address: %w", err)
		}
	}
	return len(rows), nil
}

// MaskAddress keeps enough of an address to recognise it: "ta***@example.jp".
func MaskAddress(addr string) string {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok {
		return "***"
	}
	r := []rune(local)
	if len(r) > 2 {
		r = r[:2]
	}
	return string(r) + "***@" + domain
}
