package console

import (
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"aikagi/app/recovery"
	"aikagi/app/staff"
	"aikagi/db"
	"aikagi/views"
	vc "aikagi/views/console"
)

const maxReasonRunes = 500

// may serves h only to members whose role allows action; the check runs on
// the server for every request, whatever the page offered.
func (con *Console) may(action staff.Action, h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if _, member := current(c); member == nil || !staff.Can(member.Role, action) {
			return errForbidden
		}
		return h(c)
	}
}

// actor is the signed-in member as the audit trail records them: who
// acts on an account or on another member.
func (con *Console) actor(c *fiber.Ctx) db.Actor {
	_, member := current(c)
	who := con.client(c)
	who.StaffID, who.Email = member.ID, member.Email
	return who
}

// resetTTLs are the lifetimes staff may give a link: TOKEN_TTL, a day, three days.
func (con *Console) resetTTLs() []time.Duration {
	ttls := []time.Duration{con.cfg.TokenTTL}
	for _, d := range []time.Duration{24 * time.Hour, 72 * time.Hour} {
		if d != con.cfg.TokenTTL {
			ttls = append(ttls, d)
		}
	}
	return ttls
}

// account loads the account of the :id parameter, or answers 404.
func (con *Console) account(c *fiber.Ctx) (*db.Account, error) {
	id, err := c.ParamsInt("id")
	if err != nil {
		return nil, fiber.ErrNotFound
	}
	acct, err := db.GetAccount(c.UserContext(), con.db, int64(id))
	if err == nil && acct == nil {
		err = fiber.ErrNotFound
	}
	return acct, err
}

func (con *Console) showSendReset(c *fiber.Ctx) error {
	acct, err := con.account(c)
	if err != nil {
		return err
	}
	return con.renderSendReset(c, fiber.StatusOK, acct, con.cfg.TokenTTL.String(), "", "")
}

func (con *Console) renderSendReset(c *fiber.Ctx, status int, acct *db.Account, ttl, reason, msg string) error {
	t := con.text(c)
	v := vc.SendResetView{T: t, Action: accountPath(acct.ID) + "/send-reset", Back: accountPath(acct.ID),
		LoginID: acct.LoginID, Email: acct.Email, Reason: reason, Error: msg}
	for _, d := range con.resetTTLs() {
		v.TTLs = append(v.TTLs, vc.TTLChoice{Value: d.String(), Label: views.Duration(t.Lang, d), Selected: d.String() == ttl})
	}
	return con.render(c, status, t.SendResetTitle, vc.SendResetForm(v))
}

// sendReset queues the link once the reason is given, and shows the
// account page with what was done.
func (con *Console) sendReset(c *fiber.Ctx) error {
	acct, err := con.account(c)
	if err != nil {
		return err
	}
	t := con.text(c)
	reason := strings.TrimSpace(c.FormValue("reason"))
	ttlText := c.FormValue("ttl")
	var ttl time.Duration
	for _, d := range con.resetTTLs() {
		if d.String() == ttlText {
			ttl = d
		}
	}
	switch {
	case ttl == 0:
		return errBadChoice
	case reason == "" || utf8.RuneCountInString(reason) > maxReasonRunes:
		return con.renderSendReset(c, fiber.StatusUnprocessableEntity, acct, ttlText, reason, t.ReasonRequired)
	}
	_, expires, err := con.resets.SendResetByStaff(c.UserContext(), acct.ID, ttl, con.actor(c), reason)
	if errors.Is(err, recovery.ErrAccountDisabled) {
		return con.renderSendReset(c, fiber.StatusConflict, acct, ttlText, reason, t.AccountDisabled)
	}
	if err != nil {
		return err
	}
	return con.redirect(c, accountPath(acct.ID)+"?sent="+expires.UTC().Format("2006-01-02T15:04:05Z"))
}
