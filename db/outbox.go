package db

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
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

// due is the condition of a row a worker may claim: pending and due, or
// claimed by a worker whose lease ran out (it died).
const due = "((status = ? AND next_attempt_at <= ?) OR (status = ? AND locked_until <= ?))"

func dueArgs(now time.Time) []any {
	return []any{OutboxPending, Stamp(now), OutboxSending, Stamp(now)}
}

// fairOrder is the order in which waiting mail is served: each
// recipient's first mail before anyone's repeat, then earliest deadline.
const fairOrder = "is_repeat, expires_at, created_at, id"

// DeadPayloadRetention is how long a dead row keeps its sealed payload for
// "outbox retry" at most; its deadline usually ends it sooner.
const DeadPayloadRetention = 7 * 24 * time.Hour

// LegacyMailDeadline is the deadline given to mail queued before every mail
// had one (FillMailDeadlines).
const LegacyMailDeadline = 24 * time.Hour

// ClaimMail leases the next unit of due mail to the caller until
// now+lease and counts the attempt: a batch whose earlier attempt failed,
// whole, or else up to limit due rows in fair order (is_repeat, deadline).
// Rows past their deadline are never claimed (ExpireOverdueMail ends them).
// Several rows are fixed as a batch under newBatchID, which stays on them
// across retries so that a retry sends the same set under the same key; a
// single row, or a row marked alone, is claimed on its own. On PostgreSQL,
// SKIP LOCKED keeps concurrent workers on disjoint rows; SQLite runs one
// writer at a time anyway.
//
// The returned Attempts identifies each row's claim: the Mark and Release
// functions take it and change the row only while that claim still holds,
// so a worker that outlived its lease cannot overwrite the outcome of the
// one that took over.
func ClaimMail(ctx context.Context, bdb *bun.DB, now time.Time, lease time.Duration, limit int, newBatchID string) (rows []OutboxMail, err error) {
	err = bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if rows, err = reclaimBatch(ctx, tx, now, lease); err != nil || len(rows) > 0 {
			return err
		}
		rows, err = claimNew(ctx, tx, now, lease, limit, newBatchID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("db: claim mail: %w", err)
	}
	return rows, nil
}

