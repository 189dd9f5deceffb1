package recovery

import (
	"context"
	"fmt"
	"net/url"

	"aikagi/app/mail"
	"aikagi/app/route"
	"aikagi/app/secret"
	"aikagi/db"
	"aikagi/views/email"

	"github.com/uptrace/bun"
)

// ChangePassword is the transaction of step 6: use the token (only one of
// concurrent submissions can), store the new hash, revoke the account's
// other links and sessions, lift a lockout, audit, and queue the "password
// changed" notice. used is false when the token could not be consumed.
func (s *Service) ChangePassword(ctx context.Context, acct *db.Account, token, hash string, who db.Actor) (used bool, err error) {
	now := s.now()
	err = s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		accountID, ok, err := db.ConsumeResetToken(ctx, tx, secret.HashToken(token), now)
		if err != nil || !ok {
			return err
		}
		if accountID != acct.ID {
			return fmt.Errorf("complete reset: token belongs to account %d, not %d", accountID, acct.ID)
		}
		if err := db.SetPassword(ctx, tx, acct.ID, hash, now, true); err != nil {
			return err
		}
		if err := db.RevokeResetTokens(ctx, tx, acct.ID, now, db.RevokedPassword); err != nil {
			return err
		}
		if err := db.DeleteAccountSessions(ctx, tx, acct.ID); err != nil {
			return err
		}
		if err := db.ClearLoginFailures(ctx, tx, acct.LoginID); err != nil {
			return err
		}
		if err := db.RecordAudit(ctx, tx, &db.AuditEvent{
			Kind: db.AuditPasswordChanged, AccountID: &acct.ID, LoginID: acct.LoginID, IP: who.IP, UserAgent: who.UserAgent,
		}, now); err != nil {
			return err
		}
		lang, _ := route.ParseLang(acct.Locale)
		notice := email.PasswordChangedMail{
			Lang: lang, SiteName: s.cfg.Brand.SiteName.In(string(lang)), LoginID: acct.LoginID, StoreName: acct.StoreName, At: now, IP: who.IP,
			ResetURL: s.cfg.URL(route.Request, url.Values{"lang": {string(lang)}}),
			LoginURL: s.cfg.URL(route.Login, url.Values{"lang": {string(lang)}}),
		}
		if err := s.outbox.Queue(ctx, tx, s.framed(lang, mail.Outgoing{
			Kind: mail.KindPasswordChanged, AccountID: acct.ID, To: acct.Email, Subject: notice.Subject(),
			Text: email.PasswordChangedMailPlain(notice), HTML: email.PasswordChangedMailHTML(notice),
		})); err != nil {
			return err
		}
		used = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("complete reset: %w", err)
	}
	if used {
		s.outbox.Wake()
	}
	return used, nil
}
