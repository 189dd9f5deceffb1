package console

import (
	"encoding/base64"

	"github.com/gofiber/fiber/v2"

	"aikagi/app/staff"
	"aikagi/db"
	vc "aikagi/views/console"
)

// showLogin is the password form; a signed-in member goes home.
func (c *Console) showLogin(ctx *fiber.Ctx) error {
	t := c.text(ctx)
	return c.render(ctx, fiber.StatusOK, t.LoginTitle, vc.LoginForm(vc.LoginView{T: t}))
}

// checkPassword is a login's first step; it leads to the code, or to
// enrolment for a member who has none.
func (c *Console) checkPassword(ctx *fiber.Ctx) error {
	t := c.text(ctx)
	email := ctx.FormValue("email")
	at, err := c.staff.CheckPassword(ctx.UserContext(), email, ctx.FormValue("password"), c.client(ctx))
	if err != nil {
		return err
	}
	if at.Outcome != staff.Passed {
		status, msg := refusal(t, at.Outcome)
		return c.render(ctx, status, t.LoginTitle, vc.LoginForm(vc.LoginView{T: t, Email: email, Error: msg}))
	}
	c.setSession(ctx, at.SessionID)
	if at.Staff.EnrolledAt == nil {
		return c.redirect(ctx, "/login/enrol")
	}
	return c.redirect(ctx, "/login/code")
}

// refusal is the status and message of a refused step.
func refusal(t *vc.Text, out staff.Outcome) (int, string) {
	switch out {
	case staff.Locked:
		return fiber.StatusTooManyRequests, t.LoginLocked
	case staff.Limited:
		return fiber.StatusTooManyRequests, t.LoginLimited
	case staff.Failed, staff.Passed:
	}
	return fiber.StatusUnprocessableEntity, t.LoginFailed
}

func (c *Console) showCode(ctx *fiber.Ctx) error {
	if _, member := current(ctx); member.EnrolledAt == nil {
		return c.redirect(ctx, "/login/enrol")
	}
	t := c.text(ctx)
	return c.render(ctx, fiber.StatusOK, t.CodeTitle, vc.CodeForm(vc.CodeView{T: t}))
}

// checkCode is the second step; a refusal keeps the pending session, so
// the member may try again until the lockout.
func (c *Console) checkCode(ctx *fiber.Ctx) error {
	t := c.text(ctx)
	sess, member := current(ctx)
	at, err := c.staff.CheckCode(ctx.UserContext(), sess, member, ctx.FormValue("code"), c.client(ctx))
	if err != nil {
		return err
	}
	if at.Outcome != staff.Passed {
		status, msg := refusal(t, at.Outcome)
		return c.render(ctx, status, t.CodeTitle, vc.CodeForm(vc.CodeView{T: t, Error: msg}))
	}
	c.setSession(ctx, at.SessionID)
	return c.redirect(ctx, "/")
}

// showEnrol offers a new TOTP secret to a member without one.
func (c *Console) showEnrol(ctx *fiber.Ctx) error {
	return c.renderEnrol(ctx, fiber.StatusOK, "")
}

func (c *Console) renderEnrol(ctx *fiber.Ctx, status int, msg string) error {
	_, member := current(ctx)
	if member.EnrolledAt != nil {
		return c.redirect(ctx, "/login/code")
	}
	enrol, err := c.staff.BeginEnrolment(ctx.UserContext(), member)
	if err != nil {
		return err
	}
	t := c.text(ctx)
	qr := "data:image/png;base64," + base64.StdEncoding.EncodeToString(enrol.QRPNG)
	return c.render(ctx, status, t.EnrolTitle, vc.EnrolForm(vc.EnrolView{T: t, QR: qr, Secret: enrol.Secret, Error: msg}))
}

// confirmEnrol checks the first code; on success the member is signed in
// and sees the recovery codes, once.
func (c *Console) confirmEnrol(ctx *fiber.Ctx) error {
	sess, member := current(ctx)
	if member.EnrolledAt != nil {
		return c.redirect(ctx, "/login/code")
	}
	codes, id, err := c.staff.ConfirmEnrolment(ctx.UserContext(), sess, ctx.FormValue("code"), c.client(ctx))
	if err != nil {
		return err
	}
	t := c.text(ctx)
	if id == "" {
		// A new secret: the one shown may have been mistyped into the app.
		return c.renderEnrol(ctx, fiber.StatusUnprocessableEntity, t.CodeFailed)
	}
	c.setSession(ctx, id)
	ctx.Locals(localSession, &db.StaffSession{Stage: db.StageFull})
	return c.render(ctx, fiber.StatusOK, t.RecoveryTitle, vc.RecoveryCodes(vc.RecoveryView{T: t, Codes: codes}))
}

func (c *Console) logout(ctx *fiber.Ctx) error {
	sess, member := current(ctx)
	if err := c.staff.Logout(ctx.UserContext(), sess, member, c.client(ctx)); err != nil {
		return err
	}
	c.clearSession(ctx)
	return c.redirect(ctx, "/login")
}
