package console

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"runtime/debug"

	"github.com/gofiber/fiber/v2"

	"aikagi/app/request"
	"aikagi/app/staff"
	"aikagi/assets"
	"aikagi/db"
	vc "aikagi/views/console"
)

const (
	localNonce   = "csp-nonce"
	localSession = "staff-session"
	localStaff   = "staff"
)

// requestLog logs each request when it ends: the path without its query,
// which may hold what staff searched for (addresses, login IDs).
func (c *Console) requestLog(ctx *fiber.Ctx) error {
	err := ctx.Next()
	if err != nil {
		if herr := c.handleError(ctx, err); herr != nil {
			ctx.Status(fiber.StatusInternalServerError)
		}
	}
	c.log.InfoContext(ctx.UserContext(), "console request", "method", ctx.Method(), "path", loggedPath(ctx),
		"status", ctx.Response().StatusCode(), "ip", c.clientIP(ctx).String())
	return nil
}

// securityHeaders: a fresh CSP nonce per response, never framed (by CSP and
// by X-Frame-Options for older browsers), nothing cached, no referrer.
func (c *Console) securityHeaders(ctx *fiber.Ctx) error {
	nonce := randomString(16)
	ctx.Locals(localNonce, nonce)
	ctx.Set("Content-Security-Policy", "default-src 'none'; script-src 'self' 'nonce-"+nonce+"'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	ctx.Set("X-Frame-Options", "DENY")
	ctx.Set("X-Content-Type-Options", "nosniff")
	ctx.Set("Referrer-Policy", "no-referrer")
	ctx.Set("Cross-Origin-Opener-Policy", "same-origin")
	ctx.Set("Cross-Origin-Resource-Policy", "same-origin")
	ctx.Set(fiber.HeaderCacheControl, "no-store")
	if c.cfg.HTTPS() {
		ctx.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	}
	return ctx.Next()
}

// refuseCrossSite rejects state-changing requests that the browser says
// come from another origin, as the merchant app does
// (request.CheckCrossSite); the SameSite=Strict cookie is a second guard.
func (c *Console) refuseCrossSite(ctx *fiber.Ctx) error {
	if err := request.CheckCrossSite(ctx, c.cop); err != nil {
		return errCrossSite
	}
	return ctx.Next()
}

// session loads the session of the request's cookie, or nils.
func (c *Console) session(ctx *fiber.Ctx) (*db.StaffSession, *db.Staff, error) {
	return c.staff.Session(ctx.UserContext(), ctx.Cookies(c.cookie))
}

// signedIn serves h to a member with a full session; anyone else is sent
// to the login.
func (c *Console) signedIn(h fiber.Handler) fiber.Handler {
	return func(ctx *fiber.Ctx) error {
		sess, member, err := c.session(ctx)
		if err != nil {
			return err
		}
		if sess == nil || sess.Stage != db.StageFull {
			return c.redirect(ctx, "/login")
		}
		ctx.Locals(localSession, sess)
		ctx.Locals(localStaff, member)
		return h(ctx)
	}
}

// pendingOnly serves h between the password and the second factor.
func (c *Console) pendingOnly(h fiber.Handler) fiber.Handler {
	return func(ctx *fiber.Ctx) error {
		sess, member, err := c.session(ctx)
		if err != nil {
			return err
		}
		if sess == nil || sess.Stage != db.StagePending {
			return c.redirect(ctx, "/login")
		}
		ctx.Locals(localSession, sess)
		ctx.Locals(localStaff, member)
		return h(ctx)
	}
}

func current(ctx *fiber.Ctx) (*db.StaffSession, *db.Staff) {
	sess, _ := ctx.Locals(localSession).(*db.StaffSession)
	member, _ := ctx.Locals(localStaff).(*db.Staff)
	return sess, member
}

// redirect sends the browser to path (with HX-Redirect for htmx).
func (c *Console) redirect(ctx *fiber.Ctx, path string) error {
	if ctx.Get("HX-Request") == "true" {
		ctx.Set("HX-Redirect", path)
		return ctx.SendStatus(fiber.StatusNoContent)
	}
	return ctx.Redirect(path, fiber.StatusSeeOther)
}

// setSession gives the browser the session cookie: host-only, HttpOnly,
// SameSite=Strict, Secure (and __Host-) when BASE_URL is https. It has no
// expiry of its own: the server ends it after IdleTimeout.
func (c *Console) setSession(ctx *fiber.Ctx, id string) {
	ctx.Cookie(&fiber.Cookie{Name: c.cookie, Value: id, Path: "/", HTTPOnly: true, Secure: c.cfg.HTTPS(), SameSite: fiber.CookieSameSiteStrictMode})
}

func (c *Console) clearSession(ctx *fiber.Ctx) {
	ctx.Cookie(&fiber.Cookie{Name: c.cookie, Value: "", Path: "/", MaxAge: -1, HTTPOnly: true, Secure: c.cfg.HTTPS(), SameSite: fiber.CookieSameSiteStrictMode})
}

// client is the audit trail's view of the requester.
func (c *Console) client(ctx *fiber.Ctx) staff.Client {
	return staff.Client{IP: c.clientIP(ctx).String(), UserAgent: ctx.Get(fiber.HeaderUserAgent)}
}

// clientIP is the requester's address, by the merchant app's rule
// (request.ClientIP under TRUSTED_PROXIES).
func (c *Console) clientIP(ctx *fiber.Ctx) netip.Addr {
	return request.ClientIP(ctx, c.cfg.TrustedProxies)
}

// serveAsset serves the CSS and htmx under their content-hashed names.
func (c *Console) serveAsset(ctx *fiber.Ctx) error {
	asset, ok := assets.Lookup(ctx.Params("name"))
	if !ok {
		return fiber.ErrNotFound
	}
	ctx.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	ctx.Set(fiber.HeaderContentType, asset.ContentType)
	return ctx.Send(asset.Body)
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
func (c *Console) handleError(ctx *fiber.Ctx, err error) error {
	status := fiber.StatusInternalServerError
	var fe *fiber.Error
	if errors.As(err, &fe) {
		status = fe.Code
	}
	if status >= 500 {
		c.log.ErrorContext(ctx.UserContext(), "console request failed", "path", loggedPath(ctx), "err", err)
	}
	ctx.Set(fiber.HeaderCacheControl, "no-store")
	t := c.text(ctx)
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
	if rerr := c.render(ctx, status, title, vc.ErrorPage(t, title, msg)); rerr != nil {
		c.log.ErrorContext(ctx.UserContext(), "console error page failed", "path", loggedPath(ctx), "err", rerr)
		return ctx.Status(status).SendString(title)
	}
	return nil
}

func (c *Console) recoverPanic(ctx *fiber.Ctx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return ctx.Next()
}

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
