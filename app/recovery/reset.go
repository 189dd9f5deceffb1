package recovery

import (
	"context"
	"fmt"
	"time"

	"aikagi/app/intake"
	"aikagi/app/limit"
	"aikagi/app/mail"
	"aikagi/app/route"
	"aikagi/app/secret"
	"aikagi/db"
	"aikagi/views/email"

	"github.com/uptrace/bun"
)

// MatchReset is the intake worker's part of a reset request, in tx:
// when the login ID and address match an account within its mail limits,
// it revokes the account's older links, stores the new one's hash and
// queues the mail. Every outcome is audited with the request's own time
// and client.
func (s *Service) MatchReset(ctx context.Context, tx bun.Tx, r intake.Request) (intake.Outcome, error) {
	acct, err := db.FindAccountForReset(ctx, tx, r.LoginID, r.Email)
	if err != nil {
		return "", err
	}
	event := &db.AuditEvent{Kind: db.AuditResetUnmatched, LoginID: r.LoginID, IP: r.Who.IP, UserAgent: r.Who.UserAgent}
	outcome := intake.Unmatched
	switch {
	case acct == nil:
		event.AddrTag = s.AddressTag(r.Email)
	case acct.DisabledAt != nil:
		event.AccountID = &acct.ID
		outcome, event.Kind = intake.Disabled, db.AuditResetDisabled
	default:
		event.AccountID = &acct.ID
		var refusedBy limit.Name
		outcome, event.Kind, refusedBy, err = s.queueRequestedLink(ctx, tx, acct, r.Who.IP)
		event.Detail = string(refusedBy)
		if err != nil {
			return "", err
		}
	}
	return outcome, db.RecordAudit(ctx, tx, event, r.At)
}

// queueRequestedLink queues a reset link for acct unless a mail limit
// refuses it, and says which.
func (s *Service) queueRequestedLink(ctx context.Context, tx bun.IDB, acct *db.Account, ip string) (outcome intake.Outcome, kind db.AuditKind, refusedBy limit.Name, err error) {
	if refusedBy, err = s.limits.MailAllowed(ctx, tx, fmt.Sprint("mail:account:", acct.ID)); err != nil || refusedBy != "" {
		return intake.Limited, db.AuditResetLimited, refusedBy, err
	}
	if _, _, err := s.QueueResetLink(ctx, tx, acct, s.cfg.TokenTTL, ip); err != nil {
		return "", "", "", err
	}
	return intake.Matched, db.AuditResetRequested, "", nil
}

// QueueResetLink makes a new reset link for acct, valid for ttl, revoking
// older ones, and queues the mail that carries it, in tx; ip is the
// requester's, if any. Both the merchant's request and an operator's
// send-reset come through here. Only the token's hash is stored.
func (s *Service) QueueResetLink(ctx context.Context, tx bun.IDB, acct *db.Account, ttl time.Duration, ip string) (token string, expiresAt time.Time, err error) {
	token, hash := secret.NewToken()
	tok, err := db.CreateResetToken(ctx, tx, acct.ID, hash, s.now(), ttl, ip)
	if err != nil {
		return "", time.Time{}, err
	}
	lang, _ := route.ParseLang(acct.Locale)
	msg := email.ResetMail{
		Lang:      lang,
		SiteName:  s.cfg.Brand.SiteName.In(string(lang)),
		LoginID:   acct.LoginID,
		StoreName: acct.StoreName,
		// The token comes first, and the account's language with it, so the
		// page it opens speaks the mail's language.
		URL:       s.cfg.URL(route.Reset, nil) + "?token=" + token + "&lang=" + string(lang),
		ReportURL: s.ReportURL(tok, lang),
		ExpiresAt: tok.ExpiresAt,
	}
	return token, tok.ExpiresAt, s.outbox.Queue(ctx, tx, s.framed(lang, mail.Outgoing{
		Kind: mail.KindReset, AccountID: acct.ID, To: acct.Email, Subject: msg.Subject(),
		Text: email.ResetMailPlain(msg), HTML: email.ResetMailHTML(msg), ExpiresAt: tok.ExpiresAt,
	}))
}

// SendResetByOperator queues a reset link for the account with loginID,
// valid for ttl, through the path of a merchant's request, and audits it.
func (s *Service) SendResetByOperator(ctx context.Context, loginID string, ttl time.Duration) (*db.Account, time.Time, error) {
	var acct *db.Account
	var expires time.Time
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if acct, err = db.FindAccountByLoginID(ctx, tx, loginID); err != nil {
			return err
		}
		if acct == nil {
			return fmt.Errorf("account send-reset: no account with login ID %q (see aikagi account list)", loginID)
		}
		if acct.DisabledAt != nil {
			return fmt.Errorf("account send-reset: %s is disabled; enable it first (aikagi account enable %s --reason …)", loginID, loginID)
		}
		if _, expires, err = s.QueueResetLink(ctx, tx, acct, ttl, ""); err != nil {
			return err
		}
		return db.RecordAudit(ctx, tx, &db.AuditEvent{Kind: db.AuditResetByOperator, AccountID: &acct.ID, LoginID: acct.LoginID,
			UserAgent: "aikagi account send-reset", Detail: fmt.Sprintf("link valid for %v, until %s", ttl, expires.UTC().Format(time.RFC3339))}, s.now())
	})
	if err != nil {
		return nil, time.Time{}, err
	}
	s.outbox.Wake()
	return acct, expires, nil
}
