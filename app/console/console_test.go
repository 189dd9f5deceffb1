package console

import (
	"cmp"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/pquerna/otp/totp"

	"aikagi/app"
	"aikagi/app/config"
	"aikagi/app/secret"
	"aikagi/app/service"
	"aikagi/app/testkit"
	"aikagi/db"
	"aikagi/db/dbtest"
)

const password = "correct horse battery staple"

type testConsole struct {
	*Console
	clock *testkit.Clock
}

func testConfig(t *testing.T, env map[string]string) config.Config {
	t.Helper()
	base := map[string]string{"SECRET_KEY": strings.Repeat("cd", 32)}
	for k, v := range env {
		base[k] = v
	}
	cfg, err := config.Load(func(k string) string { return base[k] }, secret.Random)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// newTestConsole is a console on a fresh database with one support member,
// sato@example.jp, not yet enrolled.
func newTestConsole(t *testing.T, dialect string, env map[string]string) *testConsole {
	t.Helper()
	clk := testkit.NewClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	c := New(service.New(testConfig(t, env), dbtest.Open(t, dialect), slog.New(slog.NewTextHandler(io.Discard, nil)), clk.Now, nil))
	if _, err := c.staff.Create(context.Background(), "sato@example.jp", db.RoleSupport, password, "test"); err != nil {
		t.Fatal(err)
	}
	return &testConsole{Console: c, clock: clk}
}

// browser keeps the console's cookie between requests, like a browser.
type browser struct {
	c      *testConsole
	cookie *http.Cookie
	host   string // the Host the browser asks for; CONSOLE_URL's when empty
}

func (b *browser) do(t *testing.T, method, path string, form url.Values) *http.Response {
	t.Helper()
	return b.doWith(t, method, path, form, nil)
}

// doWith is do with more request headers.
func (b *browser) doWith(t *testing.T, method, path string, form url.Values, headers map[string]string) *http.Response {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	host := cmp.Or(b.host, b.c.cfg.ConsoleURL.Host)
	req := httptest.NewRequest(method, "http://"+host+path, body)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	if b.cookie != nil {
		req.AddCookie(b.cookie)
	}
	res, err := b.c.Handler().Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	for _, ck := range res.Cookies() {
		if ck.Name == b.c.cookie {
			b.cookie = ck
			if ck.MaxAge < 0 {
				b.cookie = nil
			}
		}
	}
	return res
}

func page(t *testing.T, res *http.Response) *goquery.Document {
	t.Helper()
	defer res.Body.Close()
	doc, err := goquery.NewDocumentFromReader(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// enrol logs sato in for the first time, enrolling, and returns the TOTP
// secret and the browser, now signed in.
func enrol(t *testing.T, c *testConsole) (string, *browser) {
	t.Helper()
	b := &browser{c: c}
	res := b.do(t, "POST", "/login", url.Values{"email": {"Sato@example.jp"}, "password": {password}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login/enrol" {
		t.Fatalf("password: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	doc := page(t, b.do(t, "GET", "/login/enrol", nil))
	key := doc.Find("#enrol-secret").Text()
	if src, _ := doc.Find("#enrol-qr").Attr("src"); !strings.HasPrefix(src, "data:image/png;base64,") || key == "" {
		t.Fatalf("enrolment page: qr %.40q, key %q", src, key)
	}
	code, _ := totp.GenerateCode(key, c.clock.Now())
	res = b.do(t, "POST", "/login/enrol", url.Values{"code": {code}})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("confirm: %d", res.StatusCode)
	}
	if n := page(t, res).Find("#recovery-codes li").Length(); n != 10 {
		t.Errorf("%d recovery codes shown, want 10", n)
	}
	return key, b
}

func TestLoginAndEnrolment(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			c := newTestConsole(t, dialect, nil)
			b := &browser{c: c}
			if res := b.do(t, "GET", "/", nil); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
				t.Fatalf("home before login: %d", res.StatusCode)
			}
			res := b.do(t, "POST", "/login", url.Values{"email": {"sato@example.jp"}, "password": {"a wrong password here"}})
			if res.StatusCode != http.StatusUnprocessableEntity || page(t, res).Find("#form-error").Length() != 1 || b.cookie != nil {
				t.Fatalf("wrong password: %d, cookie %v", res.StatusCode, b.cookie)
			}
			key, b := enrol(t, c)
			if res := b.do(t, "GET", "/", nil); res.StatusCode != http.StatusOK {
				t.Fatalf("home after enrolment: %d", res.StatusCode)
			}
			// A later login: password, then the code; a wrong code first.
			c.clock.Advance(time.Minute)
			b2 := &browser{c: c}
			res = b2.do(t, "POST", "/login", url.Values{"email": {"sato@example.jp"}, "password": {password}})
			if res.Header.Get("Location") != "/login/code" {
				t.Fatalf("second login went to %q", res.Header.Get("Location"))
			}
			if res := b2.do(t, "GET", "/", nil); res.StatusCode != http.StatusSeeOther {
				t.Errorf("a password alone reached home: %d", res.StatusCode)
			}
			if res := b2.do(t, "POST", "/login/code", url.Values{"code": {"000000"}}); res.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("wrong TOTP: %d", res.StatusCode)
			}
			code, _ := totp.GenerateCode(key, c.clock.Now())
			if res := b2.do(t, "POST", "/login/code", url.Values{"code": {code}}); res.Header.Get("Location") != "/" {
				t.Fatalf("TOTP: %d %s", res.StatusCode, res.Header.Get("Location"))
			}
			if got := page(t, b2.do(t, "GET", "/", nil)).Find("#staff-email").Text(); !strings.Contains(got, "sato@example.jp") {
				t.Errorf("header shows %q", got)
			}
			// Logging out ends the session on the server, not only the cookie.
			old := *b2.cookie
			b2.do(t, "POST", "/logout", url.Values{})
			b2.cookie = &old
			if res := b2.do(t, "GET", "/", nil); res.StatusCode != http.StatusSeeOther {
				t.Errorf("the session outlived logout: %d", res.StatusCode)
			}
		})
	}
}

