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

	"github.com/PuerkitoBio/goquery"

	"aikagi/app/account"
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

// resetCookieName is the reset cookie's name for a's BASE_URL.
func resetCookieName(a *App) string {
	if a.cfg.HTTPS() {
		return "__Host-aikagi_reset"
	}
	return "aikagi_reset"
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
		if v, _ := in.Attr("value"); v != "" {
			t.Errorf("reveal=0: %s value = %q, want empty (hidden passwords are not sent back)", id, v)
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
				if href, _ := res.Doc(t).Find(`a[href^="/password-resetting/regist"]`).Attr("href"); href != "/password-resetting/regist?lang=ja" {
					t.Errorf("open: link back to step 1 = %q", href)
				}
				if len(b.jar) != 0 {
					t.Errorf("open: refused link set cookies %v", b.jar)
				}

				// Submitting the form with the link in the cookie.
				b.jar["__Host-aikagi_reset"] = token
				res = b.post(t, resetFormPath, url.Values{"password": {goodPassword}, "password_confirm": {goodPassword}})
				assertProblemPage(t, res, tc.status, "ja", msg)
				if res.Doc(t).Find(`a[href="/password-resetting/regist?lang=ja"]`).Length() != 1 {
					t.Error("submit: no link back to step 1")
				}
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

// TestResetPagesInEnglish follows the link with ?lang=en: every page,
// refusal and message is English.
func TestResetPagesInEnglish(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	en := views.T(views.En)
	acct := newAccount(t, a, "english01", "english01@example.com", "en")
	token := issueToken(t, a, acct)
	b := newFakeBrowser(a)

	res := b.get(t, resetLink(token, views.En))
	if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/password-resetting/reset?lang=en&opened=1" {
		t.Fatalf("open: status %d, Location %q", res.Status, res.Header.Get("Location"))
	}
	form := res.Header.Get("Location")
	res = b.get(t, form)
	if res.Status != http.StatusOK {
		t.Fatalf("form: status %d", res.Status)
	}
	assertFullPage(t, res, "en", en.NewPasswordTitle)
	if action, _ := res.Doc(t).Find("form[data-password-form]").Attr("action"); action != "/password-resetting/reset?lang=en" {
		t.Errorf("form action = %q, want the English form URL", action)
	}

	res = b.post(t, form, url.Values{"password": {"short"}, "password_confirm": {"short"}})
	if res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("short password: status %d", res.Status)
	}
	if got, want := strings.TrimSpace(res.Doc(t).Find("#password-error").Text()), en.PasswordTooShort(12); !strings.Contains(got, want) {
		t.Errorf("short password error = %q, want %q", got, want)
	}

	res = b.follow(t, b.setNewPassword(t, form, goodPassword))
	assertFullPage(t, res, "en", en.DoneTitle)
	if href, _ := res.Doc(t).Find(`#flow a[href^="/login"]`).Attr("href"); href != "/login?lang=en" {
		t.Errorf("done page login link = %q", href)
	}

	res = get(t, a, resetLink(token, views.En))
	assertProblemPage(t, res, http.StatusGone, "en", en.Problem(problem.LinkUsed))
	if res.Doc(t).Find(`a[href="/password-resetting/regist?lang=en"]`).Length() != 1 {
		t.Error("used link page has no English link back to step 1")
	}

	expiring := issueToken(t, a, newAccount(t, a, "english02", "english02@example.com", "en"))
	advanceClock(a, a.cfg.TokenTTL+time.Minute)
	res = get(t, a, resetLink(expiring, views.En))
	assertProblemPage(t, res, http.StatusGone, "en", en.Problem(problem.LinkExpired))

	res = get(t, a, "/password-resetting/reset?lang=en&opened=1")
	assertProblemPage(t, res, http.StatusBadRequest, "en", en.Problem(problem.LinkNeedsCookie))
	res = get(t, a, "/password-resetting/reset?lang=en&token=nonsense")
	assertProblemPage(t, res, http.StatusNotFound, "en", en.Problem(problem.LinkInvalid))
}

