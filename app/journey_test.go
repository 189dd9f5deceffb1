package app

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"aikagi/app/account"
	"aikagi/app/mail"
	"aikagi/app/problem"
	"aikagi/app/route"
	"aikagi/app/secret"
	"aikagi/db"
	"aikagi/views"
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

// newAccountWithPassword is newAccount with a real argon2id hash of
// password.
func newAccountWithPassword(t testing.TB, a *App, loginID, email, locale, password string) *db.Account {
	t.Helper()
	acct := newAccount(t, a, loginID, email, locale)
	acct.PasswordHash = account.HashArgon2id(password)
	if err := db.SetPassword(context.Background(), a.db, acct.ID, acct.PasswordHash, a.now(), false); err != nil {
		t.Fatalf("set password of %s: %v", loginID, err)
	}
	return acct
}

// issueToken stores a fresh reset token for acct (revoking older ones, as
// a request does) and returns the raw token of the mail.
func issueToken(t testing.TB, a *App, acct *db.Account) string {
	t.Helper()
	token, hash := secret.NewToken()
	if _, err := db.CreateResetToken(context.Background(), a.db, acct.ID, hash, a.now(), a.cfg.TokenTTL, "192.0.2.1"); err != nil {
		t.Fatalf("create reset token: %v", err)
	}
	return token
}

// resetLink is the path and query of the link in the mail for token.
func resetLink(token string, lang views.Lang) string {
	q := url.Values{"token": {token}}
	if lang != "" {
		q.Set("lang", string(lang))
	}
	return route.Reset + "?" + q.Encode()
}

// mailedResetLink delivers the outbox and returns the path and query of the
// reset link in the newest mail, checking that it is built from BASE_URL.
func mailedResetLink(t testing.TB, a *App) string {
	t.Helper()
	if _, err := a.outbox.DeliverDue(context.Background()); err != nil {
		t.Fatalf("deliver: %v", err)
	}
	mails := a.mailbox.Messages()
	if len(mails) == 0 {
		t.Fatal("no mail in the development mailbox")
	}
	prefix := a.cfg.URL(route.Reset, nil) + "?"
	text := mails[0].Text
	i := strings.Index(text, prefix)
	if i < 0 {
		t.Fatalf("newest mail has no link starting with %s:\n%s", prefix, text)
	}
	raw, _, _ := strings.Cut(text[i:], "\n")
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Query().Get("token") == "" {
		t.Fatalf("reset link %q: %v", raw, err)
	}
	return u.RequestURI()
}

// linkToken is the raw token of a link.
func linkToken(t testing.TB, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatalf("parse link %q: %v", link, err)
	}
	return u.Query().Get("token")
}

// tokenState reads the state of a raw token from the database.
func tokenState(t testing.TB, a *App, token string) db.TokenState {
	t.Helper()
	tok, err := db.LookupResetToken(context.Background(), a.db, secret.HashToken(token))
	if err != nil {
		t.Fatalf("lookup token: %v", err)
	}
	return tok.State(a.now())
}

// storedHash reads an account's password hash from the database.
func storedHash(t testing.TB, a *App, id int64) string {
	t.Helper()
	acct, err := db.GetAccount(context.Background(), a.db, id)
	if err != nil || acct == nil {
		t.Fatalf("get account %d: %v", id, err)
	}
	return acct.PasswordHash
}

// countWhere counts the rows of table with column = value.
func countWhere(t testing.TB, a *App, table, column string, value any) int {
	t.Helper()
	n, err := a.db.NewSelect().Table(table).Where("? = ?", bun.Ident(column), value).Count(context.Background())
	if err != nil {
		t.Fatalf("count %s.%s: %v", table, column, err)
	}
	return n
}

// assertTokenPageHeaders checks what every page of the link (and its
// redirect) must carry: no referrer, no caching, never framed.
func assertTokenPageHeaders(t testing.TB, res *response) {
	t.Helper()
	if got := res.Header.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("Referrer-Policy = %q, want no-referrer", got)
	}
	if got := res.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	if got := cspDirective(res.Header.Get("Content-Security-Policy"), "frame-ancestors"); got != "'none'" {
		t.Errorf("CSP frame-ancestors = %q, want 'none'", got)
	}
}

