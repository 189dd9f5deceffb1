package console

import (
	"errors"
	"strconv"
	"strings"
	"time"
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
func (con *Console) listStaff(c *fiber.Ctx) error {
	members, err := con.staff.Members(c.UserContext())
	if err != nil {
		return err
	}
	t := con.text(c)
	_, me := current(c)
	v := vc.StaffListView{T: t, InviteURL: "/staff/invite"}
	for i := range members {
		v.Members = append(v.Members, memberRow(t, &members[i], me, con.now()))
	}
	if change, ok := staff.ParseChange(c.Query("done")); ok {
		v.Notice = changeWording(t, change).done
	}
	return con.render(c, fiber.StatusOK, t.StaffTitle, vc.StaffList(v))
}

// memberRow is a member as a row of the list; an admin is not offered to
// disable or demote themselves.
func memberRow(t *vc.Text, m *staff.Member, me *db.Staff, now time.Time) vc.MemberRow {
	row := vc.MemberRow{ID: strconv.FormatInt(m.ID, 10), Email: m.Email, Role: roleName(t, m.Role),
		Factor: t.StaffNotEnrolled, State: t.StaffEnabled, Created: t.Moment(m.CreatedAt, now), LastLogin: orNever(t, m.LastLogin, now),
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
		row.Paused = t.StaffPausedMark + " " + t.JapanTime(*m.PausedUntil)
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

func (con *Console) showInvite(c *fiber.Ctx) error {
	return con.renderInvite(c, fiber.StatusOK, "", db.RoleSupport, "", "")
}

func (con *Console) renderInvite(c *fiber.Ctx, status int, email string, role db.StaffRole, reason, msg string) error {
	t := con.text(c)
	v := vc.InviteView{T: t, Email: email, Reason: reason, Error: msg}
	for _, r := range db.StaffRoles {
		v.Roles = append(v.Roles, vc.RoleChoice{Value: string(r), Label: roleName(t, r), Selected: r == role})
	}
	return con.render(c, status, t.InviteTitle, vc.InviteForm(v))
}

// invite adds a member without a password and shows the admin their
// invitation link, once.
func (con *Console) invite(c *fiber.Ctx) error {
	t := con.text(c)
	email, reason := strings.TrimSpace(c.FormValue("email")), strings.TrimSpace(c.FormValue("reason"))
	role, ok := staff.ParseRole(c.FormValue("role"))
	if !ok {
		return errBadChoice
	}
	if !validReason(reason) {
		return con.renderInvite(c, fiber.StatusUnprocessableEntity, email, role, reason, t.ReasonRequired)
	}
	member, token, err := con.staff.Invite(c.UserContext(), email, role, con.actor(c), reason)
	switch {
	case errors.Is(err, staff.ErrBadEmail):
		return con.renderInvite(c, fiber.StatusUnprocessableEntity, email, role, reason, t.InviteBadEmail)
	case errors.Is(err, db.ErrStaffExists):
		return con.renderInvite(c, fiber.StatusConflict, email, role, reason, t.InviteTaken)
	case err != nil:
		return err
	}
	return con.renderInviteLink(c, member.Email, token)
}

// renderInviteLink shows an invitation link on the console's own origin.
func (con *Console) renderInviteLink(c *fiber.Ctx, email, token string) error {
	t := con.text(c)
	v := vc.InviteLinkView{T: t, Email: email, Link: con.cfg.ConsoleURL.String() + "/invite/" + token,
		Expires: t.JapanTime(con.now().Add(staff.InviteTTL))}
	return con.render(c, fiber.StatusOK, t.InviteLinkTitle, vc.InviteLink(v))
}

// memberChange reads the :id and :change parameters, or answers 404.
func (con *Console) memberChange(c *fiber.Ctx) (*staff.Member, staff.Change, error) {
	change, ok := staff.ParseChange(c.Params("change"))
	id, err := c.ParamsInt("id")
	if !ok || err != nil {
		return nil, "", fiber.ErrNotFound
	}
	member, err := con.staff.Member(c.UserContext(), int64(id))
	if err == nil && member == nil {
		err = fiber.ErrNotFound
	}
	return member, change, err
}

// showChange is the confirmation of a change, with its typed reason.
func (con *Console) showChange(c *fiber.Ctx) error {
	member, change, err := con.memberChange(c)
	if err != nil {
		return err
	}
	if !member.Applies(change) {
		return con.renderChange(c, fiber.StatusConflict, member, change, "", con.text(c).RefusedNotApplied)
	}
	return con.renderChange(c, fiber.StatusOK, member, change, "", "")
}

func (con *Console) renderChange(c *fiber.Ctx, status int, member *staff.Member, change staff.Change, reason, msg string) error {
	t := con.text(c)
	w := changeWording(t, change)
	v := vc.ChangeView{T: t, Title: w.title, Help: w.help, Action: memberPath(member.ID, change), Email: member.Email,
		Reason: reason, Error: msg}
	if change == staff.ChangeRole {
		to := otherRole(member.Role)
		v.Role, v.RoleChange = string(to), roleName(t, member.Role)+" → "+roleName(t, to)
	}
	return con.render(c, status, w.title, vc.ChangeForm(v))
}

// applyChange makes the change once the reason is given; the guards run
// in its transaction (staff.Apply).
func (con *Console) applyChange(c *fiber.Ctx) error {
	member, change, err := con.memberChange(c)
	if err != nil {
		return err
	}
	t := con.text(c)
	reason := strings.TrimSpace(c.FormValue("reason"))
	if !validReason(reason) {
		return con.renderChange(c, fiber.StatusUnprocessableEntity, member, change, reason, t.ReasonRequired)
	}
	role := db.StaffRole(c.FormValue("role"))
	token, err := con.staff.Apply(c.UserContext(), member.ID, change, role, con.actor(c), reason)
	refused := map[error]string{staff.ErrSelf: t.RefusedSelf, staff.ErrLastAdmin: t.RefusedLastAdmin, staff.ErrNotApplied: t.RefusedNotApplied}
	for e, msg := range refused {
		if errors.Is(err, e) {
			return con.renderChange(c, fiber.StatusConflict, member, change, reason, msg)
		}
	}
	switch {
	case errors.Is(err, staff.ErrNoMember):
		return fiber.ErrNotFound
	case err != nil:
		return err
	case change == staff.ReissueLink:
		return con.renderInviteLink(c, member.Email, token)
	}
	return con.redirect(c, "/staff?done="+string(change))
}

// showInviteLink is the page behind an invitation link: the password form
// while the link is open, else a page that says it cannot be used.
func (con *Console) showInviteLink(c *fiber.Ctx) error {
	_, member, state, err := con.staff.OpenInvite(c.UserContext(), c.Params("token"))
	if err != nil {
		return err
	}
	if state != staff.InviteOpen {
		return con.renderInviteUnusable(c, state)
	}
	return con.renderSetPassword(c, fiber.StatusOK, member.Email, nil)
}

func (con *Console) renderSetPassword(c *fiber.Ctx, status int, email string, probs map[string]problem.Problem) error {
	t := con.text(c)
	v := vc.SetPasswordView{T: t, Action: "/invite/" + c.Params("token"), Email: email,
		PasswordError: con.problemText(t, probs["password"]), ConfirmError: con.problemText(t, probs["password_confirm"])}
	return con.render(c, status, t.SetPasswordTitle, vc.SetPasswordForm(v))
}

// problemText says a password problem in the merchants' wording.
func (con *Console) problemText(t *vc.Text, p problem.Problem) string {
	switch p {
	case "":
		return ""
	case problem.PasswordTooShort:
		return views.T(t.Lang).PasswordTooShort(con.cfg.PasswordMinLength)
	}
	return views.T(t.Lang).Problem(p)
}

// renderInviteUnusable answers a link never issued (404) or no longer
// usable (410).
func (con *Console) renderInviteUnusable(c *fiber.Ctx, state staff.InviteState) error {
	t := con.text(c)
	status := fiber.StatusGone
	if state == staff.InviteUnknown {
		status = fiber.StatusNotFound
	}
	return con.render(c, status, t.InviteUnusableTitle, vc.InviteUnusable(t))
}

// acceptInvite sets the member's password and goes on to the enrolment of
// their second factor with a pending session, as after a first login.
func (con *Console) acceptInvite(c *fiber.Ctx) error {
	probs, sessionID, state, err := con.staff.AcceptInvite(c.UserContext(), c.Params("token"),
		c.FormValue("password"), c.FormValue("password_confirm"), con.client(c))
	if err != nil {
		return err
	}
	if state != staff.InviteOpen {
		return con.renderInviteUnusable(c, state)
	}
	if len(probs) > 0 {
		_, member, _, err := con.staff.OpenInvite(c.UserContext(), c.Params("token"))
		if err != nil || member == nil {
			return err
		}
		return con.renderSetPassword(c, fiber.StatusUnprocessableEntity, member.Email, probs)
	}
	con.setSession(c, sessionID)
	return con.redirect(c, "/login/enrol")
}

// loggedPath is the request's path for the log, without an invitation
// link's token: the log must not hand out the links it saw.
func loggedPath(c *fiber.Ctx) string {
	if strings.HasPrefix(c.Path(), "/invite/") {
		return "/invite/…"
	}
	return c.Path()
}
