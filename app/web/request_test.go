package web

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// serve answers each request with ClientIP and CheckCrossSite's verdicts.
func serve(t *testing.T, trusted []netip.Prefix, req *http.Request) (ip string, status int) {
	t.Helper()
	app := fiber.New()
	cop := http.NewCrossOriginProtection()
	app.All("/", func(c *fiber.Ctx) error {
		if err := CheckCrossSite(c, cop); err != nil {
			return c.SendStatus(fiber.StatusForbidden)
		}
		return c.SendString(ClientIP(c, trusted).String())
	})
	res, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b := make([]byte, 64)
	n, _ := res.Body.Read(b)
	return string(b[:n]), res.StatusCode
}

func TestClientIP(t *testing.T) {
	// app.Test's peer is 0.0.0.0.
	proxy := []netip.Prefix{netip.MustParsePrefix("0.0.0.0/32"), netip.MustParsePrefix("10.0.0.0/8")}
	for _, tc := range []struct {
		name    string
		trusted []netip.Prefix
		xff     []string
		want    string
	}{
		{"no proxy: the peer, whatever the header says", nil, []string{"203.0.113.9"}, "0.0.0.0"},
		{"behind a proxy: the hop it added", proxy, []string{"203.0.113.9"}, "203.0.113.9"},
		{"a forged hop before the real one is ignored", proxy, []string{"198.51.100.1, 203.0.113.9"}, "203.0.113.9"},
		{"trusted hops are skipped", proxy, []string{"203.0.113.9, 10.1.2.3"}, "203.0.113.9"},
		{"every line is read", proxy, []string{"203.0.113.9", "10.1.2.3"}, "203.0.113.9"},
		{"garbage stops at the last good hop", proxy, []string{"nonsense, 10.1.2.3"}, "10.1.2.3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/", nil)
			for _, v := range tc.xff {
				req.Header.Add("X-Forwarded-For", v)
			}
			if got, _ := serve(t, tc.trusted, req); got != tc.want {
				t.Errorf("client %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCheckCrossSite(t *testing.T) {
	for _, tc := range []struct {
		method, site, origin string
		want                 int
	}{
		{"GET", "cross-site", "", fiber.StatusOK},
		{"POST", "same-origin", "", fiber.StatusOK},
		{"POST", "cross-site", "", fiber.StatusForbidden},
		{"POST", "", "https://evil.example", fiber.StatusForbidden},
		{"POST", "", "", fiber.StatusOK}, // no browser signal: not a browser
	} {
		req := httptest.NewRequest(tc.method, "http://example.com/", nil)
		if tc.site != "" {
			req.Header.Set("Sec-Fetch-Site", tc.site)
		}
		if tc.origin != "" {
			req.Header.Set("Origin", tc.origin)
		}
		if _, got := serve(t, nil, req); got != tc.want {
			t.Errorf("%s from %q/%q: %d, want %d", tc.method, tc.site, tc.origin, got, tc.want)
		}
	}
}
