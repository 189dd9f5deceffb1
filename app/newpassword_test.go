package app

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"aikagi/app/mail"
	"aikagi/app/problem"
	"aikagi/app/route"
	"aikagi/app/secret"
	"aikagi/db"
	"aikagi/views"
)

const (
	goodPassword  = "kumo no ue no sora 2026"
	resetFormPath = "/password-resetting/reset?lang=ja&opened=1"
)

// openedBrowser is a browser that has opened the link for token: it holds
// the reset cookie.
func openedBrowser(t testing.TB, a *App, token string) *fakeBrowser {
	t.Helper()
	b := newFakeBrowser(a)
	res := b.get(t, resetLink(token, ""))
	if res.Status != http.StatusSeeOther {
		t.Fatalf("open link: status %d, want 303\n%s", res.Status, describe(res.Body))
	}
	if len(b.jar) != 1 {
		t.Fatalf("open link: cookies %v, want the reset cookie", b.jar)
	}
	return b
}

// TestConcurrentSubmissionsUseTheLinkOnce sends one valid link 50 times at
// once: exactly one submission changes the password, the others are told
// the link is used, and one notice is queued.
func TestConcurrentSubmissionsUseTheLinkOnce(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		const n = 50
		ctx := context.Background()
		a := newTestApp(t, dialect)
		acct := newAccount(t, a, "race01", "race01@example.jp", "ja")
		token := issueToken(t, a, acct)
		body := url.Values{"password": {goodPassword}, "password_confirm": {goodPassword}}.Encode()

		type result struct {
			status   int
			location string
			body     string
			err      error
		}
		results := make([]result, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req := httptest.NewRequest(http.MethodPost, "/password-resetting/reset?lang=ja", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Sec-Fetch-Site", "same-origin")
				req.AddCookie(&http.Cookie{Name: "__Host-aikagi_reset", Value: token})
				<-start
				res, err := a.Handler().Test(req, -1)
				if err != nil {
					results[i].err = err
					return
				}
				defer res.Body.Close()
				b, err := io.ReadAll(res.Body)
				results[i] = result{status: res.StatusCode, location: res.Header.Get("Location"), body: string(b), err: err}
			}()
		}
		close(start)
		wg.Wait()

		statuses := map[int]int{}
		for i, r := range results {
			if r.err != nil {
				t.Fatalf("submission %d: %v", i, r.err)
			}
			statuses[r.status]++
			switch r.status {
			case http.StatusSeeOther:
				if !strings.HasPrefix(r.location, route.ResetDone+"?") {
					t.Errorf("submission %d: 303 to %q, not the done page", i, r.location)
				}
			case http.StatusGone:
				if !strings.Contains(r.body, views.T(views.Ja).Problem(problem.LinkUsed)) {
					t.Errorf("submission %d: 410 without the link-used message", i)
				}
			}
		}
		if statuses[http.StatusSeeOther] != 1 || statuses[http.StatusGone] != n-1 {
			t.Errorf("statuses = %v, want one 303 and %d 410", statuses, n-1)
		}
		if got := countWhere(t, a, "audit_events", "kind", db.AuditPasswordChanged); got != 1 {
			t.Errorf("password_changed events = %d, want 1", got)
		}
		if got := countWhere(t, a, "outbox", "kind", string(mail.KindPasswordChanged)); got != 1 {
			t.Errorf("notice mails queued = %d, want 1", got)
		}
		ok, _, err := a.hasher.Verify(ctx, storedHash(t, a, acct.ID), goodPassword)
		if err != nil || !ok {
			t.Errorf("the new password does not verify: %v, %v", ok, err)
		}
	})
}

