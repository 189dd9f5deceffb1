package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"aikagi/app/problem"
	"aikagi/app/route"
	"aikagi/app/secret"
	"aikagi/db"
	"aikagi/views"
)

// assertLinkNext checks the main button of the page about a link that
// cannot be used: a new link for the same account (expired, replaced),
// the login page (used) or step 1 (unknown).
func assertLinkNext(t testing.TB, res *response, lang string, p problem.Problem, token string) {
	t.Helper()
	doc := res.Doc(t)
	if n := doc.Find("#flow .btn-primary").Length(); n != 1 {
		t.Fatalf("%s page has %d main buttons, want 1\n%s", p, n, describe(res.Body))
	}
	main := doc.Find("#flow .btn-primary")
	q := "?lang=" + lang
	switch views.NextFor(p) {
	case views.NextNewLink:
		form := main.Closest("form")
		if action, _ := form.Attr("action"); action != route.RenewLink+q {
			t.Errorf("%s: main button posts to %q, want %s", p, action, route.RenewLink+q)
		}
		if got, _ := form.Find("input[name=token]").Attr("value"); got != token {
			t.Errorf("%s: the new-link form carries token %q, want the link's own", p, got)
		}
	case views.NextLogin:
		if href, _ := main.Attr("href"); href != route.Login+q {
			t.Errorf("%s: main button = %q, want %s", p, href, route.Login+q)
		}
	case views.NextRequest:
		if href, _ := main.Attr("href"); href != route.Request+q {
			t.Errorf("%s: main button = %q, want %s", p, href, route.Request+q)
		}
	}
}

// expiredLink requests a link for acct through steps 1–3 and lets it
// expire.
func expiredLink(t testing.TB, a *App, acct *db.Account) string {
	t.Helper()
	requestResetFlow(t, a, acct.LoginID, acct.Email)
	token := linkToken(t, mailedResetLink(t, a))
	advanceClock(a, a.cfg.TokenTTL+time.Minute)
	if st := tokenState(t, a, token); st != db.TokenExpired {
		t.Fatalf("token state = %v, want expired", st)
	}
	return token
}

// mailsTo delivers the outbox and counts the mails to addr.
func mailsTo(t testing.TB, a *App, addr string) int {
	t.Helper()
	if _, err := a.outbox.DeliverDue(context.Background()); err != nil {
		t.Fatalf("deliver: %v", err)
	}
	n := 0
	for _, m := range a.mailbox.Messages() {
		if m.To == addr {
			n++
		}
	}
	return n
}

// TestLinkPagesLeadOn opens a link in each state, in both languages, and
// checks the page's status and main button.
func TestLinkPagesLeadOn(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect string) {
		for _, lang := range views.Langs {
			a := newTestApp(t, dialect)
			l := string(lang)
			text := views.T(lang)

			expiredAcct := newAccount(t, a, "exp-"+l, "exp-"+l+"@example.jp", l)
			expired := expiredLink(t, a, expiredAcct)
			res := get(t, a, resetLink(expired, lang))
			assertProblemPage(t, res, http.StatusGone, l, text.Problem(problem.LinkExpired))
			assertTokenPageHeaders(t, res)
			assertLinkNext(t, res, l, problem.LinkExpired, expired)

			revokedAcct := newAccount(t, a, "rev-"+l, "rev-"+l+"@example.jp", l)
			older := issueToken(t, a, revokedAcct)
			issueToken(t, a, revokedAcct)
			res = get(t, a, resetLink(older, lang))
			assertProblemPage(t, res, http.StatusGone, l, text.Problem(problem.LinkRevoked))
			assertLinkNext(t, res, l, problem.LinkRevoked, older)

			usedAcct := newAccount(t, a, "used-"+l, "used-"+l+"@example.jp", l)
			used := issueToken(t, a, usedAcct)
			openedBrowser(t, a, used).setNewPassword(t, resetFormPath, goodPassword)
			res = get(t, a, resetLink(used, lang))
			assertProblemPage(t, res, http.StatusGone, l, text.Problem(problem.LinkUsed))
			assertLinkNext(t, res, l, problem.LinkUsed, "")
			if strings.Contains(string(res.Body), used) {
				t.Error("the used link's page repeats the token")
			}

			res = get(t, a, resetLink("not-a-token", lang))
			assertProblemPage(t, res, http.StatusNotFound, l, text.Problem(problem.LinkInvalid))
			assertLinkNext(t, res, l, problem.LinkInvalid, "")

			// The same page as an htmx fragment.
			res = get(t, a, resetLink(expired, lang), asHTMX)
			assertFragment(t, res, text.ProblemTitle(problem.LinkExpired))
		}
	})
}

