package db

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// RequestCounts are step 3 requests (reset links and login-ID reminders)
// by what became of them.
type RequestCounts struct {
	Matched   int // an account matched; a mail was queued
	Unmatched int // no account matched
	Limited   int // refused by a limit: the account's mails, or the client's requests
}

// MailCounts are mails by what happened to them.
type MailCounts struct {
	Sent      int // handed to the provider
	Delivered int // the provider reports delivery
	Bounced   int // the provider reports a bounce or that it could not send
	Dead      int // the worker gave up, and nobody has requeued it
}

// OverviewHour is what happened in one clock hour, for the console's
// overview. Hours add up to days.
type OverviewHour struct {
	Start    time.Time // UTC, on the hour
	Requests RequestCounts
	Mails    MailCounts
	Resets   int             // passwords changed through a reset link
	Waits    []time.Duration // request to new password, for each reset link used in the hour
}

// Add counts o's figures into h.
func (h *OverviewHour) Add(o OverviewHour) {
	h.Requests.Matched += o.Requests.Matched
	h.Requests.Unmatched += o.Requests.Unmatched
	h.Requests.Limited += o.Requests.Limited
	h.Mails.Sent += o.Mails.Sent
	h.Mails.Delivered += o.Mails.Delivered
	h.Mails.Bounced += o.Mails.Bounced
	h.Mails.Dead += o.Mails.Dead
	h.Resets += o.Resets
	h.Waits = append(h.Waits, o.Waits...)
}

// overviewKinds are the audit events the overview counts.
var overviewKinds = []AuditKind{
	AuditResetRequested, AuditReminderRequested,
	AuditResetUnmatched, AuditReminderUnmatched,
	AuditResetLimited, AuditReminderLimited, AuditRateLimited,
	AuditPasswordChanged,
}

// What the outbox rows of the overview's query are counted as, beside the
// audit kinds and delivery events.
const (
	overviewSent = "outbox_sent"
	overviewDead = "outbox_dead"
)

// hourOf is the SQL for the hour col falls in, as a whole number of hours
// since 1970 UTC: the same number on both databases, so grouping by it
// needs no date functions that differ between them.
func hourOf(idb bun.IDB, col string) string {
	if IsPostgres(idb) {
		return "CAST(floor(extract(epoch FROM " + col + ") / 3600) AS BIGINT)"
	}
	// SQLite keeps times as UTC text with an offset, which strftime reads.
	return "(CAST(strftime('%s', " + col + ") AS INTEGER) / 3600)"
}

// OverviewHours counts, for each clock hour from from up to to (both
// rounded down to the hour, UTC), the requests, mails and completed
// resets, with the time each reset took. Hours without anything are
// returned too, so the result has one entry per hour, oldest first.
//
// sendLimit is the name of the per-client limit on step 3 (the detail of
// its rate_limited events): refusals by the other per-client limits, such
// as logins, are no requests. An aggregated refusal counts all its
// refusals in the hour of its first one; the limit's windows are aligned
// to the clock, so for windows up to an hour that is the hour of each.
//
// Every statement is bounded by the time range on an indexed column
// (migration 20261201000013_overview_indexes).
func OverviewHours(ctx context.Context, idb bun.IDB, from, to time.Time, sendLimit string) ([]OverviewHour, error) {
	from, to = from.UTC().Truncate(time.Hour), to.UTC().Truncate(time.Hour)
	if !from.Before(to) {
		return nil, nil
	}
	hours := make([]OverviewHour, int(to.Sub(from)/time.Hour))
	for i := range hours {
		hours[i].Start = from.Add(time.Duration(i) * time.Hour)
	}
	first := from.Unix() / 3600
	at := func(hour int64) *OverviewHour {
		if i := hour - first; i >= 0 && i < int64(len(hours)) {
			return &hours[i]
		}
		return nil
	}
	if err := countOverview(ctx, idb, Stamp(from), Stamp(to), sendLimit, at); err != nil {
		return nil, err
	}
	if err := resetWaits(ctx, idb, Stamp(from), Stamp(to), at); err != nil {
		return nil, err
	}
	return hours, nil
}

