package app

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"aikagi/app/problem"
	"aikagi/app/request"
	"aikagi/views"
)

const (
	localNonce     = "csp-nonce"
	localRequestID = "request-id"
)

// requestLog gives every request an id and logs it when it ends, with any
// reset token in the URL redacted.
func (a *App) requestLog(c *fiber.Ctx) error {
	id := c.Get("X-Request-ID")
	if len(id) < 8 || len(id) > 64 || strings.ContainsFunc(id, func(r rune) bool { return r <= ' ' || r > '~' }) {
		id = randomString(12)
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
	a.observeRequest(c, elapsed)
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
	nonce := randomString(16)
	c.Locals(localNonce, nonce)
	c.Set("Content-Security-Policy", contentSecurityPolicy(nonce, "'none'"))
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "no-referrer")
	c.Set("Cross-Origin-Resource-Policy", "same-origin")
	if a.cfg.HTTPS() {
		c.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	}
}

// allowFraming lets the origins in FRAME_ANCESTORS frame this page (steps
// 1–3 of the request journey only).
func (a *App) allowFraming(c *fiber.Ctx) error {
	a.setFramable(c, a.nonce(c))
	return c.Next()
}

func (a *App) setFramable(c *fiber.Ctx, nonce string) {
	c.Set("Content-Security-Policy", contentSecurityPolicy(nonce, a.framableAncestors))
}

func contentSecurityPolicy(nonce, frameAncestors string) string {
	return "default-src 'none'; script-src 'self' 'nonce-" + nonce + "'; style-src 'self'; img-src 'self' data:; " +
		"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors " + frameAncestors
}

// nonce returns this response's CSP nonce, setting the headers first when
// no middleware ran (Fiber reports oversized bodies before routing); a step
// of the request journey then stays framable, so the help center shows the
// error page rather than a blocked frame.
func (a *App) nonce(c *fiber.Ctx) string {
	if n, ok := c.Locals(localNonce).(string); ok {
		return n
	}
	a.setSecurityHeaders(c)
	nonce := c.Locals(localNonce).(string)
	if framable(c.Path()) {
		a.setFramable(c, nonce)
	}
	return nonce
}

// refuseCrossSite rejects state-changing requests that the browser says come
// from another site (request.CheckCrossSite). It needs no cookie, so it
// works inside the help center's iframe.
func (a *App) refuseCrossSite(c *fiber.Ctx) error {
	if err := request.CheckCrossSite(c, a.crossOrigin()); err != nil {
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

// clientIP is the requester's address (request.ClientIP under
// TRUSTED_PROXIES).
func (a *App) clientIP(c *fiber.Ctx) netip.Addr { return request.ClientIP(c, a.cfg.TrustedProxies) }

// lang is the page language: ?lang= when given, else Accept-Language.
func (a *App) lang(c *fiber.Ctx) views.Lang {
	if l, ok := views.ParseLang(c.Query("lang")); ok {
		return l
	}
	return views.MatchAcceptLanguage(c.Get(fiber.HeaderAcceptLanguage))
}

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}
