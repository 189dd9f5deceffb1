package recovery

import (
	"context"
	"net/url"
	"strings"

	"aikagi/app/intake"
	"aikagi/app/mail"
	"aikagi/app/route"
	"aikagi/db"
	"aikagi/views/email"

	"github.com/uptrace/bun"
)

// MatchReminder is the intake worker's part of a reminder request,
// in tx: one mail to the address listing every login ID registered with
// it, within the per-address and global mail limits.
//
// The mail is in the language of the oldest account on the address: one
// address is almost always one person, who needs every ID in one mail, and
// the first account's language is the one they chose first. (A mail per
// language would split the list and confuse exactly the merchant who has
// several shops.)
func (s *Service) MatchReminder(ctx context.Context, tx bun.Tx, r intake.Request) (intake.Outcome, error) {
	accounts, err := db.FindAccountsByEmail(ctx, tx, r.Email)
	if err != nil {
		return "", err
	}
	event := &db.AuditEvent{Kind: db.AuditReminderUnmatched, IP: r.Who.IP, UserAgent: r.Who.UserAgent, Detail: db.MaskAddress(r.Email)}
	if len(accounts) == 0 {
		event.AddrTag = s.AddressTag(r.Email)
		return intake.Unmatched, db.RecordAudit(ctx, tx, event, r.At)
	}
	if accounts = activeAccounts(accounts); len(accounts) == 0 {
		event.Kind = db.AuditReminderDisabled
		return intake.Disabled, db.RecordAudit(ctx, tx, event, r.At)
	}
	first := &accounts[0]
	event.AccountID = &first.ID
	ids := make([]string, len(accounts))
	list := make([]email.ReminderAccount, len(accounts))
	for i, acct := range accounts {
		ids[i] = acct.LoginID
		list[i] = email.ReminderAccount{LoginID: acct.LoginID, StoreName: acct.StoreName}
	}
	event.LoginID, event.Detail = first.LoginID, strings.Join(ids, " ")

	if refused, err := s.limits.MailAllowed(ctx, tx, "mail:address:"+strings.ToLower(r.Email)); err != nil || refused != "" {
		if err != nil {
			return "", err
		}
		event.Kind, event.Detail = db.AuditReminderLimited, string(refused)+": "+event.Detail
		return intake.Limited, db.RecordAudit(ctx, tx, event, r.At)
	}

	lang, _ := route.ParseLang(first.Locale)
	msg := email.ReminderMail{
		Lang:     lang,
		SiteName: s.cfg.Brand.SiteName.In(string(lang)),
		Accounts: list,
		LoginURL: s.cfg.URL(route.Login, url.Values{"lang": {string(lang)}}),
		ResetURL: s.cfg.URL(route.Request, url.Values{"lang": {string(lang)}}),
	}
	if err := s.outbox.Queue(ctx, tx, s.framed(lang, mail.Outgoing{
		Kind: mail.KindReminder, AccountID: first.ID, To: first.Email, Subject: msg.Subject(),
		Text: email.ReminderMailPlain(msg), HTML: email.ReminderMailHTML(msg),
	})); err != nil {
		return "", err
	}
	event.Kind = db.AuditReminderRequested
	return intake.Matched, db.RecordAudit(ctx, tx, event, r.At)
}

// activeAccounts leaves out the disabled accounts: a reminder names only
// login IDs that can log in.
func activeAccounts(accounts []db.Account) []db.Account {
	var active []db.Account
	for _, a := range accounts {
		if a.DisabledAt == nil {
			active = append(active, a)
		}
	}
	return active
}
