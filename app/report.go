package app

import (
	"github.com/gofiber/fiber/v2"

	"aikagi/app/limit"
	"aikagi/app/problem"
	"aikagi/db"
	"aikagi/views"
)

// checkReportedLink returns the still usable reset link of a report key,
// or the page saying why there is nothing to revoke. Unknown keys count
// towards the per-IP limit on link guesses, as unknown reset links do.
func (a *App) checkReportedLink(c *fiber.Ctx, key string) (*db.ResetToken, error) {
	ctx := c.UserContext()
	tok, err := a.recovery.ReportedLink(ctx, key)
	if err != nil {
		return nil, err
	}
	switch tok.State(a.now()) {
	case db.TokenValid:
		return tok, nil
	case db.TokenUsed:
		return nil, refuseLink(fiber.StatusGone, problem.ReportLinkUsed, "")
	case db.TokenExpired, db.TokenRevoked:
		return nil, refuseLink(fiber.StatusGone, problem.ReportLinkInactive, "")
	case db.TokenUnknown:
		who := a.client(c)
		if ok, err := a.limits.PerClient(ctx, limit.LinksPerIP, who.IP); err != nil {
			return nil, err
		} else if !ok {
			return nil, a.limited(ctx, who, limit.LinksPerIP)
		}
	}
	return nil, refuseLink(fiber.StatusNotFound, problem.LinkInvalid, "")
}

// showReportForm is the page of 「心当たりがない場合」: it only asks, since
// mail scanners open links too; its button posts to reportResetLink.
func (a *App) showReportForm(c *fiber.Ctx) error {
	t := views.T(a.lang(c))
	key := c.Query("token")
	if _, err := a.checkReportedLink(c, key); err != nil {
		return err
	}
	return a.render(c, fiber.StatusOK, t.ReportTitle, views.ReportView(views.ReportForm{T: t, Key: key}))
}

// reportResetLink revokes the reported link (and any other unused link of
// the account) at once and flags the account for support in the audit
// trail. The password is left as it is.
func (a *App) reportResetLink(c *fiber.Ctx) error {
	form, err := parseForm(c, "token")
	if err != nil {
		return err
	}
	t := views.T(a.lang(c))
	tok, err := a.checkReportedLink(c, form["token"])
	if err != nil {
		return err
	}
	revoked, err := a.recovery.RevokeReported(c.UserContext(), tok, a.client(c))
	if err != nil {
		return err
	}
	if !revoked {
		// Used or expired since it was checked: say which.
		if _, err := a.checkReportedLink(c, form["token"]); err != nil {
			return err
		}
		return refuseLink(fiber.StatusGone, problem.ReportLinkInactive, "")
	}
	return a.render(c, fiber.StatusOK, t.ReportDoneTitle, views.ReportDoneView(t))
}
