package db

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// requestKinds are the audit kinds of a request for an account's
// password: the merchant's, matched or not sent, and support's.
var requestKinds = []AuditKind{AuditResetRequested, AuditResetLimited, AuditResetDisabled, AuditResetByOperator}

// RequestChain is the newest request for an account's password and what
// came of it: the answer to 「メールが届かない」.
type RequestChain struct {
	At     time.Time
	Kind   AuditKind // one of requestKinds, or an unmatched request's kind
	Shared Lookalike // what an unmatched request shared with the account
	Staff  string    // the member who sent it, for AuditResetByOperator

	// The link made for it and the mail that carried it; nil when none
	// was (a request over a limit, for a disabled account, unmatched).
	Link *ResetToken
	Mail *OutboxMail
}

// LatestRequest finds the account's newest request (its own, or an
// unmatched one that named its login ID or one of addrTags, if newer)
// with the link and the mail made for it; nil when there was none.
func LatestRequest(ctx context.Context, idb bun.IDB, accountID int64, loginID string, addrTags [][]byte) (*RequestChain, error) {
	var own []struct {
		AuditEvent `bun:",extend"`
		StaffEmail string `bun:"staff_email"`
	}
	err := idb.NewSelect().Model(&own).
		ColumnExpr("audit_event.*").ColumnExpr("s.email AS staff_email").
		Join("LEFT JOIN staff AS s ON s.id = audit_event.staff_id").
		Where("audit_event.account_id = ?", accountID).Where("audit_event.kind IN (?)", bun.List(requestKinds)).
		OrderExpr("audit_event.at DESC, audit_event.id DESC").Limit(1).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("db: latest request: %w", err)
	}
	others, err := LookalikePage(ctx, idb, loginID, addrTags, 0, 1)
	if err != nil {
		return nil, err
	}
	if len(others) == 1 && (len(own) == 0 || others[0].At.After(own[0].At)) {
		return &RequestChain{At: others[0].At, Kind: AuditKind(others[0].What), Shared: others[0].Shared}, nil
	}
	if len(own) == 0 {
		return nil, nil
	}
	r := &RequestChain{At: own[0].At, Kind: own[0].Kind, Staff: own[0].StaffEmail}
	if r.Kind != AuditResetRequested && r.Kind != AuditResetByOperator {
		return r, nil
	}
	// Support's link is made in the transaction that audits it, just
	// before; a merchant's request is audited at the time it was made, and
	// its link when the intake worker matched it, a moment or more later.
	var links []ResetToken
	q := idb.NewSelect().Model(&links).Where("account_id = ?", accountID)
	if r.Kind == AuditResetByOperator {
		q = q.Where("created_at <= ?", r.At).OrderExpr("created_at DESC, id DESC")
	} else {
		q = q.Where("created_at >= ?", r.At).OrderExpr("created_at, id")
	}
	if err := q.Limit(1).Scan(ctx); err != nil {
		return nil, fmt.Errorf("db: latest request's link: %w", err)
	}
	if len(links) == 0 {
		return r, nil
	}
	r.Link = &links[0]
	var mails []OutboxMail
	err = idb.NewSelect().Model(&mails).ExcludeColumn("payload").Where("account_id = ?", accountID).
		Where("expires_at = ?", r.Link.ExpiresAt).Where("created_at >= ?", r.Link.CreatedAt).
		OrderExpr("created_at, id").Limit(1).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("db: latest request's mail: %w", err)
	}
	if len(mails) == 1 {
		r.Mail = &mails[0]
	}
	return r, nil
}

// RecentLink is the newest reset link sent for the account at or after
// since, by support (Staff names the member) or at the merchant's own
// request (Staff ""); nil when none.
func RecentLink(ctx context.Context, idb bun.IDB, accountID int64, since time.Time) (*RequestChain, error) {
	var rows []struct {
		AuditEvent `bun:",extend"`
		StaffEmail string `bun:"staff_email"`
	}
	err := idb.NewSelect().Model(&rows).
		ColumnExpr("audit_event.*").ColumnExpr("s.email AS staff_email").
		Join("LEFT JOIN staff AS s ON s.id = audit_event.staff_id").
		Where("audit_event.account_id = ?", accountID).
		Where("audit_event.kind IN (?)", bun.List([]AuditKind{AuditResetRequested, AuditResetByOperator})).
		Where("audit_event.at >= ?", Stamp(since)).
		OrderExpr("audit_event.at DESC, audit_event.id DESC").Limit(1).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("db: recent link: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &RequestChain{At: rows[0].At, Kind: rows[0].Kind, Staff: rows[0].StaffEmail}, nil
}

// LastDelivery is the provider's latest word on the account's mail to
// addr (delivered, bounced, complained, failed), with what it said; nil
// when it has said nothing yet.
func LastDelivery(ctx context.Context, idb bun.IDB, accountID int64, addr string) (*OutboxMail, error) {
	var rows []OutboxMail
	err := idb.NewSelect().Model(&rows).ExcludeColumn("payload").
		Where("account_id = ?", accountID).Where("to_addr = ?", addr).
		Where("delivery_event IN (?)", bun.List([]DeliveryEvent{DeliveryDelivered, DeliveryBounced, DeliveryComplained, DeliveryFailed})).
		Where("delivery_event_at IS NOT NULL").OrderExpr("delivery_event_at DESC, id DESC").Limit(1).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("db: last delivery: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &rows[0], nil
}
