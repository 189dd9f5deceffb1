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

// reportKeyOf is the report key of the reset link token.
func reportKeyOf(t testing.TB, a *App, token string) string {
	t.Helper()
	tok, err := db.LookupResetToken(context.Background(), a.db, secret.HashToken(token))
	if err != nil || tok == nil {
		t.Fatalf("reset link not stored: %v", err)
	}
	return a.recovery.ReportKey(tok)
}

// reportPath is the path and query of the 「心当たりがない場合」 link for the
// reset link token, as the mail has it.
func reportPath(t testing.TB, a *App, token string, lang views.Lang) string {
	t.Helper()
	return route.Report + "?token=" + url.QueryEscape(reportKeyOf(t, a, token)) + "&lang=" + string(lang)
}

// TestReportLink follows 「心当たりがない場合」 from the mail: opening it
// changes nothing, another site cannot post it, the page's button revokes
// the reset link at once and flags the account for support, and the
// password stays as it was.
func TestReportLink(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		a := newTestApp(t, dialect)
		ja := views.T(views.Ja)
		acct := newAccount(t, a, "report01", "report01@example.jp", "ja")
		requestResetFlow(t, a, acct.LoginID, acct.Email)
		link := mailedResetLink(t, a)
		token := linkToken(t, link)
		mail := a.mailbox.Messages()[0]
		path := reportPath(t, a, token, views.Ja)
		if !strings.Contains(mail.Text, "https://reset.example.test"+path+"\n") {
			t.Fatalf("the mail has no report link %s:\n%s", path, mail.Text)
		}
		if strings.Contains(path, token) {
			t.Fatal("the report link carries the reset token")
		}
		holder := openedBrowser(t, a, token) // the merchant's browser, or the requester's
		before := rowCounts(t, a.db)

		// Opening the link (twice, as a mail scanner and then the merchant).
		for i := range 2 {
			res := get(t, a, path)
			if res.Status != http.StatusOK {
				t.Fatalf("open %d: status %d\n%s", i, res.Status, describe(res.Body))
			}
			assertTokenPageHeaders(t, res)
			assertFullPage(t, res, "ja", ja.ReportTitle)
			doc := res.Doc(t)
			form := doc.Find(`#flow form[action="/password-resetting/report?lang=ja"][method="post"]`)
			if form.Length() != 1 || form.Find("button[type=submit]").Length() != 1 {
				t.Fatalf("no POST form with a button:\n%s", describe(res.Body))
			}
			if key, _ := form.Find(`input[type=hidden][name=token]`).Attr("value"); key != reportKeyOf(t, a, token) {
				t.Errorf("the form posts key %q, not the link's", key)
			}
			if doc.Find("[hx-post], [hx-get]").Length() != 0 {
				t.Error("the report page depends on htmx; it must work without JavaScript")
			}
			if strings.Contains(string(res.Body), token) {
				t.Error("the report page contains the reset token")
			}
		}
		if st := tokenState(t, a, token); st != db.TokenValid {
			t.Fatalf("opening the report link made the reset link %v; only the POST acts", st)
		}
		if after := rowCounts(t, a.db); after["audit_events"] != before["audit_events"] {
			t.Errorf("opening the report link wrote audit events: %v", auditKinds(t, a.db))
		}

		// Another site posting the form.
		key := reportKeyOf(t, a, token)
		res := postForm(t, a, route.Report+"?lang=ja", url.Values{"token": {key}},
			withHeader("Sec-Fetch-Site", "cross-site"), withHeader("Origin", "https://evil.example"))
		if res.Status != http.StatusForbidden {
			t.Errorf("cross-site report: status %d, want 403", res.Status)
		}
		if st := tokenState(t, a, token); st != db.TokenValid {
			t.Fatalf("a cross-site post made the reset link %v", st)
		}
		if n := countWhere(t, a, "audit_events", "kind", db.AuditResetReported); n != 0 {
			t.Errorf("a cross-site post recorded %d reports", n)
		}

		// The page's button.
		res = postForm(t, a, route.Report+"?lang=ja", url.Values{"token": {key}},
			withHeader("User-Agent", "ReportTest/1"))
		if res.Status != http.StatusOK {
			t.Fatalf("report: status %d\n%s", res.Status, describe(res.Body))
		}
		assertTokenPageHeaders(t, res)
		assertFullPage(t, res, "ja", ja.ReportDoneTitle)
		if got := res.Doc(t).Find("#flow").Text(); !strings.Contains(got, "パスワードは変更されていません") {
			t.Errorf("the page does not say the password is unchanged: %q", got)
		}
		if st := tokenState(t, a, token); st != db.TokenRevoked {
			t.Errorf("reset link after the report: %v, want revoked", st)
		}
		var ev db.AuditEvent
		if err := a.db.NewSelect().Model(&ev).Where("kind = ?", db.AuditResetReported).Scan(context.Background()); err != nil {
			t.Fatalf("reset_reported event: %v", err)
		}
		if ev.AccountID == nil || *ev.AccountID != acct.ID || ev.LoginID != acct.LoginID || ev.UserAgent != "ReportTest/1" || !strings.Contains(ev.Detail, "support") {
			t.Errorf("reset_reported event = %+v", ev)
		}
		if got := storedHash(t, a, acct.ID); got != acct.PasswordHash {
			t.Error("the report changed the password")
		}

		// The reset link is dead now, in the browser that held it too.
		assertProblemPage(t, get(t, a, link), http.StatusGone, "ja", ja.Problem(problem.LinkRevoked))
		res = holder.post(t, resetFormPath, url.Values{"password": {goodPassword}, "password_confirm": {goodPassword}})
		assertProblemPage(t, res, http.StatusGone, "ja", ja.Problem(problem.LinkRevoked))

		// Reporting again: nothing left to revoke, said plainly.
		assertProblemPage(t, get(t, a, path), http.StatusGone, "ja", ja.Problem(problem.ReportLinkInactive))
		res = postForm(t, a, route.Report+"?lang=ja", url.Values{"token": {key}})
		assertProblemPage(t, res, http.StatusGone, "ja", ja.Problem(problem.ReportLinkInactive))
		if n := countWhere(t, a, "audit_events", "kind", db.AuditResetReported); n != 1 {
			t.Errorf("reset_reported events = %d, want 1", n)
		}
	})
}