// A mistyped first code and a reload show the same key, the one the
// authenticator app holds, grouped in fours, with a copy button and an
// otpauth:// link; its next code enrols. The recovery codes come with a
// copy button, a download, and a box to tick before going on.
func TestEnrolmentForgivesATypo(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			c := newTestConsole(t, dialect, nil)
			b := &browser{c: c}
			b.do(t, "POST", "/login", url.Values{"email": {"sato@example.jp"}, "password": {password}})
			doc := page(t, b.do(t, "GET", "/login/enrol", nil))
			key := doc.Find("#enrol-secret").Text()
			doc.Find("#enrol-secret span").Each(func(i int, g *goquery.Selection) {
				if n := len(g.Text()); n > 4 || n == 0 {
					t.Errorf("key group %d is %q, want four characters or fewer", i, g.Text())
				}
			})
			if link, _ := doc.Find("#enrol-link").Attr("href"); !strings.HasPrefix(link, "otpauth://totp/") || !strings.Contains(link, "secret="+key) {
				t.Errorf("the app link is %q, want otpauth://totp/… with secret=%s", link, key)
			}
			if copied, _ := doc.Find("#copy-secret").Attr("data-copy"); copied != key {
				t.Errorf("the copy button copies %q, want %q", copied, key)
			}
			if doc.Find("#code[autofocus]").Length() != 1 {
				t.Error("the code field is not focused on arrival")
			}

			res := b.do(t, "POST", "/login/enrol", url.Values{"code": {"000000"}})
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("wrong code: %d", res.StatusCode)
			}
			doc = page(t, res)
			if got := doc.Find("#enrol-secret").Text(); got != key || doc.Find("#form-error").Length() != 1 {
				t.Fatalf("after a wrong code the key is %q (was %q), error shown %d", got, key, doc.Find("#form-error").Length())
			}
			if got := page(t, b.do(t, "GET", "/login/enrol", nil)).Find("#enrol-secret").Text(); got != key {
				t.Fatalf("after a reload the key is %q, was %q", got, key)
			}

			code, _ := totp.GenerateCode(key, c.clock.Now())
			res = b.do(t, "POST", "/login/enrol", url.Values{"code": {code}})
			if res.StatusCode != http.StatusOK {
				t.Fatalf("the first key's code: %d", res.StatusCode)
			}
			doc = page(t, res)
			var codes []string
			doc.Find("#recovery-codes li").Each(func(_ int, li *goquery.Selection) { codes = append(codes, li.Text()) })
			if len(codes) != 10 {
				t.Fatalf("%d recovery codes shown", len(codes))
			}
			href, _ := doc.Find("#download-codes").Attr("href")
			file, err := url.PathUnescape(strings.TrimPrefix(href, "data:text/plain;charset=utf-8,"))
			if _, named := doc.Find("#download-codes").Attr("download"); err != nil || !named {
				t.Errorf("download link %q, download attribute %v", href, named)
			}
			copied, _ := doc.Find("#copy-codes").Attr("data-copy")
			for _, code := range codes {
				if !strings.Contains(file, code) || !strings.Contains(copied, code) {
					t.Errorf("code %s missing from the download %q or the copy %q", code, file, copied)
				}
			}
			saved := doc.Find("#codes-saved-form #codes-saved[type=checkbox][required]")
			if saved.Length() != 1 || !strings.Contains(doc.Find("#codes-saved-form").Text(), "保存しました") {
				t.Error("no required 「保存しました」 box before going on")
			}
		})
	}
}

