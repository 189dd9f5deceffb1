package app

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/a-h/templ"
	"github.com/uptrace/bun"

	"aikagi/db"
	"aikagi/views"
)

// mailKindReminder is the login-ID reminder in the outbox.
const mailKindReminder = "login_id_reminder"

// newReminderJourney is ログインIDをお忘れの方: the same three steps as the
// reset, asking only for the registered address.
func (a *App) newReminderJourney() *journey {
	return a.newJourney(views.ReminderJourney,
		func(ctx context.Context, st requestState, who client) error {
			return a.remindLoginIDs(ctx, st.Email, who)
		},
		func(t *views.Text) (string, templ.Component) {
			return t.SentTitle, views.ReminderSentView(t, a.cfg.MailFrom.Address)
		})
}

// remindLoginIDs queues one mail to an address listing every login ID
// registered with it, within the per-address and global mail limits.
//
// The mail is in the language of the oldest account on the address: one
// address is almost always one person, who needs every ID in one mail, and
// the first account's language is the one they chose first. (A mail per
// language would split the list and confuse exactly the merchant who has
// several shops.)
func (a *App) remindLoginIDs(ctx context.Context, email string, who client) error {
	now := a.now()
	queued := false
	err := a.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		accounts, err := db.FindAccountsByEmail(ctx, tx, email)
		if err != nil {
			return err
		}
		event := &db.AuditEvent{Kind: db.AuditReminderUnmatched, IP: who.IP, UserAgent: who.UserAgent, Detail: maskEmail(email)}
		if len(accounts) == 0 {
			return db.RecordAudit(ctx, tx, event, now)
		}
		first := &accounts[0]
		event.AccountID = &first.ID
		ids := make([]string, len(accounts))
		list := make([]views.ReminderAccount, len(accounts))
		for i, acct := range accounts {
			ids[i] = acct.LoginID
			list[i] = views.ReminderAccount{LoginID: acct.LoginID, StoreName: acct.StoreName}
		}
		event.LoginID, event.Detail = first.LoginID, strings.Join(ids, " ")

		if refused, err := a.mailAllowed(ctx, tx, "mail:address:"+strings.ToLower(email)); err != nil || refused != "" {
			if err != nil {
				return err
			}
			event.Kind, event.Detail = db.AuditReminderLimited, refused+": "+event.Detail
			return db.RecordAudit(ctx, tx, event, now)
		}

		lang, _ := views.ParseLang(first.Locale)
		mail := views.ReminderMail{
			Lang:     lang,
			SiteName: a.cfg.SiteName,
			Accounts: list,
			LoginURL: a.cfg.URL(views.PathLogin, url.Values{"lang": {string(lang)}}),
			ResetURL: a.cfg.URL(views.PathRequest, url.Values{"lang": {string(lang)}}),
		}
		if err := a.enqueueRendered(ctx, tx, mailKindReminder, first, mail.Subject(),
			views.ReminderMailPlain(mail), views.ReminderMailHTML(mail)); err != nil {
			return err
		}
		event.Kind = db.AuditReminderRequested
		queued = true
		return db.RecordAudit(ctx, tx, event, now)
	})
	if err != nil {
		return fmt.Errorf("remind login IDs: %w", err)
	}
	if queued {
		a.wakeOutbox()
	}
	return nil
}

// maskEmail keeps enough of an address for an operator to recognise it in
// the audit trail without storing it whole: "ta***@example.jp".
func maskEmail(email string) string {
	local, domain, ok := strings.Cut(email, "@")
	if !ok {
		return "***"
	}
	r := []rune(local)
	if len(r) > 2 {
		r = r[:2]
	}
	return string(r) + "***@" + domain
}
