package app

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"aikagi/views"
)

// TestLanguage checks how the page language is chosen and that the choice
// survives every step.
func TestLanguage(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	cases := []struct {
		name, query, acceptLanguage string
		want                        views.Lang
	}{
		{"default", "", "", views.Ja},
		{"?lang=en", "?lang=en", "", views.En},
		{"?lang=ja beats Accept-Language", "?lang=ja", "en-US,en", views.Ja},
		{"Accept-Language en-US", "", "en-US,en;q=0.9", views.En},
		{"Accept-Language fr", "", "fr-FR,fr;q=0.9", views.Ja},
		{"Accept-Language fr then en", "", "fr, en;q=0.5", views.En},
		{"Accept-Language ja", "", "ja-JP", views.Ja},
		{"unknown ?lang falls back to Accept-Language", "?lang=de", "en", views.En},
		{"garbage Accept-Language", "", ";;;", views.Ja},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := get(t, a, "/password-resetting/regist"+tc.query, withHeader("Accept-Language", tc.acceptLanguage))
			assertFullPage(t, res, string(tc.want), views.T(tc.want).RequestTitle)
		})
	}

	// The journey in English with ?lang=en only in the first URL.
	doc := get(t, a, "/password-resetting/regist?lang=en").Doc(t)
	action, _ := doc.Find("#flow form").Attr("action")
	hxPost, _ := doc.Find("#flow form").Attr("hx-post")
	if action != "/password-resetting/confirm?lang=en" || hxPost != action {
		t.Fatalf("step 1 form action %q, hx-post %q; want both with ?lang=en", action, hxPost)
	}
	res := postForm(t, a, action, url.Values{"login_id": {"taro01"}, "email": {"taro@example.jp"}})
	assertFullPage(t, res, "en", "Check your details")
	doc = res.Doc(t)
	action, _ = doc.Find("#flow form").Attr("action")
	if action != "/password-resetting/send?lang=en" {
		t.Fatalf("step 2 form action = %q", action)
	}
	edit := doc.Find(`#flow button[formaction]`)
	if got, _ := edit.Attr("formaction"); got != "/password-resetting/regist?lang=en" {
		t.Errorf("修正する formaction = %q", got)
	}
	state, _ := doc.Find("input[name=state]").Attr("value")
	assertFullPage(t, postForm(t, a, action, url.Values{"state": {state}}), "en", "Email sent")
	assertFullPage(t, postForm(t, a, "/password-resetting/regist?lang=en", url.Values{"state": {state}}), "en", "Request a password reset")
}

// TestCrossSiteRequestsRefused checks the CSRF defence: POSTs that the
// browser marks as coming from another site are refused, without cookies.
func TestCrossSiteRequestsRefused(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	newAccount(t, a, "taro01", "taro@example.jp", "ja")
	state := confirmState(t, a, "taro01", "taro@example.jp")
	cases := []struct {
		name          string
		secFetchSite  string
		origin        string
		wantForbidden bool
	}{
		{"Sec-Fetch-Site cross-site", "cross-site", "", true},
		{"Sec-Fetch-Site same-site", "same-site", "https://help.example.test", true},
		{"Origin of another site, old browser", "", "https://evil.example", true},
		{"Sec-Fetch-Site same-origin", "same-origin", "", false},
		{"Sec-Fetch-Site none (typed or bookmarked)", "none", "", false},
		{"Origin is BASE_URL behind a proxy", "", "https://reset.example.test", false},
		{"no browser headers (curl)", "", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/password-resetting/send", strings.NewReader(url.Values{"state": {state}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tc.secFetchSite != "" {
				req.Header.Set("Sec-Fetch-Site", tc.secFetchSite)
			}
			if tc.origin != "" {
				req.Header.Set("Origin", tc.origin)
			}
			before := rowCounts(t, a.db)
			res := send(t, a, req)
			after := rowCounts(t, a.db)
			if tc.wantForbidden {
				assertProblemPage(t, res, http.StatusForbidden, "ja", "別のサイトからの送信は受け付けていません。このページのフォームから送信してください。")
				if !reflect.DeepEqual(before, after) {
					t.Errorf("a refused request wrote rows: %v → %v", before, after)
				}
			} else if res.Status != http.StatusOK {
				t.Errorf("status = %d, want 200\n%s", res.Status, describe(res.Body))
			}
		})
	}
	t.Run("GET from another site", func(t *testing.T) {
		res := get(t, a, "/password-resetting/regist", withHeader("Sec-Fetch-Site", "cross-site"), withHeader("Origin", "https://evil.example"))
		if res.Status != http.StatusOK {
			t.Errorf("status = %d, want 200: links from other sites (the help center) must work", res.Status)
		}
	})
}

