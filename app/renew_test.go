package app

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"aikagi/app/account"
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
		limitedToken := expiredLink(t, a, limited) // uses the one mail of the hour, and lets both links expire
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

// linkMadeAt stores a reset link for acct as made at the time at, valid
// for the configured TTL, revoking older ones as a request does.
func linkMadeAt(t testing.TB, a *App, acct *db.Account, at time.Time) string {
	t.Helper()
	token, hash := secret.NewToken()
	if _, err := db.CreateResetToken(context.Background(), a.db, acct.ID, hash, at, a.cfg.TokenTTL, "192.0.2.1"); err != nil {
		t.Fatalf("create reset token: %v", err)
	}
	return token
}

// TestRenewOnlyWhatItShould presses the new-link button with links in
// every state. Only an expired link or one replaced by a newer request
// gets a new mail; a used or reported link, one made longer ago than
// db.ResetLinkRenewable, one of a disabled or deleted account, and one
// still valid mail nothing and leave the merchant's current link alone.
// The answer is the same page every time, so that it tells nothing.
func TestRenewOnlyWhatItShould(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect string) {
		a := newTestApp(t, dialect)
		ctx := context.Background()
		ago := func(d time.Duration) time.Time { return a.now().Add(-d) }
		n, first := 0, "" // accounts made; the first answer, which every other must equal
		type link struct {
			token   string // the link the merchant holds
			current string // the account's current link, if any, which a refusal must leave alone
		}
		for _, tc := range []struct {
			name  string
			mails int
			setUp func(acct *db.Account) link
		}{
			{"expired", 1, func(acct *db.Account) link {
				return link{token: linkMadeAt(t, a, acct, ago(time.Hour))}
			}},
			{"replaced", 1, func(acct *db.Account) link {
				older := linkMadeAt(t, a, acct, ago(2*time.Hour))
				return link{token: older, current: linkMadeAt(t, a, acct, ago(time.Minute))}
			}},
			{"replaced 6 days ago", 1, func(acct *db.Account) link {
				return link{token: linkMadeAt(t, a, acct, ago(6*24*time.Hour)), current: linkMadeAt(t, a, acct, ago(time.Minute))}
			}},
			{"used", 0, func(acct *db.Account) link {
				used := issueToken(t, a, acct)
				openedBrowser(t, a, used).setNewPassword(t, resetFormPath, goodPassword)
				return link{token: used}
			}},
			{"replaced by a link that was used", 0, func(acct *db.Account) link {
				older := linkMadeAt(t, a, acct, ago(time.Hour))
				openedBrowser(t, a, issueToken(t, a, acct)).setNewPassword(t, resetFormPath, goodPassword)
				return link{token: older}
			}},
			{"reported", 0, func(acct *db.Account) link {
				token := issueToken(t, a, acct)
				res := postForm(t, a, route.Report+"?lang=ja", url.Values{"token": {reportKeyOf(t, a, token)}})
				if res.Status != http.StatusOK || tokenState(t, a, token) != db.TokenRevoked {
					t.Fatalf("report: status %d, link %v", res.Status, tokenState(t, a, token))
				}
				return link{token: token}
			}},
			{"replaced, then a newer one reported", 0, func(acct *db.Account) link {
				older := linkMadeAt(t, a, acct, ago(time.Hour))
				newer := issueToken(t, a, acct)
				postForm(t, a, route.Report+"?lang=ja", url.Values{"token": {reportKeyOf(t, a, newer)}})
				return link{token: older}
			}},
			{"too old", 0, func(acct *db.Account) link {
				old := linkMadeAt(t, a, acct, ago(db.ResetLinkRenewable+time.Minute))
				return link{token: old, current: issueToken(t, a, acct)}
			}},
			{"disabled account", 0, func(acct *db.Account) link {
				token := linkMadeAt(t, a, acct, ago(time.Hour))
				if err := account.ChangeStatus(ctx, a.db, acct.LoginID, account.Disable, db.Actor{Command: "test"}, "test", a.now()); err != nil {
					t.Fatal(err)
				}
				return link{token: token}
			}},
			{"deleted account", 0, func(acct *db.Account) link {
				token := linkMadeAt(t, a, acct, ago(time.Hour))
				if err := account.ChangeStatus(ctx, a.db, acct.LoginID, account.Delete, db.Actor{Command: "test"}, "test", a.now()); err != nil {
					t.Fatal(err)
				}
				return link{token: token}
			}},
			{"still valid", 0, func(acct *db.Account) link {
				token := issueToken(t, a, acct)
				return link{token: token, current: token}
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				n++
				acct := newAccount(t, a, fmt.Sprintf("renew%02d", n), fmt.Sprintf("renew%02d@example.jp", n), "ja")
				l := tc.setUp(acct)
				before := mailsTo(t, a, acct.Email)

				res := renew(t, a, l.token, views.Ja)
				if res.Status != http.StatusOK {
					t.Fatalf("status %d, want 200\n%s", res.Status, describe(res.Body))
				}
				page := withoutNonces(string(res.Body))
				if first == "" {
					first = page
					assertFullPage(t, res, "ja", views.T(views.Ja).Link.RenewedTitle)
				} else if page != first {
					t.Errorf("the page differs from the expired link's:\n%s\n---\n%s", first, page)
				}
				if got := mailsTo(t, a, acct.Email) - before; got != tc.mails {
					t.Errorf("%d new mails to the account, want %d", got, tc.mails)
				}
				if l.current != "" && tc.mails == 0 {
					if st := tokenState(t, a, l.current); st != db.TokenValid {
						t.Errorf("the account's current link is %v after a refused renewal, want it still valid", st)
					}
				}
			})
		}
	})
}