// TestPasswordMinLengthSetting checks that PASSWORD_MIN_LENGTH moves the
// minimum and that the page and the message name it.
func TestPasswordMinLengthSetting(t *testing.T) {
	t.Parallel()
	a := newTestAppEnv(t, "sqlite", map[string]string{"PASSWORD_MIN_LENGTH": "16"})
	acct := newAccount(t, a, "minlen01", "minlen01@example.jp", "ja")
	b := openedBrowser(t, a, issueToken(t, a, acct))
	ja := views.T(views.Ja)

	res := b.get(t, resetFormPath)
	doc := res.Doc(t)
	if got := doc.Find("#password-hint").Text(); !strings.Contains(got, "16文字以上") {
		t.Errorf("hint = %q, want it to name 16", got)
	}
	if got, _ := doc.Find("input#password").Attr("data-min-length"); got != "16" {
		t.Errorf("data-min-length = %q, want 16", got)
	}

	fifteen := "fifteen chars!!" // 15
	res = b.post(t, resetFormPath, url.Values{"password": {fifteen}, "password_confirm": {fifteen}})
	if res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("15 characters: status %d, want 422", res.Status)
	}
	want := "新しいパスワードは16文字以上にしてください。"
	if want != ja.PasswordTooShort(16)[:len(want)] {
		t.Fatalf("message wording changed: %q", ja.PasswordTooShort(16))
	}
	doc = res.Doc(t)
	if got := doc.Find("#password-error").Text(); !strings.Contains(got, want) {
		t.Errorf("error under the field = %q, want it to say %q", got, want)
	}
	if got := doc.Find("#error-summary").Text(); !strings.Contains(got, want) {
		t.Errorf("summary = %q, want it to say %q", got, want)
	}

	sixteen := "sixteen chars!!!"
	res = b.follow(t, b.setNewPassword(t, resetFormPath, sixteen))
	assertFullPage(t, res, "ja", ja.DoneTitle)
}

// TestPasswordRefusalsThroughForm checks that the form reports each kind of
// refused password with 422, under the field and in the summary, audits
// it, and leaves the link usable.
func TestPasswordRefusalsThroughForm(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	acct := &db.Account{LoginID: "yamada77", Email: "taro.yamada@docomo.ne.jp", StoreName: "やまだ鮮魚店", Locale: "ja", PasswordHash: account.HashArgon2id("initial password 1")}
	if err := db.CreateAccount(context.Background(), a.db, acct, a.now()); err != nil {
		t.Fatal(err)
	}
	token := issueToken(t, a, acct)
	b := openedBrowser(t, a, token)
	ja := views.T(views.Ja)
	cases := []struct {
		password, confirm string
		field             string
		prob              problem.Problem
	}{
		{"", "", "password", problem.PasswordRequired},
		{"elevenchars", "elevenchars", "password", problem.PasswordTooShort},
		{strings.Repeat("x", 257), strings.Repeat("x", 257), "password", problem.PasswordTooLong},
		{"1qaz2wsx3edc", "1qaz2wsx3edc", "password", problem.PasswordCommon},
		{"my id is ＹＡＭＡＤＡ７７ ok", "my id is ＹＡＭＡＤＡ７７ ok", "password", problem.PasswordHasLoginID},
		{"taro.yamada forever", "taro.yamada forever", "password", problem.PasswordHasEmail},
		{"やまだ鮮魚店のまぐろは最高", "やまだ鮮魚店のまぐろは最高", "password", problem.PasswordHasStore},
		{goodPassword, goodPassword + " ", "password_confirm", problem.PasswordMismatch},
	}
	for _, tc := range cases {
		res := b.post(t, resetFormPath, url.Values{"password": {tc.password}, "password_confirm": {tc.confirm}})
		if res.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d, want 422", tc.prob, res.Status)
			continue
		}
		msg := ja.Problem(tc.prob)
		if tc.prob == problem.PasswordTooShort {
			msg = ja.PasswordTooShort(12)
		}
		doc := res.Doc(t)
		if got := doc.Find("#" + tc.field + "-error").Text(); !strings.Contains(got, msg) {
			t.Errorf("%s: error under %s = %q, want %q", tc.prob, tc.field, got, msg)
		}
		if got := strings.TrimSpace(doc.Find(`#error-summary a[href="#` + tc.field + `"]`).Text()); got != msg {
			t.Errorf("%s: summary = %q, want %q", tc.prob, got, msg)
		}
		if v := inputValue(doc, "password") + inputValue(doc, "password_confirm"); v != "" {
			t.Errorf("%s: the page sends the typed passwords back", tc.prob)
		}
	}
	if st := tokenState(t, a, token); st != db.TokenValid {
		t.Errorf("token state after refusals = %v, want valid", st)
	}
	if got := storedHash(t, a, acct.ID); got != acct.PasswordHash {
		t.Error("a refused password was stored")
	}
	if got := countWhere(t, a, "audit_events", "kind", db.AuditPasswordRejected); got != len(cases) {
		t.Errorf("password_rejected events = %d, want %d", got, len(cases))
	}
	if n := countRows(t, a.db, "outbox"); n != 0 {
		t.Errorf("refusals queued %d mails", n)
	}
}

