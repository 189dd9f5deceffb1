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
func (c *Console) accountActions(ctx *fiber.Ctx, member *db.Staff, acct *db.Account, paused bool) (vc.AccountActions, error) {
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
	dead, err := db.DeadMails(ctx.UserContext(), c.db, acct.ID, deadMailLimit)
	if err != nil {
		return a, err
	}
	t := c.text(ctx)
	for _, m := range dead {
		d := vc.DeadMail{ID: m.ID, Kind: t.MailName(m.Kind), To: m.ToAddr, LastError: m.LastError, At: orNever(t, m.DeadAt)}
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
func typedReason(ctx *fiber.Ctx) (reason string, ok bool) {
	reason = strings.TrimSpace(ctx.FormValue("reason"))
	return reason, reason != "" && utf8.RuneCountInString(reason) <= maxReasonRunes
}

// done redirects to the account page with what was done.
func (c *Console) done(ctx *fiber.Ctx, acct *db.Account, n notice) error {
	return c.redirect(ctx, accountPath(acct.ID)+"?done="+string(n))
}

func (c *Console) renderConfirm(ctx *fiber.Ctx, status int, v vc.ConfirmView) error {
	return c.render(ctx, status, v.Title, vc.Confirm(v))
}

// Lifting a login pause.

func (c *Console) liftPauseView(ctx *fiber.Ctx, acct *db.Account, reason string) (vc.ConfirmView, bool, error) {
	t := c.text(ctx)
	v := vc.ConfirmView{T: t, Title: t.LiftPauseTitle + ": " + acct.LoginID, FormID: "lift-pause-form",
		Action: accountPath(acct.ID) + "/lift-pause", Back: accountPath(acct.ID),
		Facts: []vc.Fact{{ID: "login-id", Label: t.LoginID, Value: acct.LoginID}},
		Help:  t.LiftPauseHelp, Button: t.LiftPause, Reason: reason}
	paused, err := db.LoginPausedUntil(ctx.UserContext(), c.db, acct.LoginID, c.now(), c.cfg.LockoutThreshold, c.cfg.LockoutWindow)
	if err != nil || paused == nil {
		return v, false, err
	}
	v.Facts = append(v.Facts, vc.Fact{ID: "paused-until", Label: t.Status, Value: t.StatusPaused + " " + stamp(*paused)})
	return v, true, nil
}

func (c *Console) showLiftPause(ctx *fiber.Ctx) error {
	acct, err := c.account(ctx)
	if err != nil {
		return err
	}
	v, paused, err := c.liftPauseView(ctx, acct, "")
	if err != nil {
		return err
	}
	if !paused {
		v.Error = v.T.NotPaused
		return c.renderConfirm(ctx, fiber.StatusConflict, v)
	}
	return c.renderConfirm(ctx, fiber.StatusOK, v)
}

// liftPause clears the account's login failures once the reason is given.
func (c *Console) liftPause(ctx *fiber.Ctx) error {
	acct, err := c.account(ctx)
	if err != nil {
		return err
	}
	reason, ok := typedReason(ctx)
	v, _, err := c.liftPauseView(ctx, acct, reason)
	if err != nil {
		return err
	}
	if !ok {
		v.Error = v.T.ReasonRequired
		return c.renderConfirm(ctx, fiber.StatusUnprocessableEntity, v)
	}
	err = c.resets.LiftLoginPause(ctx.UserContext(), acct.ID, c.actor(ctx), reason)
	switch {
	case errors.Is(err, recovery.ErrNotPaused):
		v.Error = v.T.NotPaused
		return c.renderConfirm(ctx, fiber.StatusConflict, v)
	case errors.Is(err, recovery.ErrNoAccount):
		return fiber.ErrNotFound
	case err != nil:
		return err
	}
	return c.done(ctx, acct, noticePauseLifted)
}

// Putting a dead mail back in the queue.

// deadMail loads the account's mail of the :mail parameter, or answers 404,
// also for another account's mail.
func (c *Console) deadMail(ctx *fiber.Ctx, acct *db.Account) (*db.OutboxMail, error) {
	id, err := url.PathUnescape(ctx.Params("mail"))
	if err != nil {
		return nil, fiber.ErrNotFound
	}
	row, err := c.resets.MailOf(ctx.UserContext(), c.db, acct.ID, id)
	if errors.Is(err, recovery.ErrNoMail) {
		return nil, fiber.ErrNotFound
	}
	return row, err
}

func (c *Console) requeueView(ctx *fiber.Ctx, acct *db.Account, row *db.OutboxMail, reason string) vc.ConfirmView {
	t := c.text(ctx)
	v := vc.ConfirmView{T: t, Title: t.RequeueTitle + ": " + acct.LoginID, FormID: "requeue-form",
		Action: requeuePath(acct.ID, row.ID), Back: accountPath(acct.ID),
		Facts: []vc.Fact{
			{ID: "mail-kind", Label: t.MailKind, Value: t.MailName(row.Kind)},
			{ID: "mail-to", Label: t.MailTo, Value: row.ToAddr},
			{ID: "mail-error", Label: t.LastError, Value: row.LastError},
			{ID: "mail-dead-at", Label: t.When, Value: orNever(t, row.DeadAt)},
		},
		Help: t.RequeueHelp, Button: t.RequeueMail, Reason: reason}
	if row.DeadAt != nil && c.now().Sub(*row.DeadAt) > mail.ResendKeyLifetime {
		v.Warning = t.RequeueOld
	}
	if row.Status != db.OutboxDead {
		v.Error = t.MailNotDead
	}
	return v
}

func (c *Console) showRequeue(ctx *fiber.Ctx) error {
	acct, err := c.account(ctx)
	if err != nil {
		return err
	}
	row, err := c.deadMail(ctx, acct)
	if err != nil {
		return err
	}
	v := c.requeueView(ctx, acct, row, "")
	if v.Error != "" {
		return c.renderConfirm(ctx, fiber.StatusConflict, v)
	}
	return c.renderConfirm(ctx, fiber.StatusOK, v)
}

// requeueMail puts the account's dead mail back in the outbox once the
// reason is given; the merchant app's mail worker sends it when it next
// polls.
func (c *Console) requeueMail(ctx *fiber.Ctx) error {
	acct, err := c.account(ctx)
	if err != nil {
		return err
	}
	row, err := c.deadMail(ctx, acct)
	if err != nil {
		return err
	}
	reason, ok := typedReason(ctx)
	v := c.requeueView(ctx, acct, row, reason)
	if !ok {
		v.Error = v.T.ReasonRequired
		return c.renderConfirm(ctx, fiber.StatusUnprocessableEntity, v)
	}
	_, err = c.resets.RequeueMailByStaff(ctx.UserContext(), acct.ID, row.ID, c.actor(ctx), reason)
	switch {
	case errors.Is(err, recovery.ErrMailNotDead):
		v.Error = v.T.MailNotDead
		return c.renderConfirm(ctx, fiber.StatusConflict, v)
	case errors.Is(err, recovery.ErrMailGone):
		v.Error = v.T.MailGone
		return c.renderConfirm(ctx, fiber.StatusConflict, v)
	case errors.Is(err, recovery.ErrLinkDead):
		v.Error = v.T.LinkDead
		return c.renderConfirm(ctx, fiber.StatusConflict, v)
	case errors.Is(err, recovery.ErrNoMail):
		return fiber.ErrNotFound
	case err != nil:
		return err
	}
	return c.done(ctx, acct, noticeMailRequeued)
}

// Changing the registered address.

// renderChangeEmail shows the form with the typed values and msg, about
// the address when emailInvalid.
func (c *Console) renderChangeEmail(ctx *fiber.Ctx, status int, acct *db.Account, newAddr, reason, msg string, emailInvalid bool) error {
	t := c.text(ctx)
	v := vc.ChangeEmailView{T: t, Action: accountPath(acct.ID) + "/change-email", Back: accountPath(acct.ID),
		LoginID: acct.LoginID, Current: acct.Email, NewAddr: newAddr, Reason: reason, Error: msg, EmailInvalid: emailInvalid}
	return c.render(ctx, status, t.ChangeEmailTitle, vc.ChangeEmailForm(v))
}

func (c *Console) showChangeEmail(ctx *fiber.Ctx) error {
	acct, err := c.account(ctx)
	if err != nil {
		return err
	}
	return c.renderChangeEmail(ctx, fiber.StatusOK, acct, "", "", "", false)
}

// changeEmail sets the new address, normalised and checked as the command
// "account set-email" does, once the reason is given: the old and the new
// address are told, and the account's reset links revoked.
func (c *Console) changeEmail(ctx *fiber.Ctx) error {
	acct, err := c.account(ctx)
	if err != nil {
		return err
	}
	t := c.text(ctx)
	typed := ctx.FormValue("email")
	addr := account.NormalizeEmail(typed)
	reason, ok := typedReason(ctx)
	if p := account.ValidateEmail(addr); p != "" {
		return c.renderChangeEmail(ctx, fiber.StatusUnprocessableEntity, acct, typed, reason, views.T(t.Lang).Problem(p), true)
	}
	if !ok {
		return c.renderChangeEmail(ctx, fiber.StatusUnprocessableEntity, acct, typed, reason, t.ReasonRequired, false)
	}
	_, _, err = c.resets.ChangeEmail(ctx.UserContext(), acct.LoginID, addr, c.actor(ctx), reason)
	if errors.Is(err, recovery.ErrSameEmail) {
		return c.renderChangeEmail(ctx, fiber.StatusUnprocessableEntity, acct, typed, reason, t.SameEmail, true)
	}
	if err != nil {
		return err
	}
	return c.done(ctx, acct, noticeEmailChanged)
}

// Disabling and enabling the account.

// statusView is the confirmation of action (account.Disable or
// account.Enable) on acct; ok is false, and the view says so, when the
// account is so already.
func (c *Console) statusView(ctx *fiber.Ctx, acct *db.Account, action account.Action, reason string) (v vc.ConfirmView, ok bool) {
	t := c.text(ctx)
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
func (c *Console) showStatus(action account.Action) fiber.Handler {
	return func(ctx *fiber.Ctx) error {
		acct, err := c.account(ctx)
		if err != nil {
			return err
		}
		v, ok := c.statusView(ctx, acct, action, "")
		if !ok {
			return c.renderConfirm(ctx, fiber.StatusConflict, v)
		}
		return c.renderConfirm(ctx, fiber.StatusOK, v)
	}
}

// changeStatus disables or enables the account once the reason is given;
// disabling also ends its reset links and sessions.
func (c *Console) changeStatus(action account.Action) fiber.Handler {
	return func(ctx *fiber.Ctx) error {
		acct, err := c.account(ctx)
		if err != nil {
			return err
		}
		reason, reasonOK := typedReason(ctx)
		v, ok := c.statusView(ctx, acct, action, reason)
		switch {
		case !reasonOK:
			v.Error = v.T.ReasonRequired
			return c.renderConfirm(ctx, fiber.StatusUnprocessableEntity, v)
		case !ok:
			return c.renderConfirm(ctx, fiber.StatusConflict, v)
		}
		err = account.ChangeStatus(ctx.UserContext(), c.db, acct.LoginID, action, c.actor(ctx), reason, c.now())
		switch {
		case errors.Is(err, account.ErrAlreadyDisabled):
			v.Error = v.T.AlreadyDisabled
			return c.renderConfirm(ctx, fiber.StatusConflict, v)
		case errors.Is(err, account.ErrNotDisabled):
			v.Error = v.T.NotDisabled
			return c.renderConfirm(ctx, fiber.StatusConflict, v)
		case errors.Is(err, account.ErrNoSuchAccount):
			return fiber.ErrNotFound
		case err != nil:
			return err
		}
		if action == account.Disable {
			return c.done(ctx, acct, noticeDisabled)
		}
		return c.done(ctx, acct, noticeEnabled)
	}
}
