package recovery

import (
	"context"
	"errors"
	"fmt"

	"github.com/uptrace/bun"

	"aikagi/app/mail"
	"aikagi/db"
)

// Refusals of the support desk's actions on logins and mail.
var (
	ErrNotPaused   = errors.New("recovery: the account's logins are not paused")
	ErrNoMail      = errors.New("recovery: no such mail of this account")
	ErrMailNotDead = errors.New("recovery: the mail is not dead")
	ErrMailGone    = errors.New("recovery: the mail's content was dropped")
	ErrLinkDead    = errors.New("recovery: the mail's link has expired or a newer link or password replaced it")
)

// LiftLoginPause clears the login failures of the account, which lifts the
// pause they caused, and audits it with the staff member and their reason,
// in one transaction. It refuses when the logins are not paused (any more).
func (s *Service) LiftLoginPause(ctx context.Context, accountID int64, by db.Actor, reason string) error {
	return s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		acct, err := db.LockAccount(ctx, tx, accountID)
		if err != nil {
			return err
		}
		if acct == nil {
			return ErrNoAccount
		}
		now := s.now()
		until, err := db.LoginPausedUntil(ctx, tx, acct.LoginID, now, s.cfg.LockoutThreshold, s.cfg.LockoutWindow)
		if err != nil {
			return err
		}
		if until == nil || !until.After(now) {
			return ErrNotPaused
		}
		if err := db.ClearLoginFailures(ctx, tx, acct.LoginID); err != nil {
			return err
		}
		event := &db.AuditEvent{Kind: db.AuditLoginPauseLifted, AccountID: &acct.ID, LoginID: acct.LoginID}
		by.Stamp(event, "paused until "+until.UTC().Format("2006-01-02T15:04:05Z"), reason)
		return db.RecordAudit(ctx, tx, event, now)
	})
}

// MailOf returns the account's mail with id, or ErrNoMail when there is
// none or it is another account's.
func (s *Service) MailOf(ctx context.Context, idb bun.IDB, accountID int64, id string) (*db.OutboxMail, error) {
	row, err := db.GetOutboxMail(ctx, idb, id)
	if err != nil {
		return nil, err
	}
	if row == nil || row.AccountID == nil || *row.AccountID != accountID {
		return nil, ErrNoMail
	}
	return row, nil
}

// RequeueMailByStaff is "outbox retry" from the console: the account's dead
// mail id becomes due again, with its tries counted afresh, audited with
// the staff member and their reason. The very message is sent again under
// the same idempotency key (docs/architecture.md, "Retrying a dead mail").
// It refuses a mail that is not dead, whose content was dropped, or whose
// reset link could no longer work. Nothing is woken: the merchant app's
// mail worker finds the row when it next polls.
func (s *Service) RequeueMailByStaff(ctx context.Context, accountID int64, id string, by db.Actor, reason string) (*db.OutboxMail, error) {
	var row *db.OutboxMail
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		acct, err := db.LockAccount(ctx, tx, accountID)
		if err != nil {
			return err
		}
		if acct == nil {
			return ErrNoMail
		}
		if row, err = s.MailOf(ctx, tx, accountID, id); err != nil {
			return err
		}
		now := s.now()
		if err := s.checkRequeueable(ctx, tx, row); err != nil {
			return err
		}
		ok, err := db.RequeueMail(ctx, tx, id, now)
		if err != nil {
			return err
		}
		if !ok {
			return ErrMailNotDead
		}
		event := &db.AuditEvent{Kind: db.AuditMailRetried, AccountID: &acct.ID, LoginID: acct.LoginID}
		by.Stamp(event, fmt.Sprintf("%s %s to %s, was %s after %d tries: %.200s", row.Kind, row.ID, row.ToAddr, row.Status, row.Attempts, row.LastError), reason)
		return db.RecordAudit(ctx, tx, event, now)
	})
	if err != nil {
		return nil, err
	}
	return row, nil
}

// checkRequeueable refuses a row that sending again could not help; a
// reset mail must still carry a link that works (db.ResetMailLinkWorks).
func (s *Service) checkRequeueable(ctx context.Context, idb bun.IDB, row *db.OutboxMail) error {
	switch {
	case row.Status != db.OutboxDead:
		return ErrMailNotDead
	case row.Payload == nil:
		return ErrMailGone
	case row.ExpiresAt != nil && !s.now().Before(*row.ExpiresAt):
		return ErrLinkDead
	case row.Kind != string(mail.KindReset):
		return nil
	}
	works, err := db.ResetMailLinkWorks(ctx, idb, *row.AccountID, row.CreatedAt, s.now())
	if err != nil {
		return err
	}
	if !works {
		return ErrLinkDead
	}
	return nil
}
