package console

import (
	"errors"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"aikagi/app/account"
	"aikagi/app/mail"
	"aikagi/app/recovery"
	"aikagi/app/staff"
	"aikagi/db"
	"aikagi/views"
	vc "aikagi/views/console"
)

// deadMailLimit bounds the account page's list of dead mails.
const deadMailLimit = 20

// notice names what an action just did, for the account page it
// redirects to (?done=). The page shows only the wording of these fixed
// codes, so a crafted link cannot put words on it.
type notice string

// Notices.
const (
	noticePauseLifted  notice = "pause-lifted"
	noticeMailRequeued notice = "mail-requeued"
	noticeEmailChanged notice = "email-changed"
	noticeDisabled     notice = "disabled"
	noticeEnabled      notice = "enabled"
)

// text is the notice's wording, or "" for an unknown code.
func (n notice) text(t *vc.Text) string {
	switch n {
	case noticePauseLifted:
		return t.PauseLifted
	case noticeMailRequeued:
		return t.MailRequeued
	case noticeEmailChanged:
		return t.EmailChanged
	case noticeDisabled:
		return t.AccountOff
	case noticeEnabled:
		return t.AccountOn
	}
	return ""
}

// accountActions are the actions of the account page that member may take
// on acct, and its dead mails.
func (con *Console) accountActions(c *fiber.Ctx, member *db.Staff, acct *db.Account, paused bool) (vc.AccountActions, error) {
	var a vc.AccountActions
	base := accountPath(acct.ID)
	if paused && staff.Can(member.Role, staff.LiftPause) {
		a.LiftPauseHref = base + "/lift-pause"
	}
	if staff.Can(member.Role, staff.ChangeEmail) {
		a.ChangeEmailHref = base + "/change-email"
	}
	if staff.Can(member.Role, staff.ChangeStatus) {
		if acct.DisabledAt == nil {
			a.DisableHref = base + "/disable"
		} else {
			a.EnableHref = base + "/enable"
		}
	}
	dead, err := db.DeadMails(c.UserContext(), con.db, acct.ID, deadMailLimit)
	if err != nil {
		return a, err
	}
	t := con.text(c)
	for _, m := range dead {
		d := vc.DeadMail{ID: m.ID, Kind: t.MailName(m.Kind), To: m.ToAddr, LastError: m.LastError, At: orNever(t, m.DeadAt, con.now())}
		if staff.Can(member.Role, staff.RequeueMail) {
			d.RequeueHref = requeuePath(acct.ID, m.ID)
		}
		a.DeadMails = append(a.DeadMails, d)
	}
	return a, nil
}

func requeuePath(accountID int64, mailID string) string {
	return accountPath(accountID) + "/mails/" + url.PathEscape(mailID) + "/requeue"
}

// typedReason is the form's reason, trimmed; ok is false when it is
// missing or too long.
func typedReason(c *fiber.Ctx) (reason string, ok bool) {
	reason = strings.TrimSpace(c.FormValue("reason"))
	return reason, reason != "" && utf8.RuneCountInString(reason) <= maxReasonRunes
}

// done redirects to the account page with what was done.
func (con *Console) done(c *fiber.Ctx, acct *db.Account, n notice) error {
	return con.redirect(c, accountPath(acct.ID)+"?done="+string(n))
}

func (con *Console) renderConfirm(c *fiber.Ctx, status int, v vc.ConfirmView) error {
	return con.render(c, status, v.Title, vc.Confirm(v))
}

// Lifting a login pause.

func (con *Console) liftPauseView(c *fiber.Ctx, acct *db.Account, reason string) (vc.ConfirmView, bool, error) {
	t := con.text(c)
	v := vc.ConfirmView{T: t, Title: t.LiftPauseTitle + ": " + acct.LoginID, FormID: "lift-pause-form",
		Action: accountPath(acct.ID) + "/lift-pause", Back: accountPath(acct.ID),
		Facts: []vc.Fact{{ID: "login-id", Label: t.LoginID, Value: acct.LoginID}},
		Help:  t.LiftPauseHelp, Button: t.LiftPause, Reason: reason}
	paused, err := db.LoginPausedUntil(c.UserContext(), con.db, acct.LoginID, con.now(), con.cfg.LockoutThreshold, con.cfg.LockoutWindow)
	if err != nil || paused == nil {
		return v, false, err
	}
	v.Facts = append(v.Facts, vc.Fact{ID: "paused-until", Label: t.Status, Value: t.StatusPaused + " " + t.JapanTime(*paused)})
	return v, true, nil
}

func (con *Console) showLiftPause(c *fiber.Ctx) error {
	acct, err := con.account(c)
	if err != nil {
		return err
	}
	v, paused, err := con.liftPauseView(c, acct, "")
	if err != nil {
		return err
	}
	if !paused {
		v.Error = v.T.NotPaused
		return con.renderConfirm(c, fiber.StatusConflict, v)
	}
	return con.renderConfirm(c, fiber.StatusOK, v)
}