// TestJourney follows a merchant through HTTP only, from the request to
// logging in with the new password, on both databases.
func TestJourney(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		// Fiber's app.Test connects from 0.0.0.0; trusting it lets the test
		// choose the client IP with X-Forwarded-For.
		a := newTestAppEnv(t, dialect, map[string]string{"TRUSTED_PROXIES": "0.0.0.0"})
		const (
			loginID = "hanako01"
			oldPW   = "old wisteria pass 1987"
			newPW   = "sakura blooms over kamogawa"
			weakPW  = "qwertyuiop12"
		)
		acct := newAccountWithPassword(t, a, loginID, "Hanako.Sato@Example.jp", "ja", oldPW)
		ja := views.T(views.Ja)

		// A session from before the reset, say on a forgotten tablet.
		tablet := newFakeBrowser(a)
		if res := tablet.post(t, "/login", url.Values{"login_id": {loginID}, "password": {oldPW}}); res.Status != http.StatusSeeOther {
			t.Fatalf("login before the reset: status %d\n%s", res.Status, describe(res.Body))
		}
		if res := tablet.get(t, "/"); res.Status != http.StatusOK {
			t.Fatalf("home before the reset: status %d", res.Status)
		}

		// Steps 1–3, then the mail.
		requestResetFlow(t, a, loginID, "hanako.sato@example.jp")
		if n := countWhere(t, a, "outbox", "kind", string(mail.KindReset)); n != 1 {
			t.Fatalf("outbox has %d reset mails, want 1", n)
		}
		link := mailedResetLink(t, a)
		raw := linkToken(t, link)
		advanceClock(a, 5*time.Minute)

		// The link opened twice (a mail scanner, then the merchant): both
		// work, and neither uses it up.
		phone := newFakeBrowser(a)
		var formURL string
		for i := 1; i <= 2; i++ {
			res := phone.get(t, link)
			if res.Status != http.StatusSeeOther {
				t.Fatalf("open link #%d: status %d, want 303\n%s", i, res.Status, describe(res.Body))
			}
			formURL = res.Header.Get("Location")
			if formURL != "/password-resetting/reset?lang=ja&opened=1" {
				t.Errorf("open link #%d: Location = %q", i, formURL)
			}
			if strings.Contains(formURL, raw) || strings.Contains(formURL, "token") {
				t.Errorf("open link #%d: the token stays in the address bar: %q", i, formURL)
			}
			assertTokenPageHeaders(t, res)
			if phone.jar["__Host-aikagi_reset"] != raw {
				t.Errorf("open link #%d: reset cookie = %q, want the token", i, phone.jar["__Host-aikagi_reset"])
			}

			res = phone.get(t, formURL)
			if res.Status != http.StatusOK {
				t.Fatalf("form #%d: status %d\n%s", i, res.Status, describe(res.Body))
			}
			assertTokenPageHeaders(t, res)
			assertFullPage(t, res, "ja", ja.NewPasswordTitle)
			doc := res.Doc(t)
			user := doc.Find(`form input[autocomplete="username"]`)
			if user.Length() != 1 {
				t.Fatalf("form #%d: %d username inputs, want 1", i, user.Length())
			}
			if v, _ := user.Attr("value"); v != loginID {
				t.Errorf("form #%d: username value = %q, want %q", i, v, loginID)
			}
			if _, hidden := user.Attr("hidden"); !hidden {
				t.Errorf("form #%d: username input is not hidden", i)
			}
			news := doc.Find(`form input[autocomplete="new-password"]`)
			if news.Length() != 2 {
				t.Fatalf("form #%d: %d new-password inputs, want 2", i, news.Length())
			}
			for j, name := range []string{"password", "password_confirm"} {
				if got, _ := news.Eq(j).Attr("name"); got != name {
					t.Errorf("form #%d: new-password input %d is %q, want %q", i, j, got, name)
				}
				if typ, _ := news.Eq(j).Attr("type"); typ != "password" {
					t.Errorf("form #%d: %s type = %q, want password", i, name, typ)
				}
			}
			if strings.Contains(string(res.Body), raw) {
				t.Errorf("form #%d: the page contains the token", i)
			}
			if st := tokenState(t, a, raw); st != db.TokenValid {
				t.Fatalf("after opening the link %d times the token state is %v, want valid", i, st)
			}
		}

		// A common password: 422, the error under the field and in the summary.
		res := phone.post(t, formURL, url.Values{"password": {weakPW}, "password_confirm": {weakPW}})
		if res.Status != http.StatusUnprocessableEntity {
			t.Fatalf("weak password: status %d, want 422\n%s", res.Status, describe(res.Body))
		}
		assertTokenPageHeaders(t, res)
		doc := res.Doc(t)
		want := ja.Problem(problem.PasswordCommon)
		if got := strings.TrimSpace(doc.Find("#password-error").Text()); !strings.Contains(got, want) {
			t.Errorf("error under the field = %q, want %q", got, want)
		}
		if got, _ := doc.Find("input#password").Attr("aria-invalid"); got != "true" {
			t.Errorf("password aria-invalid = %q, want true", got)
		}
		if got := strings.TrimSpace(doc.Find(`#error-summary a[href="#password"]`).Text()); got != want {
			t.Errorf("summary = %q, want %q", got, want)
		}
		if v := inputValue(doc, "password"); v != "" {
			t.Errorf("the refused password is sent back in the page: %q", v)
		}
		if st := tokenState(t, a, raw); st != db.TokenValid {
			t.Fatalf("a refused password used the token up (state %v)", st)
		}

		// A good password: done.
		res = phone.post(t, formURL, url.Values{"password": {newPW}, "password_confirm": {newPW}},
			withHeader("X-Forwarded-For", "203.0.113.9"), withHeader("User-Agent", "JourneyPhone/1.0"))
		if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), route.ResetDone+"?lang=ja&") {
			t.Fatalf("good password: status %d, Location %q, want 303 to the done page\n%s", res.Status, res.Header.Get("Location"), describe(res.Body))
		}
		assertTokenPageHeaders(t, res)
		res = phone.follow(t, res)
		assertTokenPageHeaders(t, res)
		assertFullPage(t, res, "ja", "パスワード再設定完了")
		if href, _ := res.Doc(t).Find(`#flow a[href^="/login"]`).Attr("href"); href != "/login?lang=ja" {
			t.Errorf("done page login link = %q, want /login?lang=ja", href)
		}
		if _, ok := phone.jar["__Host-aikagi_reset"]; ok {
			t.Error("the reset cookie was not cleared after the reset")
		}
		if st := tokenState(t, a, raw); st != db.TokenUsed {
			t.Errorf("token state after the reset = %v, want used", st)
		}

		// The link again: used.
		res = newFakeBrowser(a).get(t, link)
		assertProblemPage(t, res, http.StatusGone, "ja", ja.Problem(problem.LinkUsed))
		assertTokenPageHeaders(t, res)
		replay := newFakeBrowser(a)
		replay.jar["__Host-aikagi_reset"] = raw
		res = replay.post(t, formURL, url.Values{"password": {"another fine passphrase"}, "password_confirm": {"another fine passphrase"}})
		assertProblemPage(t, res, http.StatusGone, "ja", ja.Problem(problem.LinkUsed))

		// Logging in: the old password fails, the new one works, the
		// tablet's session is gone.
		laptop := newFakeBrowser(a)
		res = laptop.post(t, "/login", url.Values{"login_id": {loginID}, "password": {oldPW}})
		if res.Status != http.StatusUnauthorized {
			t.Errorf("login with the old password: status %d, want 401", res.Status)
		}
		res = laptop.post(t, "/login", url.Values{"login_id": {loginID}, "password": {newPW}})
		if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/?lang=ja" {
			t.Fatalf("login with the new password: status %d, Location %q\n%s", res.Status, res.Header.Get("Location"), describe(res.Body))
		}
		res = laptop.get(t, "/")
		if res.Status != http.StatusOK {
			t.Fatalf("home: status %d", res.Status)
		}
		if got := res.Doc(t).Find("#home-store").Text(); !strings.Contains(got, acct.StoreName) {
			t.Errorf("#home-store = %q, want the store name %q", got, acct.StoreName)
		}
		res = tablet.get(t, "/")
		if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/login?lang=ja" {
			t.Errorf("session from before the reset: status %d, Location %q; want 303 to /login", res.Status, res.Header.Get("Location"))
		}

		// The notice, in the development mailbox.
		if sent, err := a.outbox.DeliverDue(ctx); err != nil || sent != 1 {
			t.Fatalf("deliver the notice: sent %d, %v; want 1", sent, err)
		}
		m := a.mailbox.Messages()[0]
		if m.To != "Hanako.Sato@Example.jp" {
			t.Errorf("notice To = %q, want the registered address", m.To)
		}
		if !strings.Contains(m.Subject, "パスワードが変更されました") {
			t.Errorf("notice subject = %q", m.Subject)
		}
		for _, want := range []string{
			"変更日時: 2026年11月25日 10:05(日本時間)",
			"操作元IPアドレス: 203.0.113.9",
			acct.StoreName,
			"https://reset.example.test/password-resetting/regist?lang=ja",
		} {
			if !strings.Contains(m.Text, want) {
				t.Errorf("notice text lacks %q:\n%s", want, m.Text)
			}
		}
		if strings.Contains(m.Text, raw) {
			t.Error("the notice contains the used token")
		}
		page := get(t, a, "/_dev/mail", onLocalhost)
		if page.Status != http.StatusOK || !strings.Contains(string(page.Body), "パスワードが変更されました") {
			t.Errorf("/_dev/mail: status %d, notice listed: %v", page.Status, strings.Contains(string(page.Body), "パスワードが変更されました"))
		}

		// The audit trail tells the story, with the client of the reset.
		var changed db.AuditEvent
		if err := a.db.NewSelect().Model(&changed).Where("kind = ?", db.AuditPasswordChanged).Scan(ctx); err != nil {
			t.Fatalf("password_changed event: %v", err)
		}
		if changed.IP != "203.0.113.9" || changed.UserAgent != "JourneyPhone/1.0" || changed.AccountID == nil || *changed.AccountID != acct.ID {
			t.Errorf("password_changed event = %+v", changed)
		}
		kinds := auditKinds(t, a.db)
		for _, want := range []db.AuditKind{db.AuditResetRequested, db.AuditMailSent, db.AuditPasswordRejected, db.AuditPasswordChanged, db.AuditTokenRefused, db.AuditLoginFailed, db.AuditLoginSucceeded} {
			if !slices.Contains(kinds, want) {
				t.Errorf("audit trail lacks %s: %s", want, kinds)
			}
		}
	})
}
