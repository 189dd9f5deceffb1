package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/a-h/templ"
	"github.com/uptrace/bun"

	"aikagi/db"
	"aikagi/views"
)

// newResetJourney is the password reset request of the help-center
// article: login ID and e-mail address in, a reset link out.
func (a *App) newResetJourney() *journey {
	return a.newJourney(views.ResetJourney,
		func(ctx context.Context, st requestState, who client) error {
			return a.requestReset(ctx, st.LoginID, st.Email, who)
		},
		func(t *views.Text) (string, templ.Component) {
			return t.SentTitle, views.RequestSentView(views.RequestSent{T: t, From: a.cfg.MailFrom.Address, TTL: a.cfg.TokenTTL})
		})
}

// requestReset does the database work of step 3: when loginID and email
// match an account, one transaction revokes its older tokens, stores the new
// token's hash, queues the mail and writes the audit event. Either way the
// same lookup and an audit write happen, and the token is generated, so both
// paths cost about the same.
func (a *App) requestReset(ctx context.Context, loginID, email string, who client) error {
	now := a.now()
	token, hash := newSecret()
	queued := false
	err := a.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		acct, err := db.FindAccountForReset(ctx, tx, loginID, email)
		if err != nil {
			return err
		}
		event := &db.AuditEvent{Kind: db.AuditResetUnmatched, LoginID: loginID, IP: who.IP, UserAgent: who.UserAgent}
		if acct == nil {
			return db.RecordAudit(ctx, tx, event, now)
		}
		event.AccountID = &acct.ID
		if refused, err := a.mailAllowed(ctx, tx, fmt.Sprint("mail:account:", acct.ID)); err != nil || refused != "" {
			if err != nil {
				return err
			}
			event.Kind, event.Detail = db.AuditResetLimited, refused
			return db.RecordAudit(ctx, tx, event, now)
		}
		if _, err := a.queueResetLink(ctx, tx, acct, token, hash, a.cfg.TokenTTL, who.IP); err != nil {
			return err
		}
		event.Kind = db.AuditResetRequested
		queued = true
		return db.RecordAudit(ctx, tx, event, now)
	})
	if err != nil {
		return fmt.Errorf("request reset: %w", err)
	}
	if queued {
		a.wakeOutbox()
	}
	return nil
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
		URL:       a.cfg.URL(views.PathReset, nil) + "?token=" + token + "&lang=" + string(lang),
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
	m := Message{From: a.cfg.mailFrom(), To: acct.Email, Subject: subject, Text: text, HTML: buf.String()}
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
		Payload:   a.seal(id, plain),
	}
	if len(expiresAt) > 0 {
		row.ExpiresAt = &expiresAt[0]
	}
	return db.EnqueueMail(ctx, tx, row, a.now())
}
