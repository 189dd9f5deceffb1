package db

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// TimelineSource names the table an entry of an account's timeline comes from.
type TimelineSource string

// Timeline sources.
const (
	FromAudit  TimelineSource = "audit"
	FromToken  TimelineSource = "token"
	FromOutbox TimelineSource = "mail"
)

// TimelineEntry is one thing that happened to an account.
type TimelineEntry struct {
	At     time.Time
	Source TimelineSource
	What   string // an audit kind, a token's or a mail's event
	Detail string // an audit event's detail, as recorded
	IP     string
	Staff  string    // the staff member's email, for console events
	Count  int       // events of an aggregate, or failed logins in a run
	Since  time.Time // a run of failed logins: the first of them
	IPs    int       // a run of failed logins: from how many addresses

	// A link's or a mail's facts, for the reader to word: the link's
	// expiry (link_issued); the mail's kind, its address (mail_queued),
	// why it was given up (mail_dead), its deadline (mail_expired) and what the provider said (the
	// delivery events).
	Until              time.Time
	MailKind, To, Note string
}

// linkEntries are the events of the account's newest limit reset links;
// a link that ran out unused by now has an entry at its expiry.
func linkEntries(ctx context.Context, idb bun.IDB, accountID int64, now time.Time, limit int) ([]TimelineEntry, error) {
	var entries []TimelineEntry
	var tokens []ResetToken
	if err := idb.NewSelect().Model(&tokens).Where("account_id = ?", accountID).OrderExpr("created_at DESC, id DESC").Limit(limit).Scan(ctx); err != nil {
		return nil, fmt.Errorf("db: timeline tokens: %w", err)
	}
	for _, tk := range tokens {
		entries = append(entries, TimelineEntry{At: tk.CreatedAt, Source: FromToken, What: "link_issued", IP: tk.RequestedIP, Until: tk.ExpiresAt})
		if tk.OpenedAt != nil {
			entries = append(entries, TimelineEntry{At: *tk.OpenedAt, Source: FromToken, What: "link_opened"})
		}
		switch {
		case tk.UsedAt != nil:
			entries = append(entries, TimelineEntry{At: *tk.UsedAt, Source: FromToken, What: "link_used"})
		case tk.RevokedAt != nil:
			entries = append(entries, TimelineEntry{At: *tk.RevokedAt, Source: FromToken, What: "link_revoked"})
		case !tk.ExpiresAt.After(now):
			entries = append(entries, TimelineEntry{At: tk.ExpiresAt, Source: FromToken, What: "link_expired"})
		}
	}
	return entries, nil
}

// mailEntries are the events of the account's newest limit mails.
func mailEntries(ctx context.Context, idb bun.IDB, accountID int64, limit int) ([]TimelineEntry, error) {
	var entries []TimelineEntry
	var mails []OutboxMail
	if err := idb.NewSelect().Model(&mails).Column("id", "kind", "to_addr", "status", "attempts", "last_error", "created_at", "sent_at", "dead_at", "expired_at", "expires_at",
		"delivery_event", "delivery_event_at", "delivery_detail").
		Where("account_id = ?", accountID).OrderExpr("created_at DESC").Limit(limit).Scan(ctx); err != nil {
		return nil, fmt.Errorf("db: timeline mail: %w", err)
	}
	for _, m := range mails {
		entries = append(entries, TimelineEntry{At: m.CreatedAt, Source: FromOutbox, What: "mail_queued", MailKind: m.Kind, To: m.ToAddr})
		if m.SentAt != nil {
			entries = append(entries, TimelineEntry{At: *m.SentAt, Source: FromOutbox, What: "mail_sent", MailKind: m.Kind})
		}
		if m.DeadAt != nil {
			entries = append(entries, TimelineEntry{At: *m.DeadAt, Source: FromOutbox, What: "mail_dead", MailKind: m.Kind, Note: m.LastError})
		}
		if m.ExpiredAt != nil {
			entries = append(entries, TimelineEntry{At: *m.ExpiredAt, Source: FromOutbox, What: "mail_expired", MailKind: m.Kind, Until: *m.ExpiresAt})
		}
		if m.DeliveryEventAt != nil && m.DeliveryEvent != "" {
			entries = append(entries, TimelineEntry{At: *m.DeliveryEventAt, Source: FromOutbox, What: "mail_" + string(m.DeliveryEvent),
				MailKind: m.Kind, Note: m.DeliveryDetail})
		}
	}
	return entries, nil
}

// DeliveryHealth is what the provider last said about mail to an address.
type DeliveryHealth struct {
	LastDelivered, LastBounced, LastComplained *time.Time
}

