package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"

	"github.com/uptrace/bun"

	"aikagi/app/account"
	"aikagi/app/mail"
	"aikagi/app/route"
	"aikagi/db"
	"aikagi/views"
)

// setEmailCommand is "account set-email LOGIN_ID ADDRESS": support staff
// change an account's registered address, for a merchant who can no longer
// read the old one. The address is normalised and checked as step 1 does.
func setEmailCommand(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("account set-email", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: aikagi account set-email LOGIN_ID ADDRESS")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return errors.New("account set-email: give the LOGIN_ID and the new ADDRESS")
	}
	loginID, addr := account.NormalizeLoginID(fs.Arg(0)), account.NormalizeEmail(fs.Arg(1))
	if p := account.ValidateEmail(addr); p != "" {
		return fmt.Errorf("account set-email: ADDRESS %q: %s", terminalSafe(addr), views.T(views.En).Problem(p))
	}
	a, closeApp, err := env.openToQueueMail(ctx, "account set-email")
	if err != nil {
		return err
	}
	defer closeApp()
	acct, old, err := a.changeEmailByOperator(ctx, loginID, addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "changed the registered address of %s from %s to %s; older reset links are revoked.\n"+
		"Notices to both addresses are queued; a running aikagi serve sends them within a second.\n",
		terminalSafe(acct.LoginID), terminalSafe(old), terminalSafe(acct.Email))
	return nil
}

// changeEmailByOperator sets the registered address of the account with
// loginID to addr, revokes its reset links (they went to the old address,
// which may be the reason for the change), audits it and queues a notice
// to the old and the new address, all in one transaction. It returns the
// changed account and the old address.
func (a *App) changeEmailByOperator(ctx context.Context, loginID, addr string) (*db.Account, string, error) {
	var acct *db.Account
	var old string
	err := a.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		found, err := db.FindAccountByLoginID(ctx, tx, loginID)
		if err != nil {
			return err
		}
		if found == nil {
			return fmt.Errorf("account set-email: no account with login ID %q (see aikagi account list)", loginID)
		}
		if found.Email == addr {
			return fmt.Errorf("account set-email: %s is already the registered address of %s", addr, loginID)
		}
		acct, old = found, found.Email
		now := a.now()
		if err := db.SetEmail(ctx, tx, acct.ID, addr, now); err != nil {
			return err
		}
		acct.Email = addr
		if err := db.RevokeResetTokens(ctx, tx, acct.ID, now); err != nil {
			return err
		}
		if err := db.RecordAudit(ctx, tx, &db.AuditEvent{Kind: db.AuditEmailChanged, AccountID: &acct.ID, LoginID: acct.LoginID,
			UserAgent: "aikagi account set-email", Detail: fmt.Sprintf("from %s to %s", old, addr)}, now); err != nil {
			return err
		}
		return a.queueEmailChangedNotices(ctx, tx, acct, old)
	})
	if err != nil {
		return nil, "", err
	}
	a.outbox.Wake()
	return acct, old, nil
}

// queueEmailChangedNotices queues the notice of acct's new address to the
// old address and to the new one (acct.Email), in tx.
func (a *App) queueEmailChangedNotices(ctx context.Context, tx bun.IDB, acct *db.Account, oldEmail string) error {
	lang, _ := views.ParseLang(acct.Locale)
	for _, toOld := range []bool{true, false} {
		notice := views.EmailChangedMail{
			Lang: lang, SiteName: a.cfg.SiteName, StoreName: acct.StoreName, LoginID: acct.LoginID,
			OldEmail: oldEmail, NewEmail: acct.Email, At: a.now(), ToOld: toOld,
			LoginURL: a.cfg.URL(route.Login, url.Values{"lang": {string(lang)}}),
			ResetURL: a.cfg.URL(route.Request, url.Values{"lang": {string(lang)}}),
		}
		to := *acct
		if toOld {
			to.Email = oldEmail
		}
		if err := a.outbox.Queue(ctx, tx, mail.Outgoing{
			Kind: mail.KindEmailChanged, AccountID: to.ID, To: to.Email, Subject: notice.Subject(),
			Text: views.EmailChangedMailPlain(notice), HTML: views.EmailChangedMailHTML(notice),
		}); err != nil {
			return err
		}
	}
	return nil
}
