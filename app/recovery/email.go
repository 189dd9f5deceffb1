package recovery

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"aikagi/app/mail"
	"aikagi/app/route"
	"aikagi/db"
	"aikagi/views/email"

	"github.com/uptrace/bun"
)

// ErrSameEmail refuses a change to the address an account already has.
var ErrSameEmail = errors.New("already the registered address")

// ChangeEmail sets the registered address of the account with loginID to
// addr, already normalised and valid, revokes its reset links (they went
// to the old address, which may be the reason for the change), audits it
// with who did it (the command or a member of the support desk) and why,
// and queues a notice to the old and the new address, all in one
// transaction. It returns the changed account and the old address.
func (s *Service) ChangeEmail(ctx context.Context, loginID, addr string, by db.Actor, reason string) (*db.Account, string, error) {
	var acct *db.Account
	var old string
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		found, err := db.FindAccountByLoginID(ctx, tx, loginID)
		if err != nil {
			return err
		}
		if found == nil {
			return fmt.Errorf("no account with login ID %q (see aikagi account list)", loginID)
		}
		if found.Email == addr {
			return fmt.Errorf("%s is %w of %s", addr, ErrSameEmail, loginID)
		}
		acct, old = found, found.Email
		now := s.now()
		if err := db.SetEmail(ctx, tx, acct.ID, addr, now); err != nil {
			return err
		}
		acct.Email = addr
		if err := db.RevokeResetTokens(ctx, tx, acct.ID, now, db.RevokedEmail); err != nil {
			return err
		}
		event := &db.AuditEvent{Kind: db.AuditEmailChanged, AccountID: &acct.ID, LoginID: acct.LoginID}
		by.Stamp(event, fmt.Sprintf("from %s to %s", old, addr), reason)
		if err := db.RecordAudit(ctx, tx, event, now); err != nil {
			return err
		}
		return s.queueEmailChangedNotices(ctx, tx, acct, old)
	})
	if err != nil {
		return nil, "", err
	}
	s.outbox.Wake()
	return acct, old, nil
}

// queueEmailChangedNotices queues the notice of acct's new address to the
// old address and to the new one (acct.Email), in tx.
func (s *Service) queueEmailChangedNotices(ctx context.Context, tx bun.IDB, acct *db.Account, oldEmail string) error {
	lang, _ := route.ParseLang(acct.Locale)
	for _, toOld := range []bool{true, false} {
		notice := email.EmailChangedMail{
			Lang: lang, SiteName: s.cfg.Brand.SiteName.In(string(lang)), StoreName: acct.StoreName, LoginID: acct.LoginID,
			OldEmail: oldEmail, NewEmail: acct.Email, At: s.now(), ToOld: toOld,
			LoginURL: s.cfg.URL(route.Login, url.Values{"lang": {string(lang)}}),
			ResetURL: s.cfg.URL(route.Request, url.Values{"lang": {string(lang)}}),
		}
		to := *acct
		if toOld {
			to.Email = oldEmail
		}
		if err := s.outbox.Queue(ctx, tx, s.framed(lang, mail.Outgoing{
			Kind: mail.KindEmailChanged, AccountID: to.ID, To: to.Email, Subject: notice.Subject(),
			Text: email.EmailChangedMailPlain(notice), HTML: email.EmailChangedMailHTML(notice),
		})); err != nil {
			return err
		}
	}
	return nil
}
