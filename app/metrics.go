package app

import (
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// MetricsHandler answers Prometheus scrapes on the metrics listener
// (METRICS_ADDR), from loopback asking by a name of this machine
// (localHost), or from METRICS_ALLOW, which may use any name; to anyone
// else, and to a request a proxy relayed, /metrics does not exist.
func (a *App) MetricsHandler() http.Handler {
	scrape := a.metrics.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		peer := netip.Addr{}
		if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
			peer = ap.Addr().Unmap()
		}
		relayed := r.Header.Get(fiber.HeaderXForwardedFor) != ""
		allowed := peer.IsLoopback() && !relayed && a.isLocalHostName(r.Host)
		for _, p := range a.cfg.MetricsAllow {
			allowed = allowed || p.Contains(peer)
		}
		if r.URL.Path != "/metrics" || !allowed {
			http.NotFound(w, r)
			return
		}
		scrape.ServeHTTP(w, r)
	})
}

// isLocal reports a request from this machine itself, not relayed by a
// proxy on it: a loopback peer and no X-Forwarded-For. (In-process test
// requests come from the unspecified address.)
func isLocal(c *fiber.Ctx) bool {
	peer, _ := netip.AddrFromSlice(c.Context().RemoteIP())
	peer = peer.Unmap()
	return (peer.IsLoopback() || peer.IsUnspecified()) && len(c.Request().Header.Peek(fiber.HeaderXForwardedFor)) == 0
}

// localOnly hides a route from everyone but this machine, asking by a name
// of this machine.
func (a *App) localOnly(c *fiber.Ctx) error {
	if !isLocal(c) || !a.localHost(c) {
		return fiber.ErrNotFound
	}
	return c.Next()
}

// localHost reports a Host header that names this machine: localhost, a
// loopback address, or BASE_URL's host. A loopback peer alone is not
// enough: a page on evil.example whose name an attacker re-points at
// 127.0.0.1 (DNS rebinding) makes the browser send the request from here,
// and lets that page read the answer; but the browser still sends its own
// name as Host.
func (a *App) localHost(c *fiber.Ctx) bool { return a.isLocalHostName(string(c.Request().Host())) }

// isLocalHostName reports a Host header that names this machine (localHost).
func (a *App) isLocalHostName(hostport string) bool {
	host := strings.ToLower(strings.TrimSuffix(hostWithoutPort(hostport), "."))
	if host == "localhost" || host == strings.ToLower(a.cfg.BaseURL.Hostname()) {
		return true
	}
	addr, err := netip.ParseAddr(host)
	return err == nil && addr.Unmap().IsLoopback()
}

// hostWithoutPort strips the port from a Host header, and the brackets
// from an IPv6 address.
func hostWithoutPort(hostport string) string {
	if host, _, err := net.SplitHostPort(hostport); err == nil {
		return host
	}
	return strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]")
}
