package app

import (
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"aikagi/app/problem"
	"aikagi/app/web"
	"aikagi/views"
)

const (
	localRequestID = "request-id"
)

// requestLog gives every request an id and logs it when it ends, with any
// reset token in the URL redacted.
func (a *App) requestLog(c *fiber.Ctx) error {
	id := c.Get("X-Request-ID")
	if len(id) < 8 || len(id) > 64 || strings.ContainsFunc(id, func(r rune) bool { return r <= ' ' || r > '~' }) {
		id = web.NewRequestID()
	}
	c.Locals(localRequestID, id)
	c.Set("X-Request-ID", id)
	start := time.Now()
	err := c.Next()
	if err != nil {
		// Let the error handler write the response now, so the log line
		// carries its status.
		if herr := a.handleError(c, err); herr != nil {
			c.Status(fiber.StatusInternalServerError)
		}
	}
	elapsed := time.Since(start)
	web.ObserveRequest(a.metrics, c, "", elapsed)
	a.log.InfoContext(c.UserContext(), "request",
		"request_id", id,
		"method", c.Method(),
		"path", redactURL(string(c.Request().URI().RequestURI())),
		"status", c.Response().StatusCode(),
		"duration_ms", float64(elapsed.Microseconds())/1000,
		"ip", a.clientIP(c).String(),
		"htmx", c.Get("HX-Request") == "true",
	)
	return nil
}

// redactURL hides reset tokens, whether in the query or the path.
func redactURL(uri string) string {
	if !strings.Contains(uri, "token") && !strings.HasPrefix(uri, "/password-resetting/reset/") {
		return uri // nothing to hide; the common case, kept cheap
	}
	u, err := url.ParseRequestURI(uri)
	if err != nil {
		return "(unparsable)"
	}
	if strings.HasPrefix(u.Path, "/password-resetting/reset/") {
		u.Path = "/password-resetting/reset/REDACTED"
	}
	if q := u.Query(); q.Has("token") {
		q.Set("token", "REDACTED")
		u.RawQuery = q.Encode()
	}
	return u.RequestURI()
}

// securityHeaders sets the headers every response carries. Pages are never
// framed unless the route adds allowFraming.
func (a *App) securityHeaders(c *fiber.Ctx) error {
	a.setSecurityHeaders(c)
	return c.Next()
}

func (a *App) setSecurityHeaders(c *fiber.Ctx) {
	web.SetSecurityHeaders(c, a.cfg.HTTPS())
}

// allowFraming lets the origins in FRAME_ANCESTORS frame this page (steps
// 1–3 of the request journey only).
func (a *App) allowFraming(c *fiber.Ctx) error {
	a.setFramable(c, a.nonce(c))
	return c.Next()
}

func (a *App) setFramable(c *fiber.Ctx, nonce string) {
	c.Set("Content-Security-Policy", web.ContentSecurityPolicy(nonce, a.framableAncestors))
}

// nonce returns this response's CSP nonce, setting the headers first when
// no middleware ran (Fiber reports oversized bodies before routing); a step
// of the request journey then stays framable, so the help center shows the
// error page rather than a blocked frame.
func (a *App) nonce(c *fiber.Ctx) string {
	if n, ok := web.Nonce(c); ok {
		return n
	}
	nonce := web.SetSecurityHeaders(c, a.cfg.HTTPS())
	if framable(c.Path()) {
		a.setFramable(c, nonce)
	}
	return nonce
}

// refuseCrossSite rejects state-changing requests that the browser says come
// from another site (web.CheckCrossSite). It needs no cookie, so it
// works inside the help center's iframe.
func (a *App) refuseCrossSite(c *fiber.Ctx) error {
	if err := web.CheckCrossSite(c, a.crossOrigin()); err != nil {
		return refuse(fiber.StatusForbidden, problem.CrossSite, err)
	}
	return c.Next()
}

func (a *App) crossOrigin() *http.CrossOriginProtection {
	a.copOnce.Do(func() {
		a.cop = http.NewCrossOriginProtection()
		// Behind a proxy the Host header may not be the public one.
		_ = a.cop.AddTrustedOrigin(a.cfg.Origin())
	})
	return a.cop
}

// clientIP is the requester's address (web.ClientIP under
// TRUSTED_PROXIES).
func (a *App) clientIP(c *fiber.Ctx) netip.Addr { return web.ClientIP(c, a.cfg.TrustedProxies) }

// lang is the page language: ?lang= when given, else Accept-Language.
func (a *App) lang(c *fiber.Ctx) views.Lang {
	if l, ok := views.ParseLang(c.Query("lang")); ok {
		return l
	}
	return views.MatchAcceptLanguage(c.Get(fiber.HeaderAcceptLanguage))
}
