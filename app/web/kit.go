package web

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/netip"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"aikagi/app/metrics"
	"aikagi/assets"
)

// localNonce is where a response's CSP nonce is kept in the request's
// locals.
const localNonce = "csp-nonce"

// NewNonce is a fresh CSP nonce: 128 random bits.
func NewNonce() string { return randomString(16) }

// NewRequestID names a request in the log: 96 random bits.
func NewRequestID() string { return randomString(12) }

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// Nonce is the CSP nonce SetSecurityHeaders gave this response, if any.
func Nonce(c *fiber.Ctx) (string, bool) {
	n, ok := c.Locals(localNonce).(string)
	return n, ok
}

// ContentSecurityPolicy allows only this origin's scripts, styles and
// images, inline scripts only with nonce, and framing only by
// frameAncestors ('none', or the sources that may frame the page).
func ContentSecurityPolicy(nonce, frameAncestors string) string {
	return "default-src 'none'; script-src 'self' 'nonce-" + nonce + "'; style-src 'self'; img-src 'self' data:; " +
		"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors " + frameAncestors
}

// SetSecurityHeaders gives the response a fresh nonce and the headers every
// page of both front ends carries: the CSP (never framed: a page that may
// be framed sets its own frame-ancestors afterwards), no sniffing, no
// referrer, same-origin resources, and HSTS when served over HTTPS. It
// returns the nonce.
func SetSecurityHeaders(c *fiber.Ctx, https bool) string {
	nonce := NewNonce()
	c.Locals(localNonce, nonce)
	c.Set("Content-Security-Policy", ContentSecurityPolicy(nonce, "'none'"))
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "no-referrer")
	c.Set("Cross-Origin-Resource-Policy", "same-origin")
	if https {
		c.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	}
	return nonce
}

// RecoverPanic turns a panic in a handler into an error, which the error
// handler logs and answers with a 500 page, instead of a dead process.
func RecoverPanic(c *fiber.Ctx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return c.Next()
}

// IsHTMX reports whether the request is an htmx swap that wants the
// fragment alone: an htmx request that is not boosted. Anything else gets
// the whole page.
func IsHTMX(c *fiber.Ctx) bool {
	return c.Get("HX-Request") == "true" && c.Get("HX-Boosted") != "true"
}

// SendPage answers with an HTML page or fragment (SetPageHeaders).
func SendPage(c *fiber.Ctx, status int, body []byte) error {
	SetPageHeaders(c, status)
	return c.Send(body)
}

// SetPageHeaders readies the answer of an HTML page or fragment: never
// cached, and Vary says that htmx requests get another body.
func SetPageHeaders(c *fiber.Ctx, status int) {
	c.Vary("HX-Request")
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Status(status)
}

// ServeAsset serves an embedded file by its content-hashed name, in the
// encoding the client accepts (compressed once, ahead); the name changes
// with the content, so it may be cached for a year.
func ServeAsset(c *fiber.Ctx) error {
	asset, ok := assets.Lookup(c.Params("name"))
	if !ok {
		return fiber.ErrNotFound
	}
	body, encoding := asset.Encoded(c.Get(fiber.HeaderAcceptEncoding))
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	c.Set(fiber.HeaderContentType, asset.ContentType)
	c.Vary(fiber.HeaderAcceptEncoding)
	if encoding != "" {
		c.Set(fiber.HeaderContentEncoding, encoding)
	}
	return c.Send(body)
}

// FiberConfig is the Fiber settings of both front ends: name, the largest
// body accepted, the error handler that answers every failure, and the
// proxies (TRUSTED_PROXIES) whose X-Forwarded-* headers Fiber may believe;
// no other peer's are, whatever asks Fiber for a host or a scheme.
func FiberConfig(name string, bodyLimit int, errorHandler fiber.ErrorHandler, trusted []netip.Prefix) fiber.Config {
	proxies := make([]string, len(trusted))
	for i, p := range trusted {
		proxies[i] = p.String()
	}
	return fiber.Config{
		EnableTrustedProxyCheck: true,
		TrustedProxies:          proxies,
		AppName:                 name,
		BodyLimit:               bodyLimit,
		ReadTimeout:             15 * time.Second,
		WriteTimeout:            15 * time.Second,
		IdleTimeout:             60 * time.Second,
		ErrorHandler:            errorHandler,
		DisableStartupMessage:   true,
		CaseSensitive:           true,
		// No form of ours is multipart: the handlers refuse it.
		DisablePreParseMultipartForm: true,
	}
}

// ObserveRequest counts a request of a front end under its route pattern
// (prefix names the front end: "" for the merchant app, "console " for the
// console), with its method, status and time.
func ObserveRequest(m *metrics.Metrics, c *fiber.Ctx, prefix string, elapsed time.Duration) {
	// Fiber's strings point into buffers it reuses; labels are kept, so copy.
	route := prefix + "unmatched"
	if r := c.Route(); r != nil && c.Response().StatusCode() != fiber.StatusNotFound {
		route = prefix + strings.Clone(r.Path)
	}
	method := strings.Clone(c.Method())
	m.Requests.WithLabelValues(route, method, strconv.Itoa(c.Response().StatusCode())).Inc()
	m.Latency.WithLabelValues(route, method).Observe(elapsed.Seconds())
}
