package app

import (
	"fmt"

	"github.com/gofiber/fiber/v2"

	"aikagi/app/limit"
	"aikagi/app/problem"
	"aikagi/app/recovery"
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

// renewResetLink is the main button of an expired or replaced link's
// page: a new link for the same account, in one tap. As at step 3, the
// request path only counts the per-IP limit, records the request (the
// link's hash, sealed) and answers the same page: the intake worker
// decides whether the link may be renewed (recovery.MatchRenewal) and
// applies the per-account mail limits. A used, reported or too old link,
// or one of a disabled or deleted account, therefore gets the very page
// an expired one gets, and no mail. Only a token of the wrong shape,
// known as such from the text alone, gets the page of an unknown link.
func (a *App) renewResetLink(c *fiber.Ctx) error {
	form, err := parseForm(c, "token")
	if err != nil {
		return err
	}
	ctx, t, who := c.UserContext(), views.T(a.lang(c)), a.client(c)
	if !recovery.LinkShaped(form["token"]) {
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
	if err := a.intake.Record(ctx, route.RenewJourney, recovery.RenewalValues(form["token"]), who, string(t.Lang)); err != nil {
		return fmt.Errorf("renew link: %w", err)
	}
	return a.render(c, fiber.StatusOK, t.Link.RenewedTitle,
		views.LinkRenewedView(views.LinkRenewed{T: t, Site: a.site(t.Lang), From: a.cfg.MailFrom.Address, TTL: a.cfg.TokenTTL}))
}