// TestNewPasswordNormalised checks that the new password is hashed in its
// NFKC form: typed in full width on a phone, it works typed in half width
// on a PC, and the other way round; case and spaces still count.
func TestNewPasswordNormalised(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	acct := newAccount(t, a, "nfkc01", "nfkc01@example.jp", "ja")
	const typed = "ｆｕｌｌ ｗｉｄｔｈ パスフレーズ"
	b := openedBrowser(t, a, issueToken(t, a, acct))
	res := b.post(t, resetFormPath, url.Values{"password": {typed}, "password_confirm": {"full width パスフレーズ"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("reset: status %d\n%s", res.Status, describe(res.Body))
	}
	hash := storedHash(t, a, acct.ID)
	for pw, want := range map[string]bool{
		typed:               true,
		"full width パスフレーズ": true,
		"ｆｕｌｌ　ｗｉｄｔｈ　ﾊﾟｽﾌﾚｰｽﾞ": true,
		"FULL WIDTH パスフレーズ":   false,
		"fullwidth パスフレーズ":    false,
		" full width パスフレーズ":  false,
	} {
		if ok, upgrade, err := a.hasher.Verify(context.Background(), hash, pw); err != nil || ok != want || upgrade {
			t.Errorf("verify %q = %v (upgrade %v), %v; want %v", pw, ok, upgrade, err, want)
		}
	}
}

// TestResetRevokesOtherLinksAndSessions checks the side effects of a
// completed reset: other links of the account stop working, its sessions
// end, and other accounts are untouched.
func TestResetRevokesOtherLinksAndSessions(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		a := newTestApp(t, dialect)
		acct := newAccountWithPassword(t, a, "sidefx01", "sidefx01@example.jp", "ja", "original password 1")
		other := newAccountWithPassword(t, a, "sidefx02", "sidefx02@example.jp", "ja", "original password 2")

		otherToken := issueToken(t, a, other)
		token := issueToken(t, a, acct)
		// A second live link for the same account, as an older release or
		// an operator could leave behind.
		spare, spareHash := secret.NewToken()
		if _, err := a.db.NewInsert().Model(&db.ResetToken{
			AccountID: acct.ID, TokenHash: spareHash, CreatedAt: db.Stamp(a.now()), ExpiresAt: db.Stamp(a.now().Add(time.Hour)),
		}).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if tokenState(t, a, spare) != db.TokenValid {
			t.Fatal("setup: the spare link is not valid")
		}

		mine, theirs := newFakeBrowser(a), newFakeBrowser(a)
		mine.post(t, "/login", url.Values{"login_id": {"sidefx01"}, "password": {"original password 1"}})
		theirs.post(t, "/login", url.Values{"login_id": {"sidefx02"}, "password": {"original password 2"}})

		b := openedBrowser(t, a, token)
		b.setNewPassword(t, resetFormPath, goodPassword)
		if st := tokenState(t, a, spare); st != db.TokenRevoked {
			t.Errorf("the account's other link is %v, want revoked", st)
		}
		res := get(t, a, resetLink(spare, ""))
		assertProblemPage(t, res, http.StatusGone, "ja", views.T(views.Ja).Problem(problem.LinkRevoked))
		if st := tokenState(t, a, otherToken); st != db.TokenValid {
			t.Errorf("another account's link is %v, want valid", st)
		}
		if res := mine.get(t, "/"); res.Status != http.StatusSeeOther {
			t.Errorf("the account's session survived the reset: status %d", res.Status)
		}
		if res := theirs.get(t, "/"); res.Status != http.StatusOK {
			t.Errorf("another account's session ended: status %d", res.Status)
		}
		var changedAt *time.Time
		if err := a.db.NewSelect().Table("accounts").Column("password_changed_at").Where("id = ?", acct.ID).Scan(ctx, &changedAt); err != nil {
			t.Fatal(err)
		}
		if changedAt == nil || !changedAt.Equal(testStart) {
			t.Errorf("password_changed_at = %v, want %v", changedAt, testStart)
		}
	})
}