func TestLoginLockout(t *testing.T) {
	c := newTestConsole(t, "sqlite", map[string]string{"LOGIN_LOCKOUT_THRESHOLD": "3"})
	b := &browser{c: c}
	for range 3 {
		b.do(t, "POST", "/login", url.Values{"email": {"sato@example.jp"}, "password": {"a wrong password here"}})
	}
	res := b.do(t, "POST", "/login", url.Values{"email": {"sato@example.jp"}, "password": {password}})
	if res.StatusCode != http.StatusTooManyRequests || b.cookie != nil {
		t.Errorf("locked: %d, cookie %v", res.StatusCode, b.cookie)
	}
}

// A stranger who types "staff:" and a member's email as a login ID into
// the merchants' login pauses that login ID, never the member: eleven
// failures there, and the member still signs in to the console.
func TestMerchantLoginsCannotPauseStaff(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			c := newTestConsole(t, dialect, map[string]string{"LOGIN_FAILURE_MIN_DURATION": "0s"})
			key, _ := enrol(t, c)
			merchant := app.New(c.svc)
			var status int
			for range 11 {
				status, _ = merchantPost(t, merchant, "/login", url.Values{"login_id": {"staff:sato@example.jp"}, "password": {"a wrong password here"}})
			}
			if status != http.StatusTooManyRequests {
				t.Fatalf("the merchants' login after eleven failures: %d, want the pause (429)", status)
			}
			c.clock.Advance(time.Minute)
			b := &browser{c: c}
			res := b.do(t, "POST", "/login", url.Values{"email": {"sato@example.jp"}, "password": {password}})
			if res.Header.Get("Location") != "/login/code" {
				t.Fatalf("password after the merchant failures: %d %s", res.StatusCode, res.Header.Get("Location"))
			}
			code, _ := totp.GenerateCode(key, c.clock.Now())
			if res := b.do(t, "POST", "/login/code", url.Values{"code": {code}}); res.Header.Get("Location") != "/" {
				t.Fatalf("code after the merchant failures: %d %s", res.StatusCode, res.Header.Get("Location"))
			}
		})
	}
}

func TestSessionCookie(t *testing.T) {
	for _, tc := range []struct {
		baseURL, name string
		secure        bool
	}{
		{"http://localhost:8080", "aikagi_staff", false},
		{"https://reset.example.com", "__Host-aikagi_staff", true},
	} {
		t.Run(tc.baseURL, func(t *testing.T) {
			c := newTestConsole(t, "sqlite", map[string]string{"BASE_URL": tc.baseURL})
			b := &browser{c: c}
			res := b.do(t, "POST", "/login", url.Values{"email": {"sato@example.jp"}, "password": {password}})
			raw := res.Header.Get("Set-Cookie")
			ck := b.cookie
			if ck == nil || ck.Name != tc.name || ck.Secure != tc.secure || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode ||
				ck.Domain != "" || ck.Path != "/" || !ck.Expires.IsZero() || ck.MaxAge != 0 {
				t.Errorf("cookie %q", raw)
			}
		})
	}
}

func TestNeverFramed(t *testing.T) {
	c := newTestConsole(t, "sqlite", nil)
	_, b := enrol(t, c)
	for _, path := range []string{"/login", "/", "/login/code", "/nowhere"} {
		res := b.do(t, "GET", path, nil)
		csp := res.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'none'") || res.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: CSP %q, X-Frame-Options %q", path, csp, res.Header.Get("X-Frame-Options"))
		}
		if !strings.Contains(csp, "script-src 'self' 'nonce-") {
			t.Errorf("%s: no nonce in %q", path, csp)
		}
	}
	// Each response has its own nonce, and the page's script carries it.
	r1, r2 := b.do(t, "GET", "/login", nil), b.do(t, "GET", "/login", nil)
	if r1.Header.Get("Content-Security-Policy") == r2.Header.Get("Content-Security-Policy") {
		t.Error("two responses share a nonce")
	}
	nonce, _ := page(t, r1).Find("script").Attr("nonce")
	if nonce == "" || !strings.Contains(r1.Header.Get("Content-Security-Policy"), "'nonce-"+nonce+"'") {
		t.Errorf("script nonce %q does not match the CSP", nonce)
	}
}