// AddressHealth reads the latest delivery, bounce and complaint of the
// account's mail to addr.
func AddressHealth(ctx context.Context, idb bun.IDB, accountID int64, addr string) (DeliveryHealth, error) {
	var h DeliveryHealth
	for _, x := range []struct {
		event DeliveryEvent
		into  **time.Time
	}{{DeliveryDelivered, &h.LastDelivered}, {DeliveryBounced, &h.LastBounced}, {DeliveryComplained, &h.LastComplained}} {
		var rows []OutboxMail
		err := idb.NewSelect().Model(&rows).Column("delivery_event_at").
			Where("account_id = ?", accountID).Where("to_addr = ?", addr).Where("delivery_event = ?", x.event).
			Where("delivery_event_at IS NOT NULL").OrderExpr("delivery_event_at DESC").Limit(1).Scan(ctx)
		if err != nil {
			return h, fmt.Errorf("db: address health: %w", err)
		}
		if len(rows) == 1 {
			*x.into = rows[0].DeliveryEventAt
		}
	}
	return h, nil
}

// LoginPausedUntil is when the account's login pause ends, or nil when
// logins are not paused: a login is refused while threshold or more
// failures for its login ID fall within window.
func LoginPausedUntil(ctx context.Context, idb bun.IDB, loginID string, now time.Time, threshold int, window time.Duration) (*time.Time, error) {
	var failures []LoginFailure
	if err := idb.NewSelect().Model(&failures).Where("login_id = ?", LoginKey(loginID)).Where("at > ?", Stamp(now.Add(-window))).
		OrderExpr("at, id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("db: login pause: %w", err)
	}
	ats := make([]time.Time, len(failures))
	for i, f := range failures {
		ats[i] = f.At
	}
	return pauseEnd(ats, threshold, window), nil
}

// pauseEnd is when a pause ends given the failures within window, oldest
// first: once threshold of them are in, the threshold-th latest leaving
// the window lifts it.
func pauseEnd(ats []time.Time, threshold int, window time.Duration) *time.Time {
	if len(ats) < threshold || threshold <= 0 {
		return nil
	}
	until := ats[len(ats)-threshold].Add(window)
	return &until
}

// Lookalike says what an unmatched request shared with an account.
type Lookalike string

// What an unmatched request shared with the account it is shown on.
const (
	SameLoginID Lookalike = "same_login_id" // this login ID, another address
	SameAddress Lookalike = "same_address"  // this address, another login ID (or a reminder)
)

// LookalikeEntry is an unmatched request that named an account's login ID
// or address: "someone asked with this ID and another address".
type LookalikeEntry struct {
	TimelineEntry
	Shared  Lookalike
	LoginID string // the login ID typed, for SameAddress
}

// unmatchedKinds are the requests that named no account.
var unmatchedKinds = []AuditKind{AuditResetUnmatched, AuditReminderUnmatched}

// Lookalikes finds, newest first, at most limit unmatched requests that
// named loginID, or an address whose tag is one of addrTags (the tags of
// the account's address under each key in use).
func Lookalikes(ctx context.Context, idb bun.IDB, loginID string, addrTags [][]byte, limit int) ([]LookalikeEntry, error) {
	return LookalikePage(ctx, idb, loginID, addrTags, 0, limit)
}

// LookalikePage is Lookalikes after skipping the newest offset: a page of
// the console's look-alike section.
func LookalikePage(ctx context.Context, idb bun.IDB, loginID string, addrTags [][]byte, offset, limit int) ([]LookalikeEntry, error) {
	var events []AuditEvent
	q := lookalikeQuery(idb.NewSelect().Model(&events), loginID, addrTags).
		Column("at", "kind", "login_id", "ip", "addr_tag", "count").
		OrderExpr("at DESC, id DESC").Offset(offset).Limit(limit)
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("db: lookalike requests: %w", err)
	}
	entries := make([]LookalikeEntry, 0, len(events))
	for _, e := range events {
		l := LookalikeEntry{TimelineEntry: TimelineEntry{At: e.At, Source: FromAudit, What: string(e.Kind), IP: e.IP, Count: e.Count}, Shared: SameLoginID}
		if e.LoginID != loginID {
			l.Shared, l.LoginID = SameAddress, e.LoginID
		}
		entries = append(entries, l)
	}
	return entries, nil
}

// CountLookalikes counts the requests Lookalikes would find without a
// limit.
func CountLookalikes(ctx context.Context, idb bun.IDB, loginID string, addrTags [][]byte) (int, error) {
	n, err := lookalikeQuery(idb.NewSelect().Model((*AuditEvent)(nil)), loginID, addrTags).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("db: count lookalike requests: %w", err)
	}
	return n, nil
}

// lookalikeQuery narrows q to the unmatched requests that named loginID
// or one of addrTags.
func lookalikeQuery(q *bun.SelectQuery, loginID string, addrTags [][]byte) *bun.SelectQuery {
	return q.Where("account_id IS NULL").Where("kind IN (?)", bun.List(unmatchedKinds)).
		WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			q = q.Where("login_id = ?", loginID)
			if len(addrTags) > 0 {
				q = q.WhereOr("addr_tag IN (?)", bun.List(addrTags))
			}
			return q
		})
}