// countOverview runs the one grouped query of OverviewHours and adds each
// row to its hour.
func countOverview(ctx context.Context, idb bun.IDB, from, to time.Time, sendLimit string, at func(int64) *OverviewHour) error {
	var rows []struct {
		What string `bun:"what"`
		Hour int64  `bun:"hour"`
		N    int    `bun:"n"`
	}
	h := func(col string) string { return hourOf(idb, col) }
	err := idb.NewRaw(`
SELECT kind AS what, `+h("at")+` AS hour, SUM(count) AS n FROM audit_events
WHERE kind IN (?) AND at >= ? AND at < ? AND (kind <> ? OR detail = ?)
GROUP BY kind, `+h("at")+`
UNION ALL
SELECT ? AS what, `+h("sent_at")+` AS hour, COUNT(*) AS n FROM outbox
WHERE sent_at >= ? AND sent_at < ?
GROUP BY `+h("sent_at")+`
UNION ALL
SELECT delivery_event AS what, `+h("delivery_event_at")+` AS hour, COUNT(*) AS n FROM outbox
WHERE delivery_event_at >= ? AND delivery_event_at < ? AND delivery_event IN (?)
GROUP BY delivery_event, `+h("delivery_event_at")+`
UNION ALL
SELECT ? AS what, `+h("dead_at")+` AS hour, COUNT(*) AS n FROM outbox
WHERE dead_at >= ? AND dead_at < ?
GROUP BY `+h("dead_at"),
		bun.List(overviewKinds), from, to, AuditRateLimited, sendLimit,
		overviewSent, from, to,
		from, to, bun.List([]DeliveryEvent{DeliveryDelivered, DeliveryBounced, DeliveryFailed}),
		overviewDead, from, to,
	).Scan(ctx, &rows)
	if err != nil {
		return fmt.Errorf("db: overview counts: %w", err)
	}
	for _, r := range rows {
		if hour := at(r.Hour); hour != nil {
			countInto(hour, r.What, r.N)
		}
	}
	return nil
}

// countInto adds n events of what (an audit kind, a delivery event or an
// outbox state) to h.
func countInto(h *OverviewHour, what string, n int) {
	switch what {
	case string(AuditResetRequested), string(AuditReminderRequested):
		h.Requests.Matched += n
	case string(AuditResetUnmatched), string(AuditReminderUnmatched):
		h.Requests.Unmatched += n
	case string(AuditResetLimited), string(AuditReminderLimited), string(AuditRateLimited):
		h.Requests.Limited += n
	case string(AuditPasswordChanged):
		h.Resets += n
	case overviewSent:
		h.Mails.Sent += n
	case string(DeliveryDelivered):
		h.Mails.Delivered += n
	case string(DeliveryBounced), string(DeliveryFailed):
		h.Mails.Bounced += n
	case overviewDead:
		h.Mails.Dead += n
	}
}

// resetWaits adds to each hour the time from request to new password of
// the reset links used in it. The median is taken in Go: SQLite has no
// percentile function, and the links of a fortnight are few.
func resetWaits(ctx context.Context, idb bun.IDB, from, to time.Time, at func(int64) *OverviewHour) error {
	var tokens []struct {
		CreatedAt time.Time `bun:"created_at"`
		UsedAt    time.Time `bun:"used_at"`
	}
	err := idb.NewSelect().Table("reset_tokens").Column("created_at", "used_at").
		Where("used_at >= ?", from).Where("used_at < ?", to).Scan(ctx, &tokens)
	if err != nil {
		return fmt.Errorf("db: overview reset times: %w", err)
	}
	for _, tk := range tokens {
		if hour := at(tk.UsedAt.Unix() / 3600); hour != nil {
			hour.Waits = append(hour.Waits, tk.UsedAt.Sub(tk.CreatedAt))
		}
	}
	return nil
}

// Backlog is what waits to be processed right now.
type Backlog struct {
	Intake       int       // step 3 requests not matched yet
	IntakeOldest time.Time // zero when none waits
	Outbox       int       // mails not sent yet (pending or being sent)
	OutboxOldest time.Time // zero when none waits
}

// CurrentBacklog reads the intake's and the outbox's backlog. Unlike
// OutboxStats, it counts only the waiting rows, through the outbox's
// status index, rather than every mail ever sent.
func CurrentBacklog(ctx context.Context, idb bun.IDB) (Backlog, error) {
	intake, err := IntakeStats(ctx, idb)
	if err != nil {
		return Backlog{}, err
	}
	b := Backlog{Intake: intake.Count, IntakeOldest: intake.Oldest}
	waiting := []OutboxStatus{OutboxPending, OutboxSending}
	var rows []struct {
		N      int        `bun:"n"`
		Oldest *time.Time `bun:"oldest"`
	}
	err = idb.NewSelect().Table("outbox").ColumnExpr("COUNT(*) AS n").ColumnExpr("MIN(created_at) AS oldest").
		Where("status IN (?)", bun.List(waiting)).Scan(ctx, &rows)
	if err != nil {
		return Backlog{}, fmt.Errorf("db: outbox backlog: %w", err)
	}
	if len(rows) == 1 {
		b.Outbox = rows[0].N
		if rows[0].Oldest != nil {
			b.OutboxOldest = *rows[0].Oldest
		}
	}
	return b, nil
}