// TestRevealWithoutJavaScript checks the show/hide button of a page without
// scripts: it shows the typed values as text, hides them again, and changes
// nothing.
func TestRevealWithoutJavaScript(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	acct := newAccount(t, a, "reveal01", "reveal01@example.jp", "ja")
	token := issueToken(t, a, acct)
	b := openedBrowser(t, a, token)
	before := rowCounts(t, a.db)
	ja := views.T(views.Ja)

	res := b.post(t, resetFormPath, url.Values{"password": {"my typed words"}, "password_confirm": {"my typed wordz"}, "reveal": {"1"}})
	if res.Status != http.StatusOK {
		t.Fatalf("reveal=1: status %d\n%s", res.Status, describe(res.Body))
	}
	assertTokenPageHeaders(t, res)
	doc := res.Doc(t)
	for id, want := range map[string]string{"password": "my typed words", "password_confirm": "my typed wordz"} {
		in := doc.Find("input#" + id)
		if typ, _ := in.Attr("type"); typ != "text" {
			t.Errorf("reveal=1: %s type = %q, want text", id, typ)
		}
		if v, _ := in.Attr("value"); v != want {
			t.Errorf("reveal=1: %s value = %q, want %q", id, v, want)
		}
		if ac, _ := in.Attr("autocomplete"); ac != "new-password" {
			t.Errorf("reveal=1: %s autocomplete = %q", id, ac)
		}
	}
	toggle := doc.Find(`button[name="reveal"]`)
	if v, _ := toggle.Attr("value"); v != "0" {
		t.Errorf("reveal=1: toggle value = %q, want 0", v)
	}
	if got := strings.TrimSpace(toggle.Text()); got != ja.HidePassword {
		t.Errorf("reveal=1: toggle label = %q, want %q", got, ja.HidePassword)
	}
	if doc.Find("#error-summary").Length() != 0 {
		t.Error("reveal=1 checked the password; it should only show it")
	}

	res = b.post(t, resetFormPath, url.Values{"password": {"my typed words"}, "password_confirm": {"my typed wordz"}, "reveal": {"0"}})
	if res.Status != http.StatusOK {
		t.Fatalf("reveal=0: status %d", res.Status)
	}
	doc = res.Doc(t)
	for _, id := range []string{"password", "password_confirm"} {
		in := doc.Find("input#" + id)
		if typ, _ := in.Attr("type"); typ != "password" {
			t.Errorf("reveal=0: %s type = %q, want password", id, typ)
		}
		if v, _ := in.Attr("value"); v != map[string]string{"password": "my typed words", "password_confirm": "my typed wordz"}[id] {
			t.Errorf("reveal=0: %s value = %q, want what was typed, hidden", id, v)
		}
	}
	if v, _ := doc.Find(`button[name="reveal"]`).Attr("value"); v != "1" {
		t.Errorf("reveal=0: toggle value = %q, want 1", v)
	}

	// Even a good, matching password is not applied by the toggle.
	res = b.post(t, resetFormPath, url.Values{"password": {goodPassword}, "password_confirm": {goodPassword}, "reveal": {"1"}})
	if res.Status != http.StatusOK || res.Doc(t).Find("input#password[type=text]").Length() != 1 {
		t.Fatalf("reveal=1 with a good password: status %d", res.Status)
	}
	if st := tokenState(t, a, token); st != db.TokenValid {
		t.Errorf("token state after reveal = %v, want valid", st)
	}
	if got := storedHash(t, a, acct.ID); got != acct.PasswordHash {
		t.Error("reveal changed the password")
	}
	if after := rowCounts(t, a.db); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("reveal wrote rows: before %v, after %v", before, after)
	}
	if _, ok := b.jar["__Host-aikagi_reset"]; !ok {
		t.Error("reveal cleared the reset cookie")
	}
}

