// Package web is the kit both web front ends, the merchant app and the
// support console, share: what they judge alike about a request (who sent
// it, through which proxies, whether the browser says it came from another
// site), the security headers and their CSP nonce, panic recovery, the
// htmx check, writing a page, serving the assets and the Fiber settings.
package web

import (
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// ClientIP is the peer address, or, when the peer is one of the trusted
// proxies, the nearest X-Forwarded-For hop that no trusted proxy added.
func ClientIP(c *fiber.Ctx, trusted []netip.Prefix) netip.Addr {
	peer, _ := netip.AddrFromSlice(c.Context().RemoteIP())
	peer = peer.Unmap()
	if !isTrusted(trusted, peer) {
		return peer
	}
	// A proxy may add its own X-Forwarded-For line rather than extend the
	// client's, so read every line, in order.
	var lines []string
	for _, v := range c.Request().Header.PeekAll(fiber.HeaderXForwardedFor) {
		lines = append(lines, string(v))
	}
	hops := strings.Split(strings.Join(lines, ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		addr, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return peer
		}
		addr = addr.Unmap()
		if !isTrusted(trusted, addr) {
			return addr
		}
		peer = addr
	}
	return peer
}

func isTrusted(trusted []netip.Prefix, addr netip.Addr) bool {
	for _, p := range trusted {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// CheckCrossSite refuses, with cop's error, a state-changing request that
// the browser says comes from another origin (net/http's
// CrossOriginProtection, read from Sec-Fetch-Site and Origin). Safe
// methods change nothing and always pass. It needs no cookie, so it works
// inside a cross-site iframe.
func CheckCrossSite(c *fiber.Ctx, cop *http.CrossOriginProtection) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return nil
	}
	r := &http.Request{
		Method: c.Method(),
		Host:   string(c.Request().Host()),
		Header: http.Header{},
		URL:    &url.URL{Path: c.Path()},
	}
	for _, h := range []string{"Sec-Fetch-Site", "Origin"} {
		if v := c.Get(h); v != "" {
			r.Header.Set(h, v)
		}
	}
	return cop.Check(r)
}