// AttentionKind names a list of the overview's "needs attention".
type AttentionKind string

// Needs-attention lists.
const (
	AttentionBounced  AttentionKind = "bounced"  // a mail bounced, could not be sent or was marked as spam
	AttentionDead     AttentionKind = "dead"     // the worker gave up on a mail and nobody requeued it
	AttentionExpired  AttentionKind = "expired"  // a mail passed its deadline before it could be handed over, and was not sent
	AttentionReported AttentionKind = "reported" // 「心当たりがない」: the merchant disowned a reset link
	AttentionRepeated AttentionKind = "repeated" // an account under repeated requests
)

// Bounds of the needs-attention lists.
const (
	AttentionListMax         = 20                  // items in each list, newest first
	AttentionWindow          = 14 * 24 * time.Hour // how far back bounces, expired mail and reports are listed
	RepeatedRequestWindow    = 24 * time.Hour
	RepeatedRequestThreshold = 5 // matched or limited requests for one account within RepeatedRequestWindow
)

// AttentionItem is one account or mail support should look at.
type AttentionItem struct {
	Kind      AttentionKind
	AccountID int64 // 0 when the account is gone
	LoginID   string
	At        time.Time // when it happened; for repeated requests, the latest
	What      string    // the delivery event, or the mail's kind for dead and expired mail
	Count     int       // requests, for repeated requests
}

// Attention are the needs-attention lists, each newest first.
type Attention struct {
	Bounced, Dead, Expired, Reported, Repeated []AttentionItem
}

// NeedsAttention reads the needs-attention lists as of now.
func NeedsAttention(ctx context.Context, idb bun.IDB, now time.Time) (Attention, error) {
	var a Attention
	var err error
	if a.Bounced, err = bouncedMail(ctx, idb, now.Add(-AttentionWindow)); err != nil {
		return a, err
	}
	if a.Dead, err = deadMail(ctx, idb); err != nil {
		return a, err
	}
	if a.Expired, err = expiredMail(ctx, idb, now.Add(-AttentionWindow)); err != nil {
		return a, err
	}
	if a.Reported, err = reportedResets(ctx, idb, now.Add(-AttentionWindow)); err != nil {
		return a, err
	}
	if a.Repeated, err = repeatedRequests(ctx, idb, now.Add(-RepeatedRequestWindow)); err != nil {
		return a, err
	}
	return a, nil
}

// attentionRow is a mail or an event of a needs-attention list.
type attentionRow struct {
	AccountID *int64     `bun:"account_id"`
	LoginID   *string    `bun:"login_id"`
	At        *time.Time `bun:"at"`
	What      string     `bun:"what"`
}

func (m attentionRow) item(kind AttentionKind) AttentionItem {
	it := AttentionItem{Kind: kind, What: m.What, Count: 1}
	if m.AccountID != nil && m.LoginID != nil {
		it.AccountID, it.LoginID = *m.AccountID, *m.LoginID
	}
	if m.At != nil {
		it.At = *m.At
	}
	return it
}

// bouncedMail lists the mails the provider reported as bounced, failed or
// complained about since since.
func bouncedMail(ctx context.Context, idb bun.IDB, since time.Time) ([]AttentionItem, error) {
	var rows []attentionRow
	err := idb.NewSelect().TableExpr("outbox AS o").
		Join("LEFT JOIN accounts AS a ON a.id = o.account_id").
		ColumnExpr("o.account_id, a.login_id, o.delivery_event_at AS at, o.delivery_event AS what").
		Where("o.delivery_event_at >= ?", Stamp(since)).
		Where("o.delivery_event IN (?)", bun.List([]DeliveryEvent{DeliveryBounced, DeliveryFailed, DeliveryComplained})).
		OrderExpr("o.delivery_event_at DESC, o.id DESC").Limit(AttentionListMax).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("db: attention bounces: %w", err)
	}
	return attentionItems(rows, AttentionBounced), nil
}