// TestResetPagesNeverFramed checks that the link's pages refuse framing
// even when the help center may frame steps 1–3.
func TestResetPagesNeverFramed(t *testing.T) {
	t.Parallel()
	a := newTestAppEnv(t, "sqlite", map[string]string{"FRAME_ANCESTORS": "https://help.example.com"})
	acct := newAccount(t, a, "frame01", "frame01@example.jp", "ja")
	b := newFakeBrowser(a)
	pages := map[string]*response{
		"link":         b.get(t, resetLink(issueToken(t, a, acct), "")),
		"form":         b.get(t, resetFormPath),
		"reveal":       b.post(t, resetFormPath, url.Values{"password": {"a"}, "password_confirm": {"a"}, "reveal": {"1"}}),
		"refused form": b.post(t, resetFormPath, url.Values{"password": {"a"}, "password_confirm": {"a"}}),
		"done":         b.follow(t, b.post(t, resetFormPath, url.Values{"password": {goodPassword}, "password_confirm": {goodPassword}})),
		"invalid link": get(t, a, resetLink("nonsense", "")),
	}
	for name, res := range pages {
		if res.Status >= 500 {
			t.Errorf("%s: status %d", name, res.Status)
		}
		if got := cspDirective(res.Header.Get("Content-Security-Policy"), "frame-ancestors"); got != "'none'" {
			t.Errorf("%s: frame-ancestors %q, want 'none'", name, got)
		}
	}
}

// TestCrossSiteResetRefused checks that a form posted from another site
// cannot complete a reset, even with the cookie.
func TestCrossSiteResetRefused(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	acct := newAccount(t, a, "xsite01", "xsite01@example.jp", "ja")
	token := issueToken(t, a, acct)
	b := openedBrowser(t, a, token)
	res := b.post(t, resetFormPath, url.Values{"password": {goodPassword}, "password_confirm": {goodPassword}},
		withHeader("Sec-Fetch-Site", "cross-site"), withHeader("Origin", "https://evil.example"))
	if res.Status != http.StatusForbidden {
		t.Errorf("cross-site post: status %d, want 403", res.Status)
	}
	if st := tokenState(t, a, token); st != db.TokenValid {
		t.Errorf("token state = %v, want valid", st)
	}
	if got := storedHash(t, a, acct.ID); got != acct.PasswordHash {
		t.Error("a cross-site post changed the password")
	}
}

// TestNoticeInAccountLanguage checks that the "password changed" notice
// follows the account's locale, not the language of the page used.
func TestNoticeInAccountLanguage(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	acct := newAccount(t, a, "notice01", "Notice01@Example.com", "en")
	b := openedBrowser(t, a, issueToken(t, a, acct))
	b.setNewPassword(t, resetFormPath, goodPassword)
	if sent, err := a.outbox.DeliverDue(context.Background()); err != nil || sent != 1 {
		t.Fatalf("deliver: %d, %v", sent, err)
	}
	m := a.mailbox.Messages()[0]
	if m.To != "Notice01@Example.com" || m.Subject != "[テスト加盟店管理サイト] Your password was changed" {
		t.Errorf("notice To %q, Subject %q", m.To, m.Subject)
	}
	for _, want := range []string{"When: 25 November 2026, 01:00 UTC", "From IP address: 0.0.0.0", "https://reset.example.test/password-resetting/regist?lang=en", "https://reset.example.test/login?lang=en"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("notice text lacks %q:\n%s", want, m.Text)
		}
	}
}

