package console

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"aikagi/app/problem"
	"aikagi/app/staff"
	"aikagi/db"
	"aikagi/views"
	vc "aikagi/views/console"
)

// Staff management (SPEC §7: the first admin from the CLI, then admins
// manage staff in the console). Every route here is behind
// may(staff.ManageStaff), but the invitation links, which have no session.

// listStaff is the staff list with what may be done to each member.
func (c *Console) listStaff(ctx *fiber.Ctx) error {
	members, err := c.staff.Members(ctx.UserContext())
	if err != nil {
		return err
	}
	t := c.text(ctx)
	_, me := current(ctx)
	v := vc.StaffListView{T: t, InviteURL: "/staff/invite"}
	for i := range members {
		v.Members = append(v.Members, memberRow(t, &members[i], me))
	}
	if change, ok := staff.ParseChange(ctx.Query("done")); ok {
		v.Notice = changeWording(t, change).done
	}
	return c.render(ctx, fiber.StatusOK, t.StaffTitle, vc.StaffList(v))
}

// memberRow is a member as a row of the list; an admin is not offered to
// disable or demote themselves.
func memberRow(t *vc.Text, m *staff.Member, me *db.Staff) vc.MemberRow {
	row := vc.MemberRow{ID: strconv.FormatInt(m.ID, 10), Email: m.Email, Role: roleName(t, m.Role),
		Factor: t.StaffNotEnrolled, State: t.StaffEnabled, Created: stamp(m.CreatedAt), LastLogin: orNever(t, m.LastLogin),
		You: m.ID == me.ID, Enrolled: m.EnrolledAt != nil, Disabled: m.DisabledAt != nil, Invited: m.Invited}
	if row.Enrolled {
		row.Factor = t.StaffEnrolled
	}
	switch {
	case row.Disabled:
		row.State = t.StaffDisabledMark
	case row.Invited:
		row.State = t.StaffInvitedMark
	}
	if m.PausedUntil != nil {
		row.Paused = t.StaffPausedMark + " " + stamp(*m.PausedUntil)
	}
	for _, change := range staff.Changes {
		if !m.Applies(change) || (row.You && (change == staff.Disable || change == staff.ChangeRole)) {
			continue
		}
		row.Actions = append(row.Actions, vc.ActionLink{Name: string(change), Label: changeWording(t, change).title,
			Href: memberPath(m.ID, change)})
	}
	return row
}

func memberPath(id int64, change staff.Change) string {
	return "/staff/" + strconv.FormatInt(id, 10) + "/" + string(change)
}

func roleName(t *vc.Text, role db.StaffRole) string {
	switch role {
	case db.RoleAdmin:
		return t.RoleAdmin
	case db.RoleSupport:
		return t.RoleSupport
	}
	return string(role)
}

// otherRole is the role a role change leads to.
func otherRole(role db.StaffRole) db.StaffRole {
	if role == db.RoleAdmin {
		return db.RoleSupport
	}
	return db.RoleAdmin
}

// wording is what the console says of one change.
type wording struct{ title, help, done string }

func changeWording(t *vc.Text, change staff.Change) wording {
	switch change {
	case staff.ChangeRole:
		return wording{t.ChangeRoleTitle, t.ChangeRoleHelp, t.DoneRole}
	case staff.Disable:
		return wording{t.MemberDisableTitle, t.MemberDisableHelp, t.DoneDisable}
	case staff.Enable:
		return wording{t.MemberEnableTitle, t.MemberEnableHelp, t.DoneEnable}
	case staff.ResetFactor:
		return wording{t.ResetFactorTitle, t.ResetFactorHelp, t.DoneResetFactor}
	case staff.LiftMemberPause:
		return wording{t.MemberLiftPauseTitle, t.MemberLiftPauseHelp, t.DoneLiftPause}
	case staff.ReissueLink:
		return wording{t.ReinviteTitle, t.ReinviteHelp, ""}
	}
	return wording{}
}

// validReason is a typed reason: required, at most maxReasonRunes.
func validReason(reason string) bool {
	return reason != "" && utf8.RuneCountInString(reason) <= maxReasonRunes
}

func (c *Console) showInvite(ctx *fiber.Ctx) error {
	return c.renderInvite(ctx, fiber.StatusOK, "", db.RoleSupport, "", "")
}