// TestRenewRefusesMalformedAndCrossSite posts tokens that cannot be links
// (the invalid link's page, nothing recorded), a well-formed token no
// link has (the same page as any renewal, nothing mailed) and a
// cross-site request (refused).
func TestRenewRefusesMalformedAndCrossSite(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect string) {
		a := newTestApp(t, dialect)
		acct := newAccount(t, a, "forge01", "forge01@example.jp", "ja")
		real := issueToken(t, a, acct)
		forged, _ := secret.NewToken()
		text := views.T(views.Ja)

		for _, token := range []string{"not-a-token", "", real + "x"} {
			intakeBefore := countRows(t, a.db, "intake_requests")
			res := postFormOnly(t, a, route.RenewLink+"?lang=ja", url.Values{"token": {token}})
			assertProblemPage(t, res, http.StatusNotFound, "ja", text.Problem(problem.LinkInvalid))
			assertLinkNext(t, res, "ja", problem.LinkInvalid, "")
			if got := countRows(t, a.db, "intake_requests"); got != intakeBefore {
				t.Errorf("token %q: a request was recorded", token)
			}
		}
		res := renew(t, a, forged, views.Ja)
		if res.Status != http.StatusOK {
			t.Fatalf("forged token: status %d, want the renewal's page", res.Status)
		}
		assertFullPage(t, res, "ja", text.Link.RenewedTitle)
		processIntake(t, a)
		if n := mailsTo(t, a, acct.Email); n != 0 {
			t.Errorf("%d mails after forged tokens, want 0", n)
		}
		if st := tokenState(t, a, real); st != db.TokenValid {
			t.Errorf("a forged token changed the account's link (state %v)", st)
		}

		req := httptest.NewRequest(http.MethodPost, route.RenewLink+"?lang=ja", strings.NewReader(url.Values{"token": {real}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		res = send(t, a, req)
		assertProblemPage(t, res, http.StatusForbidden, "ja", text.Problem(problem.CrossSite))
		if n := mailsTo(t, a, acct.Email); n != 0 {
			t.Errorf("a cross-site post mailed a link")
		}
		if st := tokenState(t, a, real); st != db.TokenValid {
			t.Errorf("a cross-site post changed the link (state %v)", st)
		}
	})
}