// TestRefusedLinks checks the page for every link that cannot be used:
// status, message and the way back to step 1, whether the link is opened
// or the form submitted.
func TestRefusedLinks(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		ja := views.T(views.Ja)
		cases := []struct {
			name   string
			token  func(t *testing.T, a *App) string
			status int
			prob   problem.Problem
		}{
			{"expired", func(t *testing.T, a *App) string {
				tok := issueToken(t, a, newAccount(t, a, "expired01", "expired01@example.jp", "ja"))
				advanceClock(a, a.cfg.TokenTTL+time.Second)
				return tok
			}, http.StatusGone, problem.LinkExpired},
			{"expired at the second", func(t *testing.T, a *App) string {
				tok := issueToken(t, a, newAccount(t, a, "expired02", "expired02@example.jp", "ja"))
				advanceClock(a, a.cfg.TokenTTL)
				return tok
			}, http.StatusGone, problem.LinkExpired},
			{"used", func(t *testing.T, a *App) string {
				tok := issueToken(t, a, newAccount(t, a, "used01", "used01@example.jp", "ja"))
				b := openedBrowser(t, a, tok)
				b.setNewPassword(t, resetFormPath, goodPassword)
				return tok
			}, http.StatusGone, problem.LinkUsed},
			{"revoked by a newer request", func(t *testing.T, a *App) string {
				acct := newAccount(t, a, "revoked01", "revoked01@example.jp", "ja")
				requestResetFlow(t, a, acct.LoginID, acct.Email)
				older := linkToken(t, mailedResetLink(t, a))
				advanceClock(a, time.Minute)
				requestResetFlow(t, a, acct.LoginID, acct.Email)
				newer := linkToken(t, mailedResetLink(t, a))
				if older == newer || tokenState(t, a, newer) != db.TokenValid {
					t.Fatal("the newer request did not give a new valid link")
				}
				return older
			}, http.StatusGone, problem.LinkRevoked},
			{"unknown token of the right shape", func(t *testing.T, a *App) string {
				tok, _ := secret.NewToken()
				return tok
			}, http.StatusNotFound, problem.LinkInvalid},
			{"random string", func(*testing.T, *App) string { return "hello-this-is-not-a-token" }, http.StatusNotFound, problem.LinkInvalid},
			{"too short", func(t *testing.T, a *App) string {
				return base64.RawURLEncoding.EncodeToString(secret.Random()[:16])
			}, http.StatusNotFound, problem.LinkInvalid},
			{"too long", func(t *testing.T, a *App) string {
				return base64.RawURLEncoding.EncodeToString(append(secret.Random(), secret.Random()...))
			}, http.StatusNotFound, problem.LinkInvalid},
			{"cut off", func(t *testing.T, a *App) string {
				tok := issueToken(t, a, newAccount(t, a, "cut01", "cut01@example.jp", "ja"))
				return tok[:len(tok)-1]
			}, http.StatusNotFound, problem.LinkInvalid},
			{"invalid base64", func(*testing.T, *App) string { return strings.Repeat("*", 43) }, http.StatusNotFound, problem.LinkInvalid},
			{"padded base64 of a real token", func(t *testing.T, a *App) string {
				tok := issueToken(t, a, newAccount(t, a, "pad01", "pad01@example.jp", "ja"))
				return tok + "="
			}, http.StatusNotFound, problem.LinkInvalid},
			{"a session cookie value", func(t *testing.T, a *App) string {
				newAccountWithPassword(t, a, "sess01", "sess01@example.jp", "ja", goodPassword)
				res := postForm(t, a, "/login", url.Values{"login_id": {"sess01"}, "password": {goodPassword}})
				c := setCookie(res, "__Host-aikagi_session")
				if c == nil || c.Value == "" {
					t.Fatalf("login set no session cookie: status %d", res.Status)
				}
				return c.Value
			}, http.StatusNotFound, problem.LinkInvalid},
			{"a signed form state", func(t *testing.T, a *App) string {
				return confirmState(t, a, "state01", "state01@example.jp")
			}, http.StatusNotFound, problem.LinkInvalid},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				a := newTestApp(t, dialect)
				token := tc.token(t, a)
				msg := ja.Problem(tc.prob)
				refusedBefore := countWhere(t, a, "audit_events", "kind", db.AuditTokenRefused)

				// Opening the link from the mail.
				b := newFakeBrowser(a)
				res := b.get(t, resetLink(token, ""))
				assertProblemPage(t, res, tc.status, "ja", msg)
				assertTokenPageHeaders(t, res)
				assertLinkNext(t, res, "ja", tc.prob, token)
				if len(b.jar) != 0 {
					t.Errorf("open: refused link set cookies %v", b.jar)
				}

				// Submitting the form with the link in the cookie.
				b.jar["__Host-aikagi_reset"] = token
				res = b.post(t, resetFormPath, url.Values{"password": {goodPassword}, "password_confirm": {goodPassword}})
				assertProblemPage(t, res, tc.status, "ja", msg)
				assertLinkNext(t, res, "ja", tc.prob, token)
				if _, ok := b.jar["__Host-aikagi_reset"]; ok {
					t.Error("submit: the refused cookie was not cleared")
				}

				// Showing the form with the link in the cookie.
				b.jar["__Host-aikagi_reset"] = token
				res = b.get(t, resetFormPath)
				assertProblemPage(t, res, tc.status, "ja", msg)

				if got := countWhere(t, a, "audit_events", "kind", db.AuditTokenRefused) - refusedBefore; got != 3 {
					t.Errorf("reset_token_refused events = %d, want 3", got)
				}
				if got := countWhere(t, a, "audit_events", "kind", db.AuditPasswordChanged); tc.prob != problem.LinkUsed && got != 0 {
					t.Errorf("a refused link changed a password (%d events)", got)
				}
			})
		}
	})
}