// TestResetPageNamesTheAccount checks that the form says whose password it
// changes: login ID and store name, in both languages.
func TestResetPageNamesTheAccount(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	acct := &db.Account{LoginID: "taro-01", Email: "taro@example.jp", StoreName: "山田商店", Locale: "ja", PasswordHash: account.HashArgon2id("initial password 1")}
	if err := db.CreateAccount(context.Background(), a.db, acct, a.now()); err != nil {
		t.Fatal(err)
	}
	b := openedBrowser(t, a, issueToken(t, a, acct))
	for lang, want := range map[views.Lang]string{
		views.Ja: "taro-01(山田商店)の新しいパスワード",
		views.En: "New password for taro-01 (山田商店)",
	} {
		res := b.get(t, route.Reset+"?lang="+string(lang))
		if res.Status != http.StatusOK {
			t.Fatalf("%s form: status %d", lang, res.Status)
		}
		doc := res.Doc(t)
		if got := strings.TrimSpace(doc.Find("#flow #reset-account").Text()); got != want {
			t.Errorf("%s: account shown as %q, want %q", lang, got, want)
		}
		if v, _ := doc.Find(`input[name="username"]`).Attr("value"); v != "taro-01" {
			t.Errorf("%s: username field = %q", lang, v)
		}
	}
	// The name stays on the page when the password is refused.
	res := b.post(t, resetFormPath, url.Values{"password": {"short"}, "password_confirm": {"short"}})
	if got := strings.TrimSpace(res.Doc(t).Find("#reset-account").Text()); got != "taro-01(山田商店)の新しいパスワード" {
		t.Errorf("refused password: account shown as %q", got)
	}
}

