package console

import (
	"errors"
	"net/http"
	"net/netip"
	"time"

	"github.com/gofiber/fiber/v2"

	"aikagi/app/web"
	"aikagi/db"
	vc "aikagi/views/console"
)

const (
	localSession = "staff-session"
	localStaff   = "staff"
)

// requestLog logs each request when it ends: the path without its query,
// which may hold what staff searched for (addresses, login IDs).
func (con *Console) requestLog(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	if err != nil {
		if herr := con.handleError(c, err); herr != nil {
			c.Status(fiber.StatusInternalServerError)
		}
	}
	web.ObserveRequest(con.svc.Metrics, c, "console ", time.Since(start))
	con.log.InfoContext(c.UserContext(), "console request", "method", c.Method(), "path", loggedPath(c),
		"status", c.Response().StatusCode(), "ip", con.clientIP(c).String())
	return nil
}

// securityHeaders: the headers of every page (web.SetSecurityHeaders),
// and more, since the console is never framed (X-Frame-Options for older
// browsers too), opens no other window's context, and caches nothing.
func (con *Console) securityHeaders(c *fiber.Ctx) error {
	web.SetSecurityHeaders(c, con.cfg.HTTPS())
	c.Set("X-Frame-Options", "DENY")
	c.Set("Cross-Origin-Opener-Policy", "same-origin")
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Next()
}

// consoleHostOnly answers only requests that name the console by
// CONSOLE_URL's host (the Host header as sent, never a forwarded one): a
// page on another name that resolves here (DNS rebinding), or a forged
// Host, finds nothing.
func (con *Console) consoleHostOnly(c *fiber.Ctx) error {
	if !con.cfg.IsConsoleHost(string(c.Request().Host())) {
		return fiber.ErrNotFound
	}
	return c.Next()
}

// refuseCrossSite rejects state-changing requests that the browser says
// come from another origin, as the merchant app does
// (web.CheckCrossSite); the SameSite=Strict cookie is a second guard.
func (con *Console) refuseCrossSite(c *fiber.Ctx) error {
	if err := web.CheckCrossSite(c, con.cop); err != nil {
		return errCrossSite
	}
	return c.Next()
}

// session loads the session of the request's cookie, or nils.
func (con *Console) session(c *fiber.Ctx) (*db.StaffSession, *db.Staff, error) {
	return con.staff.Session(c.UserContext(), c.Cookies(con.cookie))
}

// signedIn serves h to a member with a full session; anyone else is sent
// to the login.
func (con *Console) signedIn(h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sess, member, err := con.session(c)
		if err != nil {
			return err
		}
		if sess == nil || sess.Stage != db.StageFull {
			return con.redirect(c, "/login")
		}
		c.Locals(localSession, sess)
		c.Locals(localStaff, member)
		return h(c)
	}
}

// pendingOnly serves h between the password and the second factor.
func (con *Console) pendingOnly(h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sess, member, err := con.session(c)
		if err != nil {
			return err
		}
		if sess == nil || sess.Stage != db.StagePending {
			return con.redirect(c, "/login")
		}
		c.Locals(localSession, sess)
		c.Locals(localStaff, member)
		return h(c)
	}
}

func current(c *fiber.Ctx) (*db.StaffSession, *db.Staff) {
	sess, _ := c.Locals(localSession).(*db.StaffSession)
	member, _ := c.Locals(localStaff).(*db.Staff)
	return sess, member
}

// redirect sends the browser to path (with HX-Redirect for htmx).
func (con *Console) redirect(c *fiber.Ctx, path string) error {
	if c.Get("HX-Request") == "true" {
		c.Set("HX-Redirect", path)
		return c.SendStatus(fiber.StatusNoContent)
	}
	return c.Redirect(path, fiber.StatusSeeOther)
}

// setSession gives the browser the session cookie: host-only, HttpOnly,
// SameSite=Strict, Secure (and __Host-) when BASE_URL is https. It has no
// expiry of its own: the server ends it after IdleTimeout.
func (con *Console) setSession(c *fiber.Ctx, id string) {
	c.Cookie(&fiber.Cookie{Name: con.cookie, Value: id, Path: "/", HTTPOnly: true, Secure: con.cfg.HTTPS(), SameSite: fiber.CookieSameSiteStrictMode})
}

func (con *Console) clearSession(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{Name: con.cookie, Value: "", Path: "/", MaxAge: -1, HTTPOnly: true, Secure: con.cfg.HTTPS(), SameSite: fiber.CookieSameSiteStrictMode})
}

// client is the audit trail's view of the requester.
func (con *Console) client(c *fiber.Ctx) db.Actor {
	return db.Actor{IP: con.clientIP(c).String(), UserAgent: c.Get(fiber.HeaderUserAgent)}
}

// clientIP is the requester's address, by the merchant app's rule
// (web.ClientIP under TRUSTED_PROXIES).
func (con *Console) clientIP(c *fiber.Ctx) netip.Addr {
	return web.ClientIP(c, con.cfg.TrustedProxies)
}

// The console's refusals, each with a page of its own (handleError).
var (
	errForbidden = fiber.NewError(fiber.StatusForbidden, "your role may not do this")
	errCrossSite = fiber.NewError(fiber.StatusForbidden, "cross-site request refused")
	errBadChoice = fiber.NewError(fiber.StatusUnprocessableEntity, "a value the form did not offer")
)

// handleError answers a refused or failed request with a page in the
// console's layout that says why and leads back to the search; the
// details of a failure go to the log, not to the page.
func (con *Console) handleError(c *fiber.Ctx, err error) error {
	status := fiber.StatusInternalServerError
	var fe *fiber.Error
	if errors.As(err, &fe) {
		status = fe.Code
	}
	if status >= 500 {
		con.log.ErrorContext(c.UserContext(), "console request failed", "path", loggedPath(c), "err", err)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	t := con.text(c)
	var title, msg string
	switch {
	case errors.Is(err, errForbidden):
		title, msg = t.ForbiddenTitle, t.Forbidden
	case errors.Is(err, errCrossSite):
		title, msg = t.CrossSiteTitle, t.CrossSite
	case errors.Is(err, errBadChoice):
		title, msg = t.BadChoiceTitle, t.BadChoice
	case status == fiber.StatusNotFound:
		title, msg = t.NotFoundTitle, t.NotFound
	case status >= 500:
		title, msg = t.ServerErrorTitle, t.ServerError
	default:
		title, msg = http.StatusText(status), ""
		if fe != nil {
			msg = fe.Message
		}
	}
	if rerr := con.render(c, status, title, vc.ErrorPage(t, title, msg)); rerr != nil {
		con.log.ErrorContext(c.UserContext(), "console error page failed", "path", loggedPath(c), "err", rerr)
		return c.Status(status).SendString(title)
	}
	return nil
}