func TestCrossSiteRefused(t *testing.T) {
	c := newTestConsole(t, "sqlite", nil)
	for _, h := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site"},
		{"Origin": "https://evil.example"},
	} {
		req := httptest.NewRequest("POST", "http://127.0.0.1:8082/login", strings.NewReader(url.Values{"email": {"sato@example.jp"}, "password": {password}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept-Language", "en")
		for k, v := range h {
			req.Header.Set(k, v)
		}
		res, err := c.Handler().Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != http.StatusForbidden || res.Header.Get("Set-Cookie") != "" {
			t.Errorf("%v: %d", h, res.StatusCode)
		}
		if got := page(t, res).Find("#error-message").Text(); !strings.Contains(got, "another site") {
			t.Errorf("%v: the refusal says %q", h, got)
		}
	}
}

// The console serves none of the merchant app's routes, and the merchant
// app none of the console's.
func TestAppsApart(t *testing.T) {
	c := newTestConsole(t, "sqlite", nil)
	for _, path := range []string{"/password-resetting/regist", "/embed.js", "/metrics", "/healthz"} {
		res, _ := c.Handler().Test(httptest.NewRequest("GET", "http://127.0.0.1:8082"+path, nil), -1)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("console GET %s: %d", path, res.StatusCode)
		}
	}
	merchant := app.New(c.svc)
	for _, path := range []string{"/login/code", "/login/enrol"} {
		res, _ := merchant.Handler().Test(httptest.NewRequest("GET", path, nil), -1)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("merchant app GET %s: %d", path, res.StatusCode)
		}
	}
}

func TestSearch(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			c := newTestConsole(t, dialect, nil)
			ctx := context.Background()
			for _, a := range []db.Account{
				{LoginID: "taro-01", Email: "Taro@Example.jp", StoreName: "山田商店"},
				{LoginID: "zz9", Email: "zz@example.jp", StoreName: "ＡＢＣ書店"},
			} {
				a.Locale, a.PasswordHash = "ja", "x"
				if err := db.CreateAccount(ctx, c.db, &a, c.clock.Now()); err != nil {
					t.Fatal(err)
				}
			}
			_, b := enrol(t, c)
			for _, tc := range []struct {
				name, q string
				htmx    bool
				want    []string
			}{
				{"full-width login ID part, no JavaScript", "ＴＡＲＯ", false, []string{"taro-01"}},
				{"address part, as typed", "EXAMPLE.JP", true, []string{"taro-01", "zz9"}},
				{"half-width store name", "abc書", true, []string{"zz9"}},
				{"store name", "山田", false, []string{"taro-01"}},
				{"like characters are literal", "%", false, nil},
			} {
				t.Run(tc.name, func(t *testing.T) {
					req := httptest.NewRequest("GET", "http://127.0.0.1:8082/search?q="+url.QueryEscape(tc.q), nil)
					req.AddCookie(b.cookie)
					if tc.htmx {
						req.Header.Set("HX-Request", "true")
						req.Header.Set("HX-Target", "results")
					}
					res, err := c.Handler().Test(req, -1)
					if err != nil || res.StatusCode != http.StatusOK {
						t.Fatalf("%v %v", res.StatusCode, err)
					}
					doc := page(t, res)
					if tc.htmx == (doc.Find("#search-form").Length() > 0) {
						t.Errorf("htmx %v, but the page has the form: %v", tc.htmx, !tc.htmx)
					}
					var got []string
					doc.Find("#results tr[data-login-id]").Each(func(_ int, s *goquery.Selection) {
						got = append(got, s.AttrOr("data-login-id", ""))
					})
					if strings.Join(got, ",") != strings.Join(tc.want, ",") {
						t.Errorf("found %v, want %v", got, tc.want)
					}
					if tc.want == nil && doc.Find("#no-results").Length() != 1 {
						t.Error("no 'nothing found'")
					}
				})
			}
		})
	}
}

// The console's requests are counted in the process's one registry, under
// their route pattern marked as the console's.
func TestConsoleRequestsCounted(t *testing.T) {
	t.Parallel()
	c := newTestConsole(t, "sqlite", nil)
	b := &browser{c: c}
	b.do(t, "GET", "/login", nil)
	b.do(t, "GET", "/no-such-page", nil)
	rec := httptest.NewRecorder()
	c.svc.Metrics.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{
		`aikagi_http_requests_total{method="GET",route="console /login",status="200"} 1`,
		`aikagi_http_requests_total{method="GET",route="console unmatched",status="404"} 1`,
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