// TestPlantedLinkDoesNotReplaceHeldLink plays the attack of two browsers:
// the victim holds the link of account A; the attacker's own link for B is
// opened in the victim's browser by a cross-site navigation. The victim's
// link stays in place, the page asks which account to reset, naming both,
// and only the page's own POST switches.
func TestPlantedLinkDoesNotReplaceHeldLink(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		a := newTestApp(t, dialect)
		ja := views.T(views.Ja)
		victim := newAccount(t, a, "victim01", "victim01@example.jp", "ja")
		attacker := newAccount(t, a, "attacker01", "attacker01@example.jp", "ja")
		victimToken := issueToken(t, a, victim)
		b := openedBrowser(t, a, victimToken) // the victim's browser
		attackerToken := issueToken(t, a, attacker)

		// The attacker's link, opened by a navigation from another site.
		res := b.get(t, resetLink(attackerToken, ""), withHeader("Sec-Fetch-Site", "cross-site"))
		if res.Status != http.StatusSeeOther {
			t.Fatalf("planted link: status %d\n%s", res.Status, describe(res.Body))
		}
		assertTokenPageHeaders(t, res)
		if got := b.jar["__Host-aikagi_reset"]; got != victimToken {
			t.Fatal("the planted link replaced the held one")
		}
		res = b.follow(t, res)
		if res.Status != http.StatusOK {
			t.Fatalf("choice page: status %d\n%s", res.Status, describe(res.Body))
		}
		assertTokenPageHeaders(t, res)
		assertFullPage(t, res, "ja", ja.ChooseLinkTitle)
		doc := res.Doc(t)
		if doc.Find("form[data-password-form]").Length() != 0 {
			t.Error("the choice page offers the password form")
		}
		for id, acct := range map[string]*db.Account{"held-account": victim, "next-account": attacker} {
			want := acct.LoginID + "(" + acct.StoreName + ")"
			if got := strings.TrimSpace(doc.Find("#" + id).Text()); got != want {
				t.Errorf("#%s = %q, want %q", id, got, want)
			}
		}
		form := doc.Find(`form[action="/password-resetting/choose?lang=ja"][method="post"]`)
		if form.Length() != 1 || form.Find(`button[name="choice"][value="keep"]`).Length() != 1 || form.Find(`button[name="choice"][value="switch"]`).Length() != 1 {
			t.Fatalf("no POST form with keep and switch buttons:\n%s", describe(res.Body))
		}
		choice := url.Values{}
		form.Find(`input[type="hidden"]`).Each(func(_ int, in *goquery.Selection) {
			name, _ := in.Attr("name")
			value, _ := in.Attr("value")
			choice.Set(name, value)
		})
		for _, tok := range []string{victimToken, attackerToken} {
			if strings.Contains(string(res.Body), tok) {
				t.Error("the choice page contains a raw token")
			}
		}
		// Reloading the page or opening the form changes nothing.
		if res := b.get(t, resetFormPath); res.Doc(t).Find("#next-account").Length() != 1 || b.jar["__Host-aikagi_reset"] != victimToken {
			t.Error("reloading the choice page switched links")
		}

		// Another site posting the choice is refused, whatever it sends.
		choice.Set("choice", "switch")
		res = b.post(t, "/password-resetting/choose?lang=ja", choice, withHeader("Sec-Fetch-Site", "cross-site"), withHeader("Origin", "https://evil.example"))
		if res.Status != http.StatusForbidden || b.jar["__Host-aikagi_reset"] != victimToken {
			t.Fatalf("cross-site switch: status %d, held link changed %v", res.Status, b.jar["__Host-aikagi_reset"] != victimToken)
		}
		// A choice made on a page for other links changes nothing.
		stale := url.Values{"choice": {"switch"}, "held": {choice.Get("held")}, "next": {"c29tZXRoaW5nIGVsc2U"}}
		if res := b.post(t, "/password-resetting/choose?lang=ja", stale); res.Status != http.StatusSeeOther || b.jar["__Host-aikagi_reset"] != victimToken {
			t.Fatalf("stale choice: status %d, held link changed %v", res.Status, b.jar["__Host-aikagi_reset"] != victimToken)
		}

		// The page's own button switches.
		res = b.post(t, "/password-resetting/choose?lang=ja", choice)
		if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/password-resetting/reset?lang=ja" {
			t.Fatalf("switch: status %d, Location %q", res.Status, res.Header.Get("Location"))
		}
		assertTokenPageHeaders(t, res)
		if got := b.jar["__Host-aikagi_reset"]; got != attackerToken {
			t.Fatal("switch did not move the chosen link into place")
		}
		if _, ok := b.jar["__Host-aikagi_reset_next"]; ok {
			t.Error("switch left the waiting link behind")
		}
		res = b.follow(t, res)
		if got := strings.TrimSpace(res.Doc(t).Find("#reset-account").Text()); got != "attacker01(テスト商店 attacker01)の新しいパスワード" {
			t.Errorf("after the switch the form names %q", got)
		}
		// Both links are still unused: choosing uses nothing up.
		for _, tok := range []string{victimToken, attackerToken} {
			if st := tokenState(t, a, tok); st != db.TokenValid {
				t.Errorf("a link is %v after choosing, want valid", st)
			}
		}
	})
}