// liftPause clears the account's login failures once the reason is given.
func (con *Console) liftPause(c *fiber.Ctx) error {
	acct, err := con.account(c)
	if err != nil {
		return err
	}
	reason, ok := typedReason(c)
	v, _, err := con.liftPauseView(c, acct, reason)
	if err != nil {
		return err
	}
	if !ok {
		v.Error = v.T.ReasonRequired
		return con.renderConfirm(c, fiber.StatusUnprocessableEntity, v)
	}
	err = con.resets.LiftLoginPause(c.UserContext(), acct.ID, con.actor(c), reason)
	switch {
	case errors.Is(err, recovery.ErrNotPaused):
		v.Error = v.T.NotPaused
		return con.renderConfirm(c, fiber.StatusConflict, v)
	case errors.Is(err, recovery.ErrNoAccount):
		return fiber.ErrNotFound
	case err != nil:
		return err
	}
	return con.done(c, acct, noticePauseLifted)
}

// Putting a dead mail back in the queue.

// deadMail loads the account's mail of the :mail parameter, or answers 404,
// also for another account's mail.
func (con *Console) deadMail(c *fiber.Ctx, acct *db.Account) (*db.OutboxMail, error) {
	id, err := url.PathUnescape(c.Params("mail"))
	if err != nil {
		return nil, fiber.ErrNotFound
	}
	row, err := con.resets.MailOf(c.UserContext(), con.db, acct.ID, id)
	if errors.Is(err, recovery.ErrNoMail) {
		return nil, fiber.ErrNotFound
	}
	return row, err
}

func (con *Console) requeueView(c *fiber.Ctx, acct *db.Account, row *db.OutboxMail, reason string) vc.ConfirmView {
	t := con.text(c)
	v := vc.ConfirmView{T: t, Title: t.RequeueTitle + ": " + acct.LoginID, FormID: "requeue-form",
		Action: requeuePath(acct.ID, row.ID), Back: accountPath(acct.ID),
		Facts: []vc.Fact{
			{ID: "mail-kind", Label: t.MailKind, Value: t.MailName(row.Kind)},
			{ID: "mail-to", Label: t.MailTo, Value: row.ToAddr},
			{ID: "mail-error", Label: t.LastError, Value: row.LastError},
			{ID: "mail-dead-at", Label: t.When, Value: t.Never},
		},
		Help: t.RequeueHelp, Button: t.RequeueMail, Reason: reason}
	if row.DeadAt != nil {
		v.Facts[3].Value = t.JapanTime(*row.DeadAt)
	}
	if row.DeadAt != nil && con.now().Sub(*row.DeadAt) > mail.ResendKeyLifetime {
		v.Warning = t.RequeueOld
	}
	if row.Status != db.OutboxDead {
		v.Error = t.MailNotDead
	}
	return v
}

func (con *Console) showRequeue(c *fiber.Ctx) error {
	acct, err := con.account(c)
	if err != nil {
		return err
	}
	row, err := con.deadMail(c, acct)
	if err != nil {
		return err
	}
	v := con.requeueView(c, acct, row, "")
	if v.Error != "" {
		return con.renderConfirm(c, fiber.StatusConflict, v)
	}
	return con.renderConfirm(c, fiber.StatusOK, v)
}

// requeueMail puts the account's dead mail back in the outbox once the
// reason is given; the merchant app's mail worker sends it when it next
// polls.
func (con *Console) requeueMail(c *fiber.Ctx) error {
	acct, err := con.account(c)
	if err != nil {
		return err
	}
	row, err := con.deadMail(c, acct)
	if err != nil {
		return err
	}
	reason, ok := typedReason(c)
	v := con.requeueView(c, acct, row, reason)
	if !ok {
		v.Error = v.T.ReasonRequired
		return con.renderConfirm(c, fiber.StatusUnprocessableEntity, v)
	}
	_, err = con.resets.RequeueMailByStaff(c.UserContext(), acct.ID, row.ID, con.actor(c), reason)
	switch {
	case errors.Is(err, recovery.ErrMailNotDead):
		v.Error = v.T.MailNotDead
		return con.renderConfirm(c, fiber.StatusConflict, v)
	case errors.Is(err, recovery.ErrMailGone):
		v.Error = v.T.MailGone
		return con.renderConfirm(c, fiber.StatusConflict, v)
	case errors.Is(err, recovery.ErrLinkDead):
		v.Error = v.T.LinkDead
		return con.renderConfirm(c, fiber.StatusConflict, v)
	case errors.Is(err, recovery.ErrNoMail):
		return fiber.ErrNotFound
	case err != nil:
		return err
	}
	return con.done(c, acct, noticeMailRequeued)
}

// Changing the registered address.

// renderChangeEmail shows the form with the typed values and msg, about
// the address when emailInvalid.
func (con *Console) renderChangeEmail(c *fiber.Ctx, status int, acct *db.Account, newAddr, reason, msg string, emailInvalid bool) error {
	t := con.text(c)
	v := vc.ChangeEmailView{T: t, Action: accountPath(acct.ID) + "/change-email", Back: accountPath(acct.ID),
		LoginID: acct.LoginID, Current: acct.Email, NewAddr: newAddr, Reason: reason, Error: msg, EmailInvalid: emailInvalid}
	return con.render(c, status, t.ChangeEmailTitle, vc.ChangeEmailForm(v))
}

