package app

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"aikagi/app/problem"
	"aikagi/app/route"
	"aikagi/app/secret"
	"aikagi/db"
	"aikagi/views"
)

// renew presses the expired link's main button: a same-origin POST.
func renew(t testing.TB, a *App, token string, lang views.Lang, opts ...reqOption) *response {
	t.Helper()
	return postForm(t, a, route.RenewLink+"?lang="+string(lang), url.Values{"token": {token}}, opts...)
}

// TestRenewExpiredLink presses the one-tap button of an expired link: the
// account gets a new link by mail, through step 3's way (an intake row the
// worker matches and audits), without typing anything.
func TestRenewExpiredLink(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect string) {
		for _, lang := range views.Langs {
			a := newTestApp(t, dialect)
			text := views.T(lang)
			acct := newAccount(t, a, "renew-"+string(lang), "Renew.Taro@Example.jp", string(lang))
			old := expiredLink(t, a, acct)
			before := mailsTo(t, a, acct.Email)

			res := renew(t, a, old, lang, withHeader("User-Agent", "RenewPhone/1.0"))
			if res.Status != http.StatusOK {
				t.Fatalf("renew: status %d\n%s", res.Status, describe(res.Body))
			}
			assertFullPage(t, res, string(lang), text.Link.RenewedTitle)
			assertTokenPageHeaders(t, res)
			if got := mailsTo(t, a, acct.Email); got != before+1 {
				t.Fatalf("mails to the account = %d, want %d", got, before+1)
			}
			fresh := linkToken(t, mailedResetLink(t, a))
			if fresh == old || tokenState(t, a, fresh) != db.TokenValid {
				t.Fatal("the new mail does not carry a new valid link")
			}
			mail := a.mailbox.Messages()[0]
			if want := text.Link.Mail.LoginID(text.AccountLabel(acct.LoginID, acct.StoreName)); !strings.Contains(mail.Text, want) {
				t.Errorf("new mail does not name the account %q:\n%s", want, mail.Text)
			}
			audited := false
			for _, e := range auditEvents(t, a.db) {
				audited = audited || (e.Kind == db.AuditResetRequested && e.AccountID != nil && *e.AccountID == acct.ID &&
					e.UserAgent == "RenewPhone/1.0")
			}
			if !audited {
				t.Errorf("no reset_requested event for account %d from RenewPhone/1.0", acct.ID)
			}
			// The new link works.
			openedBrowser(t, a, fresh).setNewPassword(t, resetFormPath, goodPassword)
		}
	})
}

// TestRenewKeepsTheLimits renews a link of an account at its mail limit:
// nothing is mailed, the refusal is audited, and the page is the very
// same as when a mail goes out.
func TestRenewKeepsTheLimits(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect string) {
		a := newTestAppEnv(t, dialect, map[string]string{"LIMIT_MAILS_PER_ACCOUNT": "1/1h"})
		free := newAccount(t, a, "free01", "free01@example.jp", "ja")
		freeToken := issueToken(t, a, free)
		limited := newAccount(t, a, "limited01", "limited01@example.jp", "ja")
		limitedToken := expiredLink(t, a, limited) // uses the one mail of the hour
		before := mailsTo(t, a, limited.Email)

		sent := renew(t, a, freeToken, views.Ja)
		held := renew(t, a, limitedToken, views.Ja)
		if sent.Status != http.StatusOK || held.Status != http.StatusOK {
			t.Fatalf("statuses %d and %d, want 200", sent.Status, held.Status)
		}
		if !bytes.Equal([]byte(withoutNonces(string(sent.Body))), []byte(withoutNonces(string(held.Body)))) {
			t.Errorf("the page differs when the limit holds the mail back:\n%s\n---\n%s", sent.Body, held.Body)
		}
		if got := mailsTo(t, a, limited.Email); got != before {
			t.Errorf("mails to the limited account = %d, want %d", got, before)
		}
		if got := mailsTo(t, a, free.Email); got != 1 {
			t.Errorf("mails to the other account = %d, want 1", got)
		}
		if n := countWhere(t, a, "audit_events", "kind", db.AuditResetLimited); n != 1 {
			t.Errorf("%d reset_request_limited events, want 1", n)
		}
	})
}

// TestRenewRefusesUnknownAndCrossSite posts a forged token (the invalid
// link's page, nothing recorded) and a cross-site request (refused).
func TestRenewRefusesUnknownAndCrossSite(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect string) {
		a := newTestApp(t, dialect)
		acct := newAccount(t, a, "forge01", "forge01@example.jp", "ja")
		real := issueToken(t, a, acct)
		forged, _ := secret.NewToken()
		text := views.T(views.Ja)

		for _, token := range []string{forged, "not-a-token", "", real + "x"} {
			intakeBefore := countRows(t, a.db, "intake_requests")
			res := postFormOnly(t, a, route.RenewLink+"?lang=ja", url.Values{"token": {token}})
			assertProblemPage(t, res, http.StatusNotFound, "ja", text.Problem(problem.LinkInvalid))
			assertLinkNext(t, res, "ja", problem.LinkInvalid, "")
			if got := countRows(t, a.db, "intake_requests"); got != intakeBefore {
				t.Errorf("token %q: a request was recorded", token)
			}
		}
		processIntake(t, a)
		if n := mailsTo(t, a, acct.Email); n != 0 {
			t.Errorf("%d mails after forged tokens, want 0", n)
		}

		req := httptest.NewRequest(http.MethodPost, route.RenewLink+"?lang=ja", strings.NewReader(url.Values{"token": {real}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		res := send(t, a, req)
		assertProblemPage(t, res, http.StatusForbidden, "ja", text.Problem(problem.CrossSite))
		if n := mailsTo(t, a, acct.Email); n != 0 {
			t.Errorf("a cross-site post mailed a link")
		}
		if st := tokenState(t, a, real); st != db.TokenValid {
			t.Errorf("a cross-site post changed the link (state %v)", st)
		}
	})
}
