package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/a-h/templ"
	"github.com/uptrace/bun"

	"aikagi/app/route"
	"aikagi/app/secret"
	"aikagi/db"
	"aikagi/views"
)

// newResetJourney is the password reset request of the help-center
// article: login ID and e-mail address in, a reset link out.
func (a *App) newResetJourney() *journey {
	return a.newJourney(views.ResetJourney, a.matchResetRequest,
		func(t *views.Text) (string, templ.Component) {
			return t.SentTitle, views.RequestSentView(views.RequestSent{T: t, From: a.cfg.MailFrom.Address, TTL: a.cfg.TokenTTL})
		})
}

// matchResetRequest is the intake worker's part of a reset request, in tx:
// when the login ID and address match an account within its mail limits,
// it revokes the account's older links, stores the new one's hash and
// queues the mail. Every outcome is audited with the request's own time
// and client.
func (a *App) matchResetRequest(ctx context.Context, tx bun.Tx, r intakeRequest) (intakeOutcome, error) {
	acct, err := db.FindAccountForReset(ctx, tx, r.LoginID, r.Email)
	if err != nil {
		return "", err
	}
	event := &db.AuditEvent{Kind: db.AuditResetUnmatched, LoginID: r.LoginID, IP: r.Who.IP, UserAgent: r.Who.UserAgent}
	outcome := intakeUnmatched
	switch {
	case acct == nil:
	case acct.DisabledAt != nil:
		event.AccountID = &acct.ID
		outcome, event.Kind = intakeDisabled, db.AuditResetDisabled
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
func (a *App) queueRequestedLink(ctx context.Context, tx bun.IDB, acct *db.Account, ip string) (outcome intakeOutcome, kind, refusedBy string, err error) {
	if refusedBy, err = a.mailAllowed(ctx, tx, fmt.Sprint("mail:account:", acct.ID)); err != nil || refusedBy != "" {
		return intakeLimited, db.AuditResetLimited, refusedBy, err
	}
	token, hash := secret.NewToken()
	if _, err := a.queueResetLink(ctx, tx, acct, token, hash, a.cfg.TokenTTL, ip); err != nil {
		return "", "", "", err
	}
	return intakeMatched, db.AuditResetRequested, "", nil
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
	mail := views.ResetMail{
		Lang:      lang,
		SiteName:  a.cfg.SiteName,
		StoreName: acct.StoreName,
		// The token comes first, and the account's language with it, so the
		// page it opens speaks the mail's language.
		URL:       a.cfg.URL(route.Reset, nil) + "?token=" + token + "&lang=" + string(lang),
		ReportURL: a.reportURL(tok, lang),
		ExpiresAt: tok.ExpiresAt,
	}
	return tok.ExpiresAt, a.enqueueRendered(ctx, tx, mailKindReset, acct, mail.Subject(),
		views.ResetMailPlain(mail), views.ResetMailHTML(mail), tok.ExpiresAt)
}

// enqueueRendered renders a mail for acct's registered address, seals it
// and writes it to the outbox in tx. A mail that is useless after some time
// (a reset link) passes that time as expiresAt: the worker never sends it
// later, and the sealed link is dropped from a dead row then.
func (a *App) enqueueRendered(ctx context.Context, tx bun.IDB, kind string, acct *db.Account, subject, text string, html templ.Component, expiresAt ...time.Time) error {
	var buf bytes.Buffer
	if err := html.Render(ctx, &buf); err != nil {
		return fmt.Errorf("render %s mail: %w", kind, err)
	}
	m := Message{From: a.cfg.From(), To: acct.Email, Subject: subject, Text: text, HTML: buf.String()}
	plain, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode mail: %w", err)
	}
	id := newOutboxID()
	row := &db.OutboxMail{
		ID:        id,
		Kind:      kind,
		AccountID: &acct.ID,
		ToAddr:    m.To,
		Payload:   a.sealer.Seal(id, plain),
	}
	if len(expiresAt) > 0 {
		row.ExpiresAt = &expiresAt[0]
	}
	return db.EnqueueMail(ctx, tx, row, a.now())
}