func (c *Console) renderInvite(ctx *fiber.Ctx, status int, email string, role db.StaffRole, reason, msg string) error {
	t := c.text(ctx)
	v := vc.InviteView{T: t, Email: email, Reason: reason, Error: msg}
	for _, r := range db.StaffRoles {
		v.Roles = append(v.Roles, vc.RoleChoice{Value: string(r), Label: roleName(t, r), Selected: r == role})
	}
	return c.render(ctx, status, t.InviteTitle, vc.InviteForm(v))
}

// invite adds a member without a password and shows the admin their
// invitation link, once.
func (c *Console) invite(ctx *fiber.Ctx) error {
	t := c.text(ctx)
	email, reason := strings.TrimSpace(ctx.FormValue("email")), strings.TrimSpace(ctx.FormValue("reason"))
	role, ok := staff.ParseRole(ctx.FormValue("role"))
	if !ok {
		return errBadChoice
	}
	if !validReason(reason) {
		return c.renderInvite(ctx, fiber.StatusUnprocessableEntity, email, role, reason, t.ReasonRequired)
	}
	member, token, err := c.staff.Invite(ctx.UserContext(), email, role, c.admin(ctx), reason)
	switch {
	case errors.Is(err, staff.ErrBadEmail):
		return c.renderInvite(ctx, fiber.StatusUnprocessableEntity, email, role, reason, t.InviteBadEmail)
	case errors.Is(err, db.ErrStaffExists):
		return c.renderInvite(ctx, fiber.StatusConflict, email, role, reason, t.InviteTaken)
	case err != nil:
		return err
	}
	return c.renderInviteLink(ctx, member.Email, token)
}

// renderInviteLink shows an invitation link on the console's own origin.
func (c *Console) renderInviteLink(ctx *fiber.Ctx, email, token string) error {
	t := c.text(ctx)
	v := vc.InviteLinkView{T: t, Email: email, Link: ctx.BaseURL() + "/invite/" + token,
		Expires: stamp(c.now().Add(staff.InviteTTL))}
	return c.render(ctx, fiber.StatusOK, t.InviteLinkTitle, vc.InviteLink(v))
}

// admin is the signed-in admin, for the audit trail of staff changes.
func (c *Console) admin(ctx *fiber.Ctx) staff.Actor {
	_, me := current(ctx)
	return staff.Actor{Member: me, Client: c.client(ctx)}
}

// memberChange reads the :id and :change parameters, or answers 404.
func (c *Console) memberChange(ctx *fiber.Ctx) (*staff.Member, staff.Change, error) {
	change, ok := staff.ParseChange(ctx.Params("change"))
	id, err := ctx.ParamsInt("id")
	if !ok || err != nil {
		return nil, "", fiber.ErrNotFound
	}
	member, err := c.staff.Member(ctx.UserContext(), int64(id))
	if err == nil && member == nil {
		err = fiber.ErrNotFound
	}
	return member, change, err
}

// showChange is the confirmation of a change, with its typed reason.
func (c *Console) showChange(ctx *fiber.Ctx) error {
	member, change, err := c.memberChange(ctx)
	if err != nil {
		return err
	}
	if !member.Applies(change) {
		return c.renderChange(ctx, fiber.StatusConflict, member, change, "", c.text(ctx).RefusedNotApplied)
	}
	return c.renderChange(ctx, fiber.StatusOK, member, change, "", "")
}

func (c *Console) renderChange(ctx *fiber.Ctx, status int, member *staff.Member, change staff.Change, reason, msg string) error {
	t := c.text(ctx)
	w := changeWording(t, change)
	v := vc.ChangeView{T: t, Title: w.title, Help: w.help, Action: memberPath(member.ID, change), Email: member.Email,
		Reason: reason, Error: msg}
	if change == staff.ChangeRole {
		to := otherRole(member.Role)
		v.Role, v.RoleChange = string(to), roleName(t, member.Role)+" → "+roleName(t, to)
	}
	return c.render(ctx, status, w.title, vc.ChangeForm(v))
}