// TestReportLinkStates checks the page of a report link whose reset link
// was used, has expired or never existed, and its English.
func TestReportLinkStates(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	ja, en := views.T(views.Ja), views.T(views.En)

	used := issueToken(t, a, newAccount(t, a, "rused01", "rused01@example.jp", "ja"))
	openedBrowser(t, a, used).setNewPassword(t, resetFormPath, goodPassword)
	usedPath := reportPath(t, a, used, views.Ja)
	assertProblemPage(t, get(t, a, usedPath), http.StatusGone, "ja", ja.Problem(problem.ReportLinkUsed))
	assertProblemPage(t, get(t, a, reportPath(t, a, used, views.En)), http.StatusGone, "en", en.Problem(problem.ReportLinkUsed))

	expiring := issueToken(t, a, newAccount(t, a, "rexp01", "rexp01@example.jp", "ja"))
	expiringPath := reportPath(t, a, expiring, views.Ja)
	live := issueToken(t, a, newAccount(t, a, "rlive01", "rlive01@example.jp", "ja"))
	livePath := reportPath(t, a, live, views.En)
	res := get(t, a, livePath)
	assertFullPage(t, res, "en", en.ReportTitle)
	if got := strings.TrimSpace(res.Doc(t).Find("#report-link").Text()); got != en.ReportButton {
		t.Errorf("English button = %q", got)
	}
	advanceClock(a, a.cfg.TokenTTL+time.Second)
	res = get(t, a, expiringPath)
	assertProblemPage(t, res, http.StatusGone, "ja", ja.Problem(problem.ReportLinkInactive))
	assertTokenPageHeaders(t, res)
	res = postForm(t, a, route.Report+"?lang=ja", url.Values{"token": {reportKeyOf(t, a, expiring)}})
	assertProblemPage(t, res, http.StatusGone, "ja", ja.Problem(problem.ReportLinkInactive))

	liveKey := reportKeyOf(t, a, live)
	id, mac, _ := strings.Cut(liveKey, ".")
	for name, key := range map[string]string{
		"empty":              "",
		"nonsense":           "hello",
		"no MAC":             id,
		"wrong MAC":          id + ".AAAAAAAAAAAAAAAAAAAAAA",
		"MAC of another row": "999999." + mac,
		"negative ID":        "-" + liveKey,
		"reset token":        live,
		"too long":           liveKey + strings.Repeat("A", 100),
	} {
		res := get(t, a, route.Report+"?"+url.Values{"token": {key}, "lang": {"ja"}}.Encode())
		assertProblemPage(t, res, http.StatusNotFound, "ja", ja.Problem(problem.LinkInvalid))
		res = postForm(t, a, route.Report+"?lang=ja", url.Values{"token": {key}})
		if res.Status != http.StatusNotFound {
			t.Errorf("%s: POST status %d, want 404", name, res.Status)
		}
	}
	if n := countWhere(t, a, "audit_events", "kind", db.AuditResetReported); n != 0 {
		t.Errorf("refused reports recorded %d events", n)
	}
	if st := tokenState(t, a, live); st != db.TokenExpired {
		t.Errorf("the live link is %v after bad reports, want it only expired by the clock", st)
	}
}

