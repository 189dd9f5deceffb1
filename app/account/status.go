package account

import (
	"context"
	"errors"
	"fmt"
	"time"

	"aikagi/db"

	"github.com/uptrace/bun"
)

// Action is what support staff do to an account's standing.
type Action string

const (
	Disable Action = "disable"
	Enable  Action = "enable"
	Delete  Action = "delete"
)

// Refusals of ChangeStatus.
var (
	ErrNoSuchAccount   = errors.New("no account with that login ID (see aikagi account list)")
	ErrAlreadyDisabled = errors.New("the account is disabled already")
	ErrNotDisabled     = errors.New("the account is not disabled")
)

// ChangeStatus disables, enables or deletes the account with loginID and
// audits it with who did it and why, in one transaction. Disabling also
// ends the account's reset links and sessions.
func ChangeStatus(ctx context.Context, bdb *bun.DB, loginID string, action Action, by db.Actor, reason string, now time.Time) error {
	return bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		acct, err := db.FindAccountByLoginID(ctx, tx, loginID)
		if err != nil {
			return err
		}
		if acct == nil {
			return ErrNoSuchAccount
		}
		event := &db.AuditEvent{LoginID: acct.LoginID, AccountID: &acct.ID}
		by.Stamp(event, "", reason)
		switch action {
		case Disable:
			if acct.DisabledAt != nil {
				return ErrAlreadyDisabled
			}
			event.Kind = db.AuditAccountDisabled
			if err := disableAccount(ctx, tx, acct.ID, now); err != nil {
				return err
			}
		case Enable:
			if acct.DisabledAt == nil {
				return ErrNotDisabled
			}
			event.Kind = db.AuditAccountEnabled
			if err := db.SetAccountDisabled(ctx, tx, acct.ID, nil, now); err != nil {
				return err
			}
		case Delete:
			event.Kind, event.AccountID = db.AuditAccountDeleted, nil
			if err := db.DeleteAccount(ctx, tx, acct.ID); err != nil {
				return err
			}
		default:
			return fmt.Errorf("unknown action %q", action)
		}
		return db.RecordAudit(ctx, tx, event, now)
	})
}

func disableAccount(ctx context.Context, tx bun.Tx, id int64, now time.Time) error {
	if err := db.SetAccountDisabled(ctx, tx, id, &now, now); err != nil {
		return err
	}
	if err := db.RevokeResetTokens(ctx, tx, id, now, db.RevokedDisabled); err != nil {
		return err
	}
	return db.DeleteAccountSessions(ctx, tx, id)
}
