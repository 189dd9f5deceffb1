package app

import (
	"context"
	"fmt"
	"time"

	"github.com/a-h/templ"
	"github.com/uptrace/bun"

	"aikagi/app/intake"
	"aikagi/app/mail"
	"aikagi/app/route"
	"aikagi/app/secret"
	"aikagi/db"
	"aikagi/views"
)

// newResetJourney is the password reset request of the help-center
// article: login ID and e-mail address in, a reset link out.
func (a *App) newResetJourney() *journey {
	return a.newJourney(views.ResetJourney,
		func(t *views.Text) (string, templ.Component) {
			return t.SentTitle, views.RequestSentView(views.RequestSent{T: t, From: a.cfg.MailFrom.Address, TTL: a.cfg.TokenTTL})
		})
}

// matchResetRequest is the intake worker's part of a reset request, in tx:
// when the login ID and address match an account within its mail limits,
// it revokes the account's older links, stores the new one's hash and
// queues the mail. Every outcome is audited with the request's own time
// and client.
func (a *App) matchResetRequest(ctx context.Context, tx bun.Tx, r intake.Request) (intake.Outcome, error) {
	acct, err := db.FindAccountForReset(ctx, tx, r.LoginID, r.Email)
	if err != nil {
		return "", err
	}
	event := &db.AuditEvent{Kind: db.AuditResetUnmatched, LoginID: r.LoginID, IP: r.Who.IP, UserAgent: r.Who.UserAgent}
	outcome := intake.Unmatched
	switch {
	case acct == nil:
	case acct.DisabledAt != nil:
		event.AccountID = &acct.ID
		outcome, event.Kind = intake.Disabled, db.AuditResetDisabled
	default:
		event.AccountID = &acct.ID
		outcome, event.Kind, event.Detail, err = a.queueRequestedLink(ctx, tx, acct, r.Who.IP)
		if err != nil {
			return "", err
		}
	}
	return outcome, db.RecordAudit(ctx, tx, event, r.At)
}

// queueRequestedLink queues a reset link for acct unless a mail limit
// refuses it, and says which.
func (a *App) queueRequestedLink(ctx context.Context, tx bun.IDB, acct *db.Account, ip string) (outcome intake.Outcome, kind, refusedBy string, err error) {
	if refusedBy, err = a.mailAllowed(ctx, tx, fmt.Sprint("mail:account:", acct.ID)); err != nil || refusedBy != "" {
		return intake.Limited, db.AuditResetLimited, refusedBy, err
	}
	token, hash := secret.NewToken()
	if _, err := a.queueResetLink(ctx, tx, acct, token, hash, a.cfg.TokenTTL, ip); err != nil {
		return "", "", "", err
	}
	return intake.Matched, db.AuditResetRequested, "", nil
}

// queueResetLink stores token (by its hash) as acct's reset link for ttl,
// revoking older ones, and queues the mail that carries it, in tx. Both the
// merchant's request and an operator's send-reset come through here.
func (a *App) queueResetLink(ctx context.Context, tx bun.IDB, acct *db.Account, token string, hash []byte, ttl time.Duration, ip string) (expiresAt time.Time, err error) {
	tok, err := db.CreateResetToken(ctx, tx, acct.ID, hash, a.now(), ttl, ip)
	if err != nil {
		return time.Time{}, err
	}
	lang, _ := views.ParseLang(acct.Locale)
	msg := views.ResetMail{
		Lang:      lang,
		SiteName:  a.cfg.SiteName,
		StoreName: acct.StoreName,
		// The token comes first, and the account's language with it, so the
		// page it opens speaks the mail's language.
		URL:       a.cfg.URL(route.Reset, nil) + "?token=" + token + "&lang=" + string(lang),
		ReportURL: a.reportURL(tok, lang),
		ExpiresAt: tok.ExpiresAt,
	}
	return tok.ExpiresAt, a.outbox.Queue(ctx, tx, mail.Outgoing{
		Kind: mail.KindReset, AccountID: acct.ID, To: acct.Email, Subject: msg.Subject(),
		Text: views.ResetMailPlain(msg), HTML: views.ResetMailHTML(msg), ExpiresAt: tok.ExpiresAt,
	})
}
