package console

import (
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"aikagi/app/account"
	"aikagi/app/recovery"
	"aikagi/app/staff"
	"aikagi/db"
	"aikagi/views"
	vc "aikagi/views/console"
)

const maxReasonRunes = 500

// may serves h only to members whose role allows action; the check runs on
// the server for every request, whatever the page offered.
func (c *Console) may(action staff.Action, h fiber.Handler) fiber.Handler {
	return func(ctx *fiber.Ctx) error {
		if _, member := current(ctx); member == nil || !staff.Can(member.Role, action) {
			return errForbidden
		}
		return h(ctx)
	}
}

// actor is the signed-in member as the audit trail records them.
func (c *Console) actor(ctx *fiber.Ctx) account.Actor {
	_, member := current(ctx)
	cl := c.client(ctx)
	return account.Actor{StaffID: member.ID, Email: member.Email, IP: cl.IP, UserAgent: cl.UserAgent}
}

// resetTTLs are the lifetimes staff may give a link: TOKEN_TTL, a day, three days.
func (c *Console) resetTTLs() []time.Duration {
	ttls := []time.Duration{c.cfg.TokenTTL}
	for _, d := range []time.Duration{24 * time.Hour, 72 * time.Hour} {
		if d != c.cfg.TokenTTL {
			ttls = append(ttls, d)
		}
	}
	return ttls
}

// account loads the account of the :id parameter, or answers 404.
func (c *Console) account(ctx *fiber.Ctx) (*db.Account, error) {
	id, err := ctx.ParamsInt("id")
	if err != nil {
		return nil, fiber.ErrNotFound
	}
	acct, err := db.GetAccount(ctx.UserContext(), c.db, int64(id))
	if err == nil && acct == nil {
		err = fiber.ErrNotFound
	}
	return acct, err
}

func (c *Console) showSendReset(ctx *fiber.Ctx) error {
	acct, err := c.account(ctx)
	if err != nil {
		return err
	}
	return c.renderSendReset(ctx, fiber.StatusOK, acct, c.cfg.TokenTTL.String(), "", "")
}

func (c *Console) renderSendReset(ctx *fiber.Ctx, status int, acct *db.Account, ttl, reason, msg string) error {
	t := c.text(ctx)
	v := vc.SendResetView{T: t, Action: accountPath(acct.ID) + "/send-reset", Back: accountPath(acct.ID),
		LoginID: acct.LoginID, Email: acct.Email, Reason: reason, Error: msg}
	for _, d := range c.resetTTLs() {
		v.TTLs = append(v.TTLs, vc.TTLChoice{Value: d.String(), Label: views.Duration(t.Lang, d), Selected: d.String() == ttl})
	}
	return c.render(ctx, status, t.SendResetTitle, vc.SendResetForm(v))
}

// sendReset queues the link once the reason is given, and shows the
// account page with what was done.
func (c *Console) sendReset(ctx *fiber.Ctx) error {
	acct, err := c.account(ctx)
	if err != nil {
		return err
	}
	t := c.text(ctx)
	reason := strings.TrimSpace(ctx.FormValue("reason"))
	ttlText := ctx.FormValue("ttl")
	var ttl time.Duration
	for _, d := range c.resetTTLs() {
		if d.String() == ttlText {
			ttl = d
		}
	}
	switch {
	case ttl == 0:
		return errBadChoice
	case reason == "" || utf8.RuneCountInString(reason) > maxReasonRunes:
		return c.renderSendReset(ctx, fiber.StatusUnprocessableEntity, acct, ttlText, reason, t.ReasonRequired)
	}
	_, expires, err := c.resets.SendResetByStaff(ctx.UserContext(), acct.ID, ttl, c.actor(ctx), reason)
	if errors.Is(err, recovery.ErrAccountDisabled) {
		return c.renderSendReset(ctx, fiber.StatusConflict, acct, ttlText, reason, t.AccountDisabled)
	}
	if err != nil {
		return err
	}
	return c.redirect(ctx, accountPath(acct.ID)+"?sent="+expires.UTC().Format("2006-01-02T15:04:05Z"))
}