// TestSecurityHeaders checks the CSP nonce, framing and the other headers.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	a := newTestAppEnv(t, "sqlite", map[string]string{"FRAME_ANCESTORS": "https://help.example.com, https://support.example.org"})
	state := confirmState(t, a, "taro01", "taro@example.jp")
	framed := "'self' https://help.example.com https://support.example.org"
	cases := []struct {
		name           string
		do             func(t *testing.T) *response
		frameAncestors string
	}{
		{"step 1", func(t *testing.T) *response { return get(t, a, "/password-resetting/regist") }, framed},
		{"step 2", func(t *testing.T) *response {
			return postForm(t, a, "/password-resetting/confirm", url.Values{"login_id": {"taro01"}, "email": {"taro@example.jp"}})
		}, framed},
		{"step 2 with errors", func(t *testing.T) *response {
			return postForm(t, a, "/password-resetting/confirm", url.Values{"login_id": {""}, "email": {""}})
		}, framed},
		{"修正する", func(t *testing.T) *response {
			return postForm(t, a, "/password-resetting/regist", url.Values{"state": {state}})
		}, framed},
		{"step 3", func(t *testing.T) *response {
			return postForm(t, a, "/password-resetting/send", url.Values{"state": {state}})
		}, framed},
		{"development mailbox", func(t *testing.T) *response { return get(t, a, "/_dev/mail", onLocalhost) }, "'none'"},
		{"404", func(t *testing.T) *response { return get(t, a, "/nope") }, "'none'"},
		{"405", func(t *testing.T) *response {
			return send(t, a, httptest.NewRequest(http.MethodPut, "/password-resetting/confirm", nil))
		}, "'none'"},
		{"cross-site 403", func(t *testing.T) *response {
			return postForm(t, a, "/password-resetting/confirm", url.Values{}, withHeader("Sec-Fetch-Site", "cross-site"))
		}, "'none'"},
	}
	seen := map[string]bool{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.do(t)
			csp := res.Header.Get("Content-Security-Policy")
			if csp == "" {
				t.Fatal("no Content-Security-Policy")
			}
			if got := cspDirective(csp, "frame-ancestors"); got != tc.frameAncestors {
				t.Errorf("frame-ancestors = %q, want %q", got, tc.frameAncestors)
			}
			for directive, want := range map[string]string{"default-src": "'none'", "base-uri": "'none'", "form-action": "'self'"} {
				if got := cspDirective(csp, directive); got != want {
					t.Errorf("%s = %q, want %q", directive, got, want)
				}
			}
			nonce := cspNonce(t, csp)
			if len(nonce) < 16 {
				t.Errorf("nonce %q is short", nonce)
			}
			if seen[nonce] {
				t.Errorf("nonce %q was used before", nonce)
			}
			seen[nonce] = true
			if got := cspDirective(csp, "script-src"); strings.Contains(got, "unsafe-inline") || strings.Contains(got, "http") {
				t.Errorf("script-src = %q allows inline or third-party scripts", got)
			}
			scripts := res.Doc(t).Find("script")
			if scripts.Length() == 0 {
				t.Error("page has no script tags; expected htmx")
			}
			scripts.Each(func(i int, s *goquery.Selection) {
				if got, _ := s.Attr("nonce"); got != nonce {
					t.Errorf("script %d nonce = %q, want the CSP's %q", i, got, nonce)
				}
			})
			for name, want := range map[string]string{
				"X-Content-Type-Options":    "nosniff",
				"Referrer-Policy":           "no-referrer",
				"Strict-Transport-Security": "max-age=63072000; includeSubDomains",
			} {
				if got := res.Header.Get(name); got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
		})
	}

	t.Run("no HSTS over plain HTTP", func(t *testing.T) {
		plain := newTestAppEnv(t, "sqlite", map[string]string{"BASE_URL": "http://localhost:8080"})
		res := get(t, plain, "/password-resetting/regist")
		if got := res.Header.Get("Strict-Transport-Security"); got != "" {
			t.Errorf("HSTS = %q over http", got)
		}
		if got := cspDirective(res.Header.Get("Content-Security-Policy"), "frame-ancestors"); got != "'self'" {
			t.Errorf("frame-ancestors without FRAME_ANCESTORS = %q, want 'self'", got)
		}
	})
}