// applyChange makes the change once the reason is given; the guards run
// in its transaction (staff.Apply).
func (c *Console) applyChange(ctx *fiber.Ctx) error {
	member, change, err := c.memberChange(ctx)
	if err != nil {
		return err
	}
	t := c.text(ctx)
	reason := strings.TrimSpace(ctx.FormValue("reason"))
	if !validReason(reason) {
		return c.renderChange(ctx, fiber.StatusUnprocessableEntity, member, change, reason, t.ReasonRequired)
	}
	role := db.StaffRole(ctx.FormValue("role"))
	token, err := c.staff.Apply(ctx.UserContext(), member.ID, change, role, c.admin(ctx), reason)
	refused := map[error]string{staff.ErrSelf: t.RefusedSelf, staff.ErrLastAdmin: t.RefusedLastAdmin, staff.ErrNotApplied: t.RefusedNotApplied}
	for e, msg := range refused {
		if errors.Is(err, e) {
			return c.renderChange(ctx, fiber.StatusConflict, member, change, reason, msg)
		}
	}
	switch {
	case errors.Is(err, staff.ErrNoMember):
		return fiber.ErrNotFound
	case err != nil:
		return err
	case change == staff.ReissueLink:
		return c.renderInviteLink(ctx, member.Email, token)
	}
	return c.redirect(ctx, "/staff?done="+string(change))
}

// showInviteLink is the page behind an invitation link: the password form
// while the link is open, else a page that says it cannot be used.
func (c *Console) showInviteLink(ctx *fiber.Ctx) error {
	_, member, state, err := c.staff.OpenInvite(ctx.UserContext(), ctx.Params("token"))
	if err != nil {
		return err
	}
	if state != staff.InviteOpen {
		return c.renderInviteUnusable(ctx, state)
	}
	return c.renderSetPassword(ctx, fiber.StatusOK, member.Email, nil)
}

func (c *Console) renderSetPassword(ctx *fiber.Ctx, status int, email string, probs map[string]problem.Problem) error {
	t := c.text(ctx)
	v := vc.SetPasswordView{T: t, Action: "/invite/" + ctx.Params("token"), Email: email,
		PasswordError: c.problemText(t, probs["password"]), ConfirmError: c.problemText(t, probs["password_confirm"])}
	return c.render(ctx, status, t.SetPasswordTitle, vc.SetPasswordForm(v))
}

// problemText says a password problem in the merchants' wording.
func (c *Console) problemText(t *vc.Text, p problem.Problem) string {
	switch p {
	case "":
		return ""
	case problem.PasswordTooShort:
		return views.T(t.Lang).PasswordTooShort(c.cfg.PasswordMinLength)
	}
	return views.T(t.Lang).Problem(p)
}

// renderInviteUnusable answers a link never issued (404) or no longer
// usable (410).
func (c *Console) renderInviteUnusable(ctx *fiber.Ctx, state staff.InviteState) error {
	t := c.text(ctx)
	status := fiber.StatusGone
	if state == staff.InviteUnknown {
		status = fiber.StatusNotFound
	}
	return c.render(ctx, status, t.InviteUnusableTitle, vc.InviteUnusable(t))
}

// acceptInvite sets the member's password and goes on to the enrolment of
// their second factor with a pending session, as after a first login.
func (c *Console) acceptInvite(ctx *fiber.Ctx) error {
	probs, sessionID, state, err := c.staff.AcceptInvite(ctx.UserContext(), ctx.Params("token"),
		ctx.FormValue("password"), ctx.FormValue("password_confirm"), c.client(ctx))
	if err != nil {
		return err
	}
	if state != staff.InviteOpen {
		return c.renderInviteUnusable(ctx, state)
	}
	if len(probs) > 0 {
		_, member, _, err := c.staff.OpenInvite(ctx.UserContext(), ctx.Params("token"))
		if err != nil || member == nil {
			return err
		}
		return c.renderSetPassword(ctx, fiber.StatusUnprocessableEntity, member.Email, probs)
	}
	c.setSession(ctx, sessionID)
	return c.redirect(ctx, "/login/enrol")
}

// loggedPath is the request's path for the log, without an invitation
// link's token: the log must not hand out the links it saw.
func loggedPath(ctx *fiber.Ctx) string {
	if strings.HasPrefix(ctx.Path(), "/invite/") {
		return "/invite/…"
	}
	return ctx.Path()
}