// TestReportLinkPagesLeadOn checks the 「心当たりがない場合」 link's pages:
// a link that expired leads to the login page (the password is as it was),
// an unknown key to step 1.
func TestReportLinkPagesLeadOn(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect string) {
		a := newTestApp(t, dialect)
		acct := newAccount(t, a, "rep01", "rep01@example.jp", "ja")
		requestResetFlow(t, a, acct.LoginID, acct.Email)
		if _, err := a.outbox.DeliverDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		text := a.mailbox.Messages()[0].Text
		i := strings.Index(text, route.Report+"?")
		if i < 0 {
			t.Fatalf("no report link in the mail:\n%s", text)
		}
		report, _, _ := strings.Cut(text[i:], "\n")
		advanceClock(a, a.cfg.TokenTTL+time.Minute)
		res := get(t, a, report)
		assertProblemPage(t, res, http.StatusGone, "ja", views.T(views.Ja).Problem(problem.ReportLinkInactive))
		assertLinkNext(t, res, "ja", problem.ReportLinkInactive, "")

		res = get(t, a, route.Report+"?token=nope&lang=ja")
		assertProblemPage(t, res, http.StatusNotFound, "ja", views.T(views.Ja).Problem(problem.LinkInvalid))
		assertLinkNext(t, res, "ja", problem.LinkInvalid, "")
	})
}

// TestLoginPrefill checks the login ID the done page hands to the login
// page: filled in when it could be one, normalised as step 1 does, and
// ignored otherwise.
func TestLoginPrefill(t *testing.T) {
	a := newTestApp(t, "sqlite")
	tests := []struct{ query, want string }{
		{"taro-01", "taro-01"},
		{"ｔａｒｏ－０１", "taro-01"}, // full-width, as step 1 normalises
		{"  taro-01  ", "taro-01"},
		{"", ""},
		{"taro 01", ""}, // spaces: no account has them
		{"パスワードは0120-000-000へ\nお電話ください", ""}, // a line break: not an ID
		{"\x1b[31mtaro", ""},
		{strings.Repeat("a", 65), ""}, // too long
	}
	for _, tc := range tests {
		res := get(t, a, route.Login+"?lang=ja&"+url.Values{"login_id": {tc.query}}.Encode())
		if res.Status != http.StatusOK {
			t.Fatalf("%q: status %d", tc.query, res.Status)
		}
		if got := inputValue(res.Doc(t), "login_id"); got != tc.want {
			t.Errorf("login_id=%q: field = %q, want %q", tc.query, got, tc.want)
		}
	}
}

// TestDonePageNamesTheAccount follows a reset to the login page: the done
// page names the account, says the other devices were logged out, and its
// login button fills in the login ID.
func TestDonePageNamesTheAccount(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect string) {
		for _, lang := range views.Langs {
			a := newTestApp(t, dialect)
			text := views.T(lang)
			acct := newAccount(t, a, "done-"+string(lang), "done@example.jp", string(lang))
			b := openedBrowser(t, a, issueToken(t, a, acct))
			form := route.Reset + "?lang=" + string(lang) + "&opened=1"
			res := b.follow(t, b.setNewPassword(t, form, goodPassword))
			doc := res.Doc(t)
			if got, want := strings.TrimSpace(doc.Find("#done-account").Text()), text.Link.AccountIs(text.AccountLabel(acct.LoginID, acct.StoreName)); got != want {
				t.Errorf("done page names %q, want %q", got, want)
			}
			if got := strings.TrimSpace(doc.Find("#done-logged-out").Text()); got != text.Link.LoggedOut {
				t.Errorf("done page says %q, want %q", got, text.Link.LoggedOut)
			}
			href, _ := doc.Find("#done-login").Attr("href")
			if want := route.Login + "?lang=" + string(lang) + "&login_id=" + acct.LoginID; href != want {
				t.Fatalf("login button = %q, want %q", href, want)
			}
			if got := inputValue(b.get(t, href).Doc(t), "login_id"); got != acct.LoginID {
				t.Errorf("login page field = %q, want %q", got, acct.LoginID)
			}
		}
	})
}

// Opening the link records when it was first opened, for the support
// console's timeline, and leaves it usable.
func TestOpeningALinkIsRecorded(t *testing.T) {
	a := newTestApp(t, "sqlite")
	acct := newAccount(t, a, "opened01", "opened01@example.jp", "ja")
	requestResetFlow(t, a, acct.LoginID, acct.Email)
	token := linkToken(t, mailedResetLink(t, a))
	opened := func() *time.Time {
		tok, err := db.LookupResetToken(context.Background(), a.db, secret.HashToken(token))
		if err != nil || tok == nil {
			t.Fatalf("lookup token: %v", err)
		}
		return tok.OpenedAt
	}
	if at := opened(); at != nil {
		t.Fatalf("opened at %v before anyone opened it", at)
	}
	first := a.now()
	get(t, a, resetLink(token, views.Ja))
	advanceClock(a, time.Minute)
	get(t, a, resetLink(token, views.Ja))
	if at := opened(); at == nil || !at.Equal(db.Stamp(first)) {
		t.Errorf("opened at %v, want the first opening, %v", at, first)
	}
	if st := tokenState(t, a, token); st != db.TokenValid {
		t.Errorf("opening the link changed it to %v", st)
	}
}