// deadMail lists the mails that are dead now. Only a dead mail has a
// dead_at (a requeue clears it), so the newest are a short backwards walk
// of outbox_dead_at_idx; the accounts are joined to those alone.
func deadMail(ctx context.Context, idb bun.IDB) ([]AttentionItem, error) {
	latest := idb.NewSelect().Table("outbox").Column("id", "account_id", "dead_at", "kind").
		Where("dead_at IS NOT NULL").
		OrderExpr("dead_at DESC, id DESC").Limit(AttentionListMax)
	var rows []attentionRow
	err := idb.NewSelect().TableExpr("(?) AS o", latest).
		Join("LEFT JOIN accounts AS a ON a.id = o.account_id").
		ColumnExpr("o.account_id, a.login_id, o.dead_at AS at, o.kind AS what").
		OrderExpr("o.dead_at DESC, o.id DESC").Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("db: attention dead mail: %w", err)
	}
	return attentionItems(rows, AttentionDead), nil
}

// expiredMail lists the mails that passed their deadline unsent since
// since. An expired mail stays expired (nothing requeues it), so it is
// listed for a window, like a bounce; the newest are a short backwards
// walk of outbox_expired_at_idx, and the accounts are joined to those
// alone.
func expiredMail(ctx context.Context, idb bun.IDB, since time.Time) ([]AttentionItem, error) {
	latest := idb.NewSelect().Table("outbox").Column("id", "account_id", "expired_at", "kind").
		Where("expired_at >= ?", Stamp(since)).
		OrderExpr("expired_at DESC, id DESC").Limit(AttentionListMax)
	var rows []attentionRow
	err := idb.NewSelect().TableExpr("(?) AS o", latest).
		Join("LEFT JOIN accounts AS a ON a.id = o.account_id").
		ColumnExpr("o.account_id, a.login_id, o.expired_at AS at, o.kind AS what").
		OrderExpr("o.expired_at DESC, o.id DESC").Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("db: attention expired mail: %w", err)
	}
	return attentionItems(rows, AttentionExpired), nil
}

func attentionItems(rows []attentionRow, kind AttentionKind) []AttentionItem {
	items := make([]AttentionItem, 0, len(rows))
	for _, r := range rows {
		items = append(items, r.item(kind))
	}
	return items
}

// reportedResets lists the 「心当たりがない」 reports since since.
func reportedResets(ctx context.Context, idb bun.IDB, since time.Time) ([]AttentionItem, error) {
	var rows []attentionRow
	err := idb.NewSelect().TableExpr("audit_events AS e").
		Join("LEFT JOIN accounts AS a ON a.id = e.account_id").
		ColumnExpr("e.account_id, a.login_id, e.at, e.kind AS what").
		Where("e.kind = ?", AuditResetReported).Where("e.at >= ?", Stamp(since)).
		OrderExpr("e.at DESC, e.id DESC").Limit(AttentionListMax).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("db: attention reports: %w", err)
	}
	return attentionItems(rows, AttentionReported), nil
}

// repeatedKinds are the requests that reached an account: matched, or
// refused by its mail limit.
var repeatedKinds = []AuditKind{AuditResetRequested, AuditResetLimited, AuditReminderRequested, AuditReminderLimited}

// repeatedRequests lists the accounts with RepeatedRequestThreshold or more
// matched or limited requests since since, the latest request first.
func repeatedRequests(ctx context.Context, idb bun.IDB, since time.Time) ([]AttentionItem, error) {
	var rows []struct {
		AccountID int64     `bun:"account_id"`
		LoginID   string    `bun:"login_id"`
		N         int       `bun:"n"`
		Latest    time.Time `bun:"latest"`
	}
	// Counted per account first: the accounts are read for the few
	// listed, not for every request of the day.
	counts := idb.NewSelect().TableExpr("audit_events").
		ColumnExpr("account_id, SUM(count) AS n, MAX(at) AS latest").
		Where("kind IN (?)", bun.List(repeatedKinds)).Where("at >= ?", Stamp(since)).
		Where("account_id IS NOT NULL").
		GroupExpr("account_id").
		Having("SUM(count) >= ?", RepeatedRequestThreshold).
		OrderExpr("latest DESC, account_id").Limit(AttentionListMax)
	err := idb.NewSelect().TableExpr("(?) AS e", counts).
		Join("JOIN accounts AS a ON a.id = e.account_id").
		ColumnExpr("e.account_id, a.login_id, e.n, e.latest").
		OrderExpr("e.latest DESC, e.account_id").Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("db: attention repeated requests: %w", err)
	}
	items := make([]AttentionItem, 0, len(rows))
	for _, r := range rows {
		items = append(items, AttentionItem{Kind: AttentionRepeated, AccountID: r.AccountID, LoginID: r.LoginID, At: r.Latest, Count: r.N})
	}
	return items, nil
}
