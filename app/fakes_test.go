package app

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"aikagi/app/route"
	"aikagi/app/testkit"
)

// fakeBrowser keeps cookies between requests, which Fiber's app.Test does
// not: what the app sets comes back on the next request, what it deletes
// (empty value or an expiry before the app's clock) goes away.
type fakeBrowser struct {
	a   *App
	jar map[string]string
}

func newFakeBrowser(a *App) *fakeBrowser {
	return &fakeBrowser{a: a, jar: map[string]string{}}
}

// do sends req with the jar's cookies and keeps the ones the response sets.
func (b *fakeBrowser) do(t testing.TB, req *http.Request, opts ...reqOption) *response {
	t.Helper()
	for name, value := range b.jar {
		req.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	res := send(t, b.a, req, opts...)
	for _, c := range setCookies(res) {
		if c.Value == "" || c.MaxAge < 0 || (!c.Expires.IsZero() && !c.Expires.After(b.a.now())) {
			delete(b.jar, c.Name)
			continue
		}
		b.jar[c.Name] = c.Value
	}
	return res
}

func (b *fakeBrowser) get(t testing.TB, target string, opts ...reqOption) *response {
	t.Helper()
	return b.do(t, httptest.NewRequest(http.MethodGet, target, nil), opts...)
}

// post sends form as a browser would from the app's own page.
func (b *fakeBrowser) post(t testing.TB, target string, form url.Values, opts ...reqOption) *response {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return b.do(t, req, opts...)
}

// follow GETs the Location of a redirect, as a browser does after a 303.
func (b *fakeBrowser) follow(t testing.TB, res *response) *response {
	t.Helper()
	loc := res.Header.Get("Location")
	if res.Status != http.StatusSeeOther || loc == "" {
		t.Fatalf("want a 303 redirect, got status %d, Location %q\n%s", res.Status, loc, describe(res.Body))
	}
	return b.get(t, loc)
}

// setNewPassword submits the new-password form from b and checks that it
// redirects to the done page.
func (b *fakeBrowser) setNewPassword(t testing.TB, target, password string) *response {
	t.Helper()
	res := b.post(t, target, url.Values{"password": {password}, "password_confirm": {password}})
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), route.ResetDone+"?") {
		t.Fatalf("set new password: status %d, Location %q; want 303 to the done page\n%s", res.Status, res.Header.Get("Location"), describe(res.Body))
	}
	return res
}

// setCookies parses the Set-Cookie headers of res.
func setCookies(res *response) []*http.Cookie {
	return (&http.Response{Header: res.Header}).Cookies()
}

// setCookie returns the Set-Cookie of res named name, or nil.
func setCookie(res *response, name string) *http.Cookie {
	for _, c := range setCookies(res) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// The shared test kit (app/testkit): a clock whose sleeps pass at once.
type fakeClock = testkit.Clock

var newFakeClock = testkit.NewClock