// TestReportPagesNeverFramed checks that the report pages refuse framing
// even where steps 1–3 may be framed.
func TestReportPagesNeverFramed(t *testing.T) {
	t.Parallel()
	a := newTestAppEnv(t, "sqlite", map[string]string{"FRAME_ANCESTORS": "https://help.example.com"})
	token := issueToken(t, a, newAccount(t, a, "rframe01", "rframe01@example.jp", "ja"))
	path := reportPath(t, a, token, views.Ja)
	key := reportKeyOf(t, a, token)
	for name, res := range map[string]*response{
		"page":    get(t, a, path),
		"done":    postForm(t, a, route.Report+"?lang=ja", url.Values{"token": {key}}),
		"revoked": get(t, a, path),
		"invalid": get(t, a, route.Report+"?token=nonsense"),
	} {
		if res.Status >= 500 {
			t.Errorf("%s: status %d", name, res.Status)
		}
		assertTokenPageHeaders(t, res)
	}
}

// A reported link's page does not offer a new link in one tap (its renewal
// would mail nothing): its main button leads to step 1. A replaced link's
// does.
func TestReportedLinkOffersNoRenewal(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	acct := newAccount(t, a, "report02", "report02@example.jp", "ja")
	requestResetFlow(t, a, acct.LoginID, acct.Email)
	reported := linkToken(t, mailedResetLink(t, a))
	if res := postForm(t, a, route.Report+"?lang=ja", url.Values{"token": {reportKeyOf(t, a, reported)}}); res.Status != http.StatusOK {
		t.Fatalf("report: %d", res.Status)
	}
	advanceClock(a, time.Minute)
	requestResetFlow(t, a, acct.LoginID, acct.Email)
	replaced := linkToken(t, mailedResetLink(t, a))
	advanceClock(a, time.Minute)
	requestResetFlow(t, a, acct.LoginID, acct.Email)

	for token, want := range map[string]string{reported: string(views.NextRequest), replaced: string(views.NextNewLink)} {
		res := get(t, a, route.Reset+"?token="+token)
		next, _ := res.Doc(t).Find("#link-next").Attr("data-next")
		if next != want {
			t.Errorf("link page's next step = %q, want %q", next, want)
		}
	}
}