// TestResetFormWithoutCookie checks the form URL opened without the cookie
// the link sets: right after the redirect (cookies blocked) and directly.
func TestResetFormWithoutCookie(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	ja := views.T(views.Ja)

	res := get(t, a, "/password-resetting/reset?lang=ja&opened=1")
	assertProblemPage(t, res, http.StatusBadRequest, "ja", ja.Problem(problem.LinkNeedsCookie))
	assertTokenPageHeaders(t, res)

	res = get(t, a, "/password-resetting/reset?lang=ja")
	assertProblemPage(t, res, http.StatusNotFound, "ja", ja.Problem(problem.LinkInvalid))
	res = get(t, a, "/password-resetting/reset")
	assertProblemPage(t, res, http.StatusNotFound, "ja", ja.Problem(problem.LinkInvalid))

	res = postForm(t, a, "/password-resetting/reset?lang=ja", url.Values{"password": {goodPassword}, "password_confirm": {goodPassword}})
	assertProblemPage(t, res, http.StatusBadRequest, "ja", ja.Problem(problem.LinkNeedsCookie))
}

// TestResetCookie checks the cookie that carries the token from the link
// to the form: HttpOnly, SameSite=Lax, and over HTTPS Secure with the
// __Host- prefix.
func TestResetCookie(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		baseURL, name string
		secure        bool
	}{
		{"https://reset.example.test", "__Host-aikagi_reset", true},
		{"http://localhost:8080", "aikagi_reset", false},
	} {
		t.Run(tc.baseURL, func(t *testing.T) {
			a := newTestAppEnv(t, "sqlite", map[string]string{"BASE_URL": tc.baseURL})
			acct := newAccount(t, a, "cookie01", "cookie01@example.jp", "ja")
			token := issueToken(t, a, acct)
			res := get(t, a, resetLink(token, ""))
			cookies := setCookies(res)
			if len(cookies) != 1 {
				t.Fatalf("Set-Cookie = %v, want one cookie", res.Header.Values("Set-Cookie"))
			}
			c := cookies[0]
			if c.Name != tc.name || c.Value != token {
				t.Errorf("cookie %s=%s, want %s=<token>", c.Name, c.Value, tc.name)
			}
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure != tc.secure || c.Path != "/" || c.Domain != "" {
				t.Errorf("cookie attributes: HttpOnly=%v SameSite=%v Secure=%v Path=%q Domain=%q; want HttpOnly, Lax, Secure=%v, Path=/, no Domain",
					c.HttpOnly, c.SameSite, c.Secure, c.Path, c.Domain, tc.secure)
			}
			if want := testStart.Add(a.cfg.TokenTTL); !c.Expires.Equal(want) {
				t.Errorf("cookie expires %v, want with the link at %v", c.Expires, want)
			}

			// The cookie of the other scheme's name is not read.
			b := newFakeBrowser(a)
			other := "aikagi_reset"
			if !tc.secure {
				other = "__Host-aikagi_reset"
			}
			b.jar[other] = token
			res = b.get(t, resetFormPath)
			assertProblemPage(t, res, http.StatusBadRequest, "ja", views.T(views.Ja).Problem(problem.LinkNeedsCookie))
		})
	}
}
