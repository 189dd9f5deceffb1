package app

import (
	"fmt"

	"github.com/gofiber/fiber/v2"

	"aikagi/app/intake"
	"aikagi/app/limit"
	"aikagi/app/problem"
	"aikagi/app/route"
	"aikagi/db"
	"aikagi/views"
)

// linkError is a reset link (or its 「心当たりがない場合」 link) that cannot
// be used. handleError shows it on the link's own page, whose main button
// is the next step (views.NextFor) rather than a way back to the start.
type linkError struct {
	status  int
	problem problem.Problem
	token   string // the link, when its next step is a new link for the same account
}

func (e *linkError) Error() string { return fmt.Sprintf("%d %s", e.status, e.problem) }

// refuseLink makes the page of a link that cannot be used; token is kept
// only where the page offers a new link for it.
func refuseLink(status int, p problem.Problem, token string) error {
	if views.NextFor(p) != views.NextNewLink {
		token = ""
	}
	return &linkError{status: status, problem: p, token: token}
}

// showLinkProblem renders a linkError.
func (a *App) showLinkProblem(c *fiber.Ctx, e *linkError) error {
	t := views.T(a.lang(c))
	return a.render(c, e.status, t.ProblemTitle(e.problem),
		views.LinkProblemView(views.LinkProblem{T: t, Site: a.site(t.Lang), Problem: e.problem, Token: e.token}))
}

// renewResetLink is the main button of an expired or replaced link's page:
// a new link for the same account, in one tap. The old link proves that
// its mail reached the account's address, so a new mail there reveals
// nothing new. It takes step 3's way (the per-IP limit, an intake row the
// worker matches with the same per-account and global mail limits and
// audit) and answers the same page whatever the worker then does. Unknown
// links get the page of an unknown link and count as guesses.
func (a *App) renewResetLink(c *fiber.Ctx) error {
	form, err := parseForm(c, "token")
	if err != nil {
		return err
	}
	ctx, t, who := c.UserContext(), views.T(a.lang(c)), a.client(c)
	tok, err := a.recovery.LookupLink(ctx, form["token"])
	if err != nil {
		return err
	}
	var acct *db.Account
	if tok != nil {
		if acct, err = db.GetAccount(ctx, a.db, tok.AccountID); err != nil {
			return err
		}
	}
	if acct == nil {
		if ok, err := a.limits.PerClient(ctx, limit.LinksPerIP, who.IP); err != nil {
			return err
		} else if !ok {
			return a.limited(ctx, who, limit.LinksPerIP)
		}
		if err := db.RecordAudit(ctx, a.db, &db.AuditEvent{
			Kind: db.AuditTokenRefused, Detail: string(problem.LinkInvalid), IP: who.IP, UserAgent: who.UserAgent,
		}, a.now()); err != nil {
			return err
		}
		return refuseLink(fiber.StatusNotFound, problem.LinkInvalid, "")
	}
	if ok, err := a.limits.PerClient(ctx, limit.SendsPerIP, who.IP); err != nil {
		return err
	} else if !ok {
		return a.limited(ctx, who, limit.SendsPerIP)
	}
	values := intake.Values{LoginID: acct.LoginID, Email: acct.Email}
	if err := a.intake.Record(ctx, route.ResetJourney, values, who, string(t.Lang)); err != nil {
		return fmt.Errorf("renew link: %w", err)
	}
	return a.render(c, fiber.StatusOK, t.Link.RenewedTitle,
		views.LinkRenewedView(views.LinkRenewed{T: t, Site: a.site(t.Lang), From: a.cfg.MailFrom.Address, TTL: a.cfg.TokenTTL}))
}
