package console

import (
	"errors"
	"fmt"
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

// staffLinkTTL is the lifetime a link sent by staff starts at: a merchant
// on the phone may not reach their mail for a while.
const staffLinkTTL = 24 * time.Hour

// recentLinkWindow is how far back the confirmation looks for a link that
// another would replace: two agents answering the same merchant a moment
// apart should know of each other.
const recentLinkWindow = 10 * time.Minute

func (con *Console) showSendReset(c *fiber.Ctx) error {
	acct, err := con.account(c)
	if err != nil {
		return err
	}
	return con.renderSendReset(c, fiber.StatusOK, acct, staffLinkTTL.String(), "", false, "")
}

// renderSendReset shows the confirmation with how mail to the address
// fared and any link sent in the last few minutes.
func (con *Console) renderSendReset(c *fiber.Ctx, status int, acct *db.Account, ttl, reason string, confirmed bool, msg string) error {
	t := con.text(c)
	v := vc.SendResetView{T: t, Action: accountPath(acct.ID) + "/send-reset", Back: accountPath(acct.ID),
		LoginID: acct.LoginID, Email: acct.Email, Reason: reason, Confirmed: confirmed, Error: msg, LastResult: t.Never}
	for _, d := range con.resetTTLs() {
		v.TTLs = append(v.TTLs, vc.TTLChoice{Value: d.String(), Label: views.Duration(t.Lang, d), Selected: d.String() == ttl})
	}
	ctx, now := c.UserContext(), con.now()
	last, err := db.LastDelivery(ctx, con.db, acct.ID, acct.Email)
	if err != nil {
		return err
	}
	if last != nil {
		v.LastResult = deliveryResult(t, last) + t.DetailSep + t.JapanTime(*last.DeliveryEventAt)
		if last.DeliveryEvent != db.DeliveryDelivered {
			v.Fix, v.Raw = t.BounceFix(bounceCause(last), vc.Domain(last.ToAddr)), last.DeliveryDetail
		}
		v.Undeliverable = undeliverable(last)
	}
	if _, member := current(c); staff.Can(member.Role, staff.ChangeEmail) {
		v.ChangeEmail = accountPath(acct.ID) + "/change-email"
	}
	recent, err := db.RecentLink(ctx, con.db, acct.ID, now.Add(-recentLinkWindow))
	if err != nil {
		return err
	}
	if recent != nil {
		at := t.Moment(recent.At, now)
		v.Recent = fmt.Sprintf(t.RecentRequest, at.Text, at.Ago)
		if recent.Kind == db.AuditResetByOperator {
			v.Recent = fmt.Sprintf(t.RecentLink, at.Text, at.Ago, vc.Shown(recent.Staff))
		}
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
	confirmed := c.FormValue("confirm_bounced") == "yes"
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
		return con.renderSendReset(c, fiber.StatusUnprocessableEntity, acct, ttlText, reason, confirmed, t.ReasonRequired)
	}
	// Mail to an address that bounced for good is sent only knowingly.
	last, err := db.LastDelivery(c.UserContext(), con.db, acct.ID, acct.Email)
	if err != nil {
		return err
	}
	if last != nil && undeliverable(last) && !confirmed {
		return con.renderSendReset(c, fiber.StatusUnprocessableEntity, acct, ttlText, reason, confirmed, t.ConfirmRequired)
	}
	_, expires, err := con.resets.SendResetByStaff(c.UserContext(), acct.ID, ttl, con.actor(c), reason)
	if errors.Is(err, recovery.ErrAccountDisabled) {
		return con.renderSendReset(c, fiber.StatusConflict, acct, ttlText, reason, confirmed, t.AccountDisabled)
	}
	if err != nil {
		return err
	}
	return con.redirect(c, accountPath(acct.ID)+"?sent="+expires.UTC().Format("2006-01-02T15:04:05Z"))
}
