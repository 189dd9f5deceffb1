package app

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"aikagi/app/mail"
	"aikagi/app/problem"
	"aikagi/app/route"
	"aikagi/db"
	"aikagi/views"
)

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
		if v := inputValue(doc, "password"); v != "qwertyuiop12" {
			t.Errorf("the refused password is not kept in the page: %q", v)
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
		if href, _ := res.Doc(t).Find(`#flow a[href^="/login"]`).Attr("href"); href != "/login?lang=ja&login_id=hanako01" {
			t.Errorf("done page login link = %q, want /login?lang=ja&login_id=hanako01", href)
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
			"変更日時: 11月25日(水)10:05(日本時間)",
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
