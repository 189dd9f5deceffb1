package recovery

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"aikagi/db"
)

// Errors of actions by staff.
var (
	ErrNoAccount       = errors.New("recovery: no such account")
	ErrAccountDisabled = errors.New("recovery: the account is disabled")
)

// SendResetByStaff is SendResetByOperator from the console: it queues a
// reset link for the account, valid for ttl, and audits it with the staff
// member and their reason.
func (s *Service) SendResetByStaff(ctx context.Context, accountID int64, ttl time.Duration, by db.Actor, reason string) (*db.Account, time.Time, error) {
	var acct *db.Account
	var expires time.Time
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if acct, err = db.LockAccount(ctx, tx, accountID); err != nil {
			return err
		}
		if acct == nil {
			return ErrNoAccount
		}
		if acct.DisabledAt != nil {
			return ErrAccountDisabled
		}
		if _, expires, err = s.QueueResetLink(ctx, tx, acct, ttl, ""); err != nil {
			return err
		}
		event := &db.AuditEvent{Kind: db.AuditResetByOperator, AccountID: &acct.ID, LoginID: acct.LoginID}
		by.Stamp(event, fmt.Sprintf("link valid for %v, until %s", ttl, expires.UTC().Format(time.RFC3339)), reason)
		return db.RecordAudit(ctx, tx, event, s.now())
	})
	if err != nil {
		return nil, time.Time{}, err
	}
	s.outbox.Wake()
	return acct, expires, nil
}