func skipLocked(idb bun.IDB) string {
	if IsPostgres(idb) {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// reclaimBatch claims the members of a due batch, whole. A batch that lost
// members (they expired) is dissolved instead: its rows wait again as
// single rows, and nothing is returned.
func reclaimBatch(ctx context.Context, tx bun.Tx, now time.Time, lease time.Duration) ([]OutboxMail, error) {
	var ids []string
	err := tx.NewRaw("SELECT batch_id FROM outbox WHERE batch_id IS NOT NULL AND "+due+
		" ORDER BY "+fairOrder+" LIMIT 1"+skipLocked(tx), dueArgs(now)...).Scan(ctx, &ids)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	batch := ids[0]
	var rows []OutboxMail
	args := append([]any{OutboxSending, Stamp(now.Add(lease)), batch}, dueArgs(now)...)
	err = tx.NewRaw("UPDATE outbox SET status = ?, locked_until = ?, attempts = attempts + 1 WHERE batch_id = ? AND "+due+
		" RETURNING *", args...).Scan(ctx, &rows)
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	if len(rows) == rows[0].BatchSize {
		sortFair(rows)
		return rows, nil
	}
	_, err = tx.NewUpdate().Model((*OutboxMail)(nil)).
		Set("status = ?", OutboxPending).
		Set("attempts = attempts - 1").
		Set("locked_until = NULL").
		Set("batch_id = NULL").
		Set("batch_size = 0").
		Where("batch_id = ?", batch).Where("status = ?", OutboxSending).
		Where("locked_until = ?", Stamp(now.Add(lease))).
		Exec(ctx)
	return nil, err
}

// claimNew claims due rows that belong to no batch: the first in fair
// order alone when it must go alone, else up to limit rows that may share
// a batch.
func claimNew(ctx context.Context, tx bun.Tx, now time.Time, lease time.Duration, limit int, newBatchID string) ([]OutboxMail, error) {
	var heads []struct {
		ID    string `bun:"id"`
		Alone bool   `bun:"alone"`
	}
	args := append(dueArgs(now), Stamp(now), limit)
	err := tx.NewRaw("SELECT id, alone FROM outbox WHERE batch_id IS NULL AND "+due+
		" AND (expires_at IS NULL OR expires_at > ?) ORDER BY "+fairOrder+" LIMIT ?"+skipLocked(tx), args...).Scan(ctx, &heads)
	if err != nil || len(heads) == 0 {
		return nil, err
	}
	var ids []string
	if heads[0].Alone {
		ids = []string{heads[0].ID}
	} else {
		for _, h := range heads {
			if !h.Alone {
				ids = append(ids, h.ID)
			}
		}
	}
	q := tx.NewUpdate().Model((*OutboxMail)(nil)).
		Set("status = ?", OutboxSending).
		Set("locked_until = ?", Stamp(now.Add(lease))).
		Set("attempts = attempts + 1").
		Where("id IN (?)", bun.List(ids)).
		Returning("*")
	if len(ids) > 1 {
		q = q.Set("batch_id = ?", newBatchID).Set("batch_size = ?", len(ids))
	}
	var rows []OutboxMail
	if err := q.Scan(ctx, &rows); err != nil {
		return nil, err
	}
	sortFair(rows)
	return rows, nil
}

// sortFair puts rows in fairOrder, which RETURNING does not keep.
func sortFair(rows []OutboxMail) {
	slices.SortFunc(rows, func(a, b OutboxMail) int {
		if a.IsRepeat != b.IsRepeat {
			if a.IsRepeat {
				return 1
			}
			return -1
		}
		return cmp.Or(compareTimes(a.ExpiresAt, b.ExpiresAt), a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
}

func compareTimes(a, b *time.Time) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	return a.Compare(*b)
}

// ExpireOverdueMail ends up to limit waiting rows whose deadline has
// passed (and rows claimed by a worker that died meanwhile): they become
// expired, unsent, and lose their sealed payload. It returns them.
func ExpireOverdueMail(ctx context.Context, idb bun.IDB, now time.Time, limit int) ([]OutboxMail, error) {
	var rows []OutboxMail
	args := append([]any{OutboxExpired, Stamp(now)}, dueArgs(now)...)
	args = append(args, Stamp(now), limit)
	err := idb.NewRaw(`
UPDATE outbox SET status = ?, expired_at = ?, payload = NULL, locked_until = NULL
WHERE id IN (
    SELECT id FROM outbox WHERE `+due+` AND expires_at <= ?
    ORDER BY expires_at LIMIT ?`+skipLocked(idb)+`
)
RETURNING id, kind, account_id, to_addr, expires_at, created_at, attempts`, args...).Scan(ctx, &rows)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("db: expire overdue mail: %w", err)
	}
	return rows, nil
}

// HasRecentMail reports whether mail to the account was queued since
// (every mail is queued for an account; a reminder for the address's
// first).
func HasRecentMail(ctx context.Context, idb bun.IDB, accountID int64, since time.Time) (bool, error) {
	ok, err := idb.NewSelect().Table("outbox").Where("account_id = ?", accountID).
		Where("created_at >= ?", Stamp(since)).Exists(ctx)
	if err != nil {
		return false, fmt.Errorf("db: recent mail: %w", err)
	}
	return ok, nil
}

// FillMailDeadlines gives mail queued before every mail had a deadline
// one: LegacyMailDeadline after it was queued.
func FillMailDeadlines(ctx context.Context, idb bun.IDB) error {
	var rows []OutboxMail
	err := idb.NewSelect().Model(&rows).Column("id", "created_at").
		Where("expires_at IS NULL").Where("status IN (?)", bun.List([]OutboxStatus{OutboxPending, OutboxSending})).
		Scan(ctx)
	if err != nil {
		return fmt.Errorf("db: mail deadlines: %w", err)
	}
	for _, r := range rows {
		if _, err := idb.NewUpdate().Model((*OutboxMail)(nil)).Set("expires_at = ?", Stamp(r.CreatedAt.Add(LegacyMailDeadline))).
			Where("id = ?", r.ID).Where("expires_at IS NULL").Exec(ctx); err != nil {
			return fmt.Errorf("db: mail deadline: %w", err)
		}
	}
	return nil
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
// by its id and Attempts, as ClaimMail returned it) to until, and
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
// attempt, due again at next: for a worker that stops before it could
// send, or whose provider refused to take anything yet (429). With
// keepBatch the row stays in its batch, for a send that may have reached
// the provider; otherwise it waits again on its own. A reason, when given,
// is kept as the row's last error.
func ReleaseMail(ctx context.Context, idb bun.IDB, id string, attempt int, next time.Time, keepBatch bool, reason string) (ok bool, err error) {
	q := idb.NewUpdate().Model((*OutboxMail)(nil)).
		Set("status = ?", OutboxPending).
		Set("attempts = attempts - 1").
		Set("locked_until = NULL").
		Set("next_attempt_at = ?", Stamp(next))
	if !keepBatch {
		q = q.Set("batch_id = NULL").Set("batch_size = 0")
	}
	if reason != "" {
		q = q.Set("last_error = ?", reason)
	}
	res, err := claimed(q, id, attempt).Exec(ctx)
	return changedOne(res, err, "release mail")
}

// SendMailAlone takes the claim (id, attempt) out of its batch, uncounted
// and due at once, to be sent on its own from now on: its batch was
// refused for the content of one mail, and nothing of it was sent.
func SendMailAlone(ctx context.Context, idb bun.IDB, id string, attempt int, now time.Time) (ok bool, err error) {
	q := idb.NewUpdate().Model((*OutboxMail)(nil)).
		Set("status = ?", OutboxPending).
		Set("attempts = attempts - 1").
		Set("locked_until = NULL").
		Set("next_attempt_at = ?", Stamp(now)).
		Set("batch_id = NULL").
		Set("batch_size = 0").
		Set("alone = TRUE")
	res, err := claimed(q, id, attempt).Exec(ctx)
	return changedOne(res, err, "send mail alone")
}

// OutboxFilter selects rows for ListOutbox. Zero values select everything.
type OutboxFilter struct {
	Status   OutboxStatus  // one status
	Event    DeliveryEvent // one delivery event
	Problems bool          // dead or expired, or bounced, complained or failed at the provider
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
		q = q.Where("outbox_mail.status IN (?) OR outbox_mail.delivery_event IN (?)", bun.List([]OutboxStatus{OutboxDead, OutboxExpired}),
			bun.List([]DeliveryEvent{DeliveryBounced, DeliveryComplained, DeliveryFailed}))
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
// provider's idempotency key) and payload; it goes on its own, under that
// key, so that a copy an earlier attempt left at the provider is not
// delivered again. ok is false
// when the row is in no state to be retried, has no payload left, or is
// past its deadline.
func RequeueMail(ctx context.Context, idb bun.IDB, id string, now time.Time) (ok bool, err error) {
	res, err := idb.NewUpdate().Model((*OutboxMail)(nil)).
		Set("status = ?", OutboxPending).
		Set("attempts = 0").
		Set("next_attempt_at = ?", Stamp(now)).
		Set("locked_until = NULL").
		Set("dead_at = NULL").
		Set("batch_id = NULL").
		Set("batch_size = 0").
		Set("alone = TRUE").
		Where("id = ?", id).
		Where("expires_at IS NULL OR expires_at > ?", Stamp(now)).
		Where("status IN (?)", bun.List([]OutboxStatus{OutboxDead, OutboxPending})).
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
		event, Stamp(now), detail, id, bun.List(lower),
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
		Where("status IN (?)", bun.List([]OutboxStatus{OutboxSent, OutboxDead})).
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
