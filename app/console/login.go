package console

import (
	"encoding/base64"

	"github.com/gofiber/fiber/v2"

	"aikagi/app/staff"
	"aikagi/db"
	vc "aikagi/views/console"
)

// showLogin is the password form; a signed-in member goes home.
func (con *Console) showLogin(c *fiber.Ctx) error {
	t := con.text(c)
	return con.render(c, fiber.StatusOK, t.LoginTitle, vc.LoginForm(vc.LoginView{T: t}))
}

// checkPassword is a login's first step; it leads to the code, or to
// enrolment for a member who has none.
func (con *Console) checkPassword(c *fiber.Ctx) error {
	t := con.text(c)
	email := c.FormValue("email")
	at, err := con.staff.CheckPassword(c.UserContext(), email, c.FormValue("password"), con.client(c))
	if err != nil {
		return err
	}
	if at.Outcome != staff.Passed {
		status, msg := refusal(t, at.Outcome)
		return con.render(c, status, t.LoginTitle, vc.LoginForm(vc.LoginView{T: t, Email: email, Error: msg}))
	}
	con.setSession(c, at.SessionID)
	if at.Staff.EnrolledAt == nil {
		return con.redirect(c, "/login/enrol")
	}
	return con.redirect(c, "/login/code")
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

func (con *Console) showCode(c *fiber.Ctx) error {
	if _, member := current(c); member.EnrolledAt == nil {
		return con.redirect(c, "/login/enrol")
	}
	t := con.text(c)
	return con.render(c, fiber.StatusOK, t.CodeTitle, vc.CodeForm(vc.CodeView{T: t}))
}

// checkCode is the second step; a refusal keeps the pending session, so
// the member may try again until the lockout.
func (con *Console) checkCode(c *fiber.Ctx) error {
	t := con.text(c)
	sess, member := current(c)
	at, err := con.staff.CheckCode(c.UserContext(), sess, member, c.FormValue("code"), con.client(c))
	if err != nil {
		return err
	}
	if at.Outcome != staff.Passed {
		status, msg := refusal(t, at.Outcome)
		return con.render(c, status, t.CodeTitle, vc.CodeForm(vc.CodeView{T: t, Error: msg}))
	}
	con.setSession(c, at.SessionID)
	return con.redirect(c, "/")
}

// showEnrol offers a member without a second factor their TOTP secret:
// the same one until a code for it succeeds.
func (con *Console) showEnrol(c *fiber.Ctx) error {
	return con.renderEnrol(c, fiber.StatusOK, "")
}

func (con *Console) renderEnrol(c *fiber.Ctx, status int, msg string) error {
	_, member := current(c)
	if member.EnrolledAt != nil {
		return con.redirect(c, "/login/code")
	}
	enrol, err := con.staff.BeginEnrolment(c.UserContext(), member)
	if err != nil {
		return err
	}
	t := con.text(c)
	qr := "data:image/png;base64," + base64.StdEncoding.EncodeToString(enrol.QRPNG)
	return con.render(c, status, t.EnrolTitle, vc.EnrolForm(vc.EnrolView{T: t, QR: qr, Secret: enrol.Secret, URL: enrol.URL, Error: msg}))
}

// confirmEnrol checks the first code; on success the member is signed in
// and sees the recovery codes, once.
func (con *Console) confirmEnrol(c *fiber.Ctx) error {
	sess, member := current(c)
	if member.EnrolledAt != nil {
		return con.redirect(c, "/login/code")
	}
	codes, id, err := con.staff.ConfirmEnrolment(c.UserContext(), sess, c.FormValue("code"), con.client(c))
	if err != nil {
		return err
	}
	t := con.text(c)
	if id == "" {
		// The same secret again: the app holds it, and its next code
		// may be typed more carefully.
		return con.renderEnrol(c, fiber.StatusUnprocessableEntity, t.CodeFailed)
	}
	con.setSession(c, id)
	c.Locals(localSession, &db.StaffSession{Stage: db.StageFull})
	return con.render(c, fiber.StatusOK, t.RecoveryTitle, vc.RecoveryCodes(vc.RecoveryView{T: t, Codes: codes}))
}

func (con *Console) logout(c *fiber.Ctx) error {
	sess, member := current(c)
	if err := con.staff.Logout(c.UserContext(), sess, member, con.client(c)); err != nil {
		return err
	}
	con.clearSession(c)
	return con.redirect(c, "/login")
}