// TestSecondLinkChoices checks the other ways a second link can arrive:
// keeping the held link, a link for the same account, a held link that is
// no longer usable, and a form page left open in another tab.
func TestSecondLinkChoices(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	ja := views.T(views.Ja)
	first := newAccount(t, a, "first01", "first01@example.jp", "ja")
	second := newAccount(t, a, "second01", "second01@example.jp", "ja")

	t.Run("keep", func(t *testing.T) {
		held, next := issueToken(t, a, first), issueToken(t, a, second)
		b := openedBrowser(t, a, held)
		res := b.follow(t, b.get(t, resetLink(next, "")))
		choice := url.Values{"choice": {"keep"}}
		res.Doc(t).Find(`form input[type="hidden"]`).Each(func(_ int, in *goquery.Selection) {
			name, _ := in.Attr("name")
			value, _ := in.Attr("value")
			choice.Set(name, value)
		})
		res = b.follow(t, b.post(t, "/password-resetting/choose?lang=ja", choice))
		assertFullPage(t, res, "ja", ja.NewPasswordTitle)
		if b.jar["__Host-aikagi_reset"] != held {
			t.Error("keep changed the held link")
		}
		if _, ok := b.jar["__Host-aikagi_reset_next"]; ok {
			t.Error("keep left the waiting link behind")
		}
	})

	t.Run("same account", func(t *testing.T) {
		older := issueToken(t, a, first)
		b := openedBrowser(t, a, older)
		// An operator's second live link for the same account.
		newer, hash := secret.NewToken()
		if _, err := a.db.NewInsert().Model(&db.ResetToken{
			AccountID: first.ID, TokenHash: hash, CreatedAt: db.Stamp(a.now()), ExpiresAt: db.Stamp(a.now().Add(time.Hour)),
		}).Exec(context.Background()); err != nil {
			t.Fatal(err)
		}
		res := b.follow(t, b.get(t, resetLink(newer, "")))
		assertFullPage(t, res, "ja", ja.NewPasswordTitle)
		if b.jar["__Host-aikagi_reset"] != newer {
			t.Error("a newer link for the same account did not replace the held one")
		}
	})

	t.Run("held link no longer usable", func(t *testing.T) {
		held := issueToken(t, a, first)
		b := openedBrowser(t, a, held)
		issueToken(t, a, first) // revokes held
		next := issueToken(t, a, second)
		res := b.follow(t, b.get(t, resetLink(next, "")))
		assertFullPage(t, res, "ja", ja.NewPasswordTitle)
		if b.jar["__Host-aikagi_reset"] != next {
			t.Error("a dead held link was kept over a usable one")
		}
	})

	t.Run("form left open in another tab", func(t *testing.T) {
		held, next := issueToken(t, a, first), issueToken(t, a, second)
		b := openedBrowser(t, a, held)
		mark, _ := b.get(t, resetFormPath).Doc(t).Find(`input[name="link"]`).Attr("value")
		if mark == "" {
			t.Fatal("the form carries no link mark")
		}
		b.jar["__Host-aikagi_reset"] = next // switched in the other tab
		res := b.post(t, resetFormPath, url.Values{"password": {goodPassword}, "password_confirm": {goodPassword}, "link": {mark}})
		if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/password-resetting/reset?lang=ja" {
			t.Fatalf("stale form: status %d, Location %q; want 303 back to the form", res.Status, res.Header.Get("Location"))
		}
		if got := storedHash(t, a, second.ID); got != second.PasswordHash {
			t.Error("a form shown for one account changed another's password")
		}
		if st := tokenState(t, a, next); st != db.TokenValid {
			t.Errorf("the other link is %v, want valid", st)
		}
	})
}

// TestResetDonePageReloads checks POST, redirect, GET after the password
// is set: the done page shows again on reload, without the cookie, until
// its receipt is stale; a forged receipt leads to the login page.
func TestResetDonePageReloads(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	ja := views.T(views.Ja)
	acct := newAccount(t, a, "reload01", "reload01@example.jp", "ja")
	b := openedBrowser(t, a, issueToken(t, a, acct))
	res := b.setNewPassword(t, resetFormPath, goodPassword)
	done := res.Header.Get("Location")
	if len(b.jar) != 0 {
		t.Errorf("cookies left after the reset: %v", b.jar)
	}
	for i := range 3 {
		res = b.get(t, done)
		if res.Status != http.StatusOK {
			t.Fatalf("load %d of the done page: status %d\n%s", i, res.Status, describe(res.Body))
		}
		assertFullPage(t, res, "ja", ja.DoneTitle)
		assertTokenPageHeaders(t, res)
	}
	// Another browser (or a shared link) needs no cookie either.
	assertFullPage(t, get(t, a, done), "ja", ja.DoneTitle)
	if n := countWhere(t, a, "audit_events", "kind", db.AuditPasswordChanged); n != 1 {
		t.Errorf("password_changed events = %d, want 1", n)
	}

	for name, target := range map[string]string{
		"no receipt":     route.ResetDone + "?lang=ja",
		"forged receipt": route.ResetDone + "?lang=ja&receipt=" + confirmState(t, a, "forge01", "forge01@example.jp"),
		"tampered":       done + "x",
	} {
		res := get(t, a, target)
		if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/login?lang=ja" {
			t.Errorf("%s: status %d, Location %q; want 303 to the login page", name, res.Status, res.Header.Get("Location"))
		}
	}
	advanceClock(a, doneReceiptTTL+time.Minute)
	if res := get(t, a, done); res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/login?lang=ja" {
		t.Errorf("stale receipt: status %d, Location %q; want 303 to the login page", res.Status, res.Header.Get("Location"))
	}
}