func (con *Console) showChangeEmail(c *fiber.Ctx) error {
	acct, err := con.account(c)
	if err != nil {
		return err
	}
	return con.renderChangeEmail(c, fiber.StatusOK, acct, "", "", "", false)
}

// changeEmail sets the new address, normalised and checked as the command
// "account set-email" does, once the reason is given: the old and the new
// address are told, and the account's reset links revoked.
func (con *Console) changeEmail(c *fiber.Ctx) error {
	acct, err := con.account(c)
	if err != nil {
		return err
	}
	t := con.text(c)
	typed := c.FormValue("email")
	addr := account.NormalizeEmail(typed)
	reason, ok := typedReason(c)
	if p := account.ValidateEmail(addr); p != "" {
		return con.renderChangeEmail(c, fiber.StatusUnprocessableEntity, acct, typed, reason, views.T(t.Lang).Problem(p), true)
	}
	if !ok {
		return con.renderChangeEmail(c, fiber.StatusUnprocessableEntity, acct, typed, reason, t.ReasonRequired, false)
	}
	_, _, err = con.resets.ChangeEmail(c.UserContext(), acct.LoginID, addr, con.actor(c), reason)
	if errors.Is(err, recovery.ErrSameEmail) {
		return con.renderChangeEmail(c, fiber.StatusUnprocessableEntity, acct, typed, reason, t.SameEmail, true)
	}
	if err != nil {
		return err
	}
	return con.done(c, acct, noticeEmailChanged)
}

// Disabling and enabling the account.

// statusView is the confirmation of action (account.Disable or
// account.Enable) on acct; ok is false, and the view says so, when the
// account is so already.
func (con *Console) statusView(c *fiber.Ctx, acct *db.Account, action account.Action, reason string) (v vc.ConfirmView, ok bool) {
	t := con.text(c)
	v = vc.ConfirmView{T: t, Back: accountPath(acct.ID), Reason: reason,
		Facts: []vc.Fact{{ID: "login-id", Label: t.LoginID, Value: acct.LoginID}, {ID: "store", Label: t.Store, Value: acct.StoreName}}}
	disabled := acct.DisabledAt != nil
	if action == account.Enable {
		v.Title, v.FormID, v.Action = t.EnableTitle+": "+acct.LoginID, "enable-form", accountPath(acct.ID)+"/enable"
		v.Help, v.Button = t.EnableHelp, t.Enable
		if !disabled {
			v.Error = t.NotDisabled
		}
		return v, disabled
	}
	v.Title, v.FormID, v.Action = t.DisableTitle+": "+acct.LoginID, "disable-form", accountPath(acct.ID)+"/disable"
	v.Help, v.Button, v.Danger = t.DisableHelp, t.Disable, true
	if disabled {
		v.Error = t.AlreadyDisabled
	}
	return v, !disabled
}

// showStatus is the confirmation of disabling or enabling the account.
func (con *Console) showStatus(action account.Action) fiber.Handler {
	return func(c *fiber.Ctx) error {
		acct, err := con.account(c)
		if err != nil {
			return err
		}
		v, ok := con.statusView(c, acct, action, "")
		if !ok {
			return con.renderConfirm(c, fiber.StatusConflict, v)
		}
		return con.renderConfirm(c, fiber.StatusOK, v)
	}
}

// changeStatus disables or enables the account once the reason is given;
// disabling also ends its reset links and sessions.
func (con *Console) changeStatus(action account.Action) fiber.Handler {
	return func(c *fiber.Ctx) error {
		acct, err := con.account(c)
		if err != nil {
			return err
		}
		reason, reasonOK := typedReason(c)
		v, ok := con.statusView(c, acct, action, reason)
		switch {
		case !reasonOK:
			v.Error = v.T.ReasonRequired
			return con.renderConfirm(c, fiber.StatusUnprocessableEntity, v)
		case !ok:
			return con.renderConfirm(c, fiber.StatusConflict, v)
		}
		err = account.ChangeStatus(c.UserContext(), con.db, acct.LoginID, action, con.actor(c), reason, con.now())
		switch {
		case errors.Is(err, account.ErrAlreadyDisabled):
			v.Error = v.T.AlreadyDisabled
			return con.renderConfirm(c, fiber.StatusConflict, v)
		case errors.Is(err, account.ErrNotDisabled):
			v.Error = v.T.NotDisabled
			return con.renderConfirm(c, fiber.StatusConflict, v)
		case errors.Is(err, account.ErrNoSuchAccount):
			return fiber.ErrNotFound
		case err != nil:
			return err
		}
		if action == account.Disable {
			return con.done(c, acct, noticeDisabled)
		}
		return con.done(c, acct, noticeEnabled)
	}
}
