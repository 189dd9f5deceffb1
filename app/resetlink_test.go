package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"aikagi/app/account"
	"aikagi/app/route"
	"aikagi/app/secret"
	"aikagi/db"
	"aikagi/views"
)

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
	for _, want := range []string{"When: Wed, 25 Nov, 10:00 (Japan time)", "From IP address: 0.0.0.0", "https://reset.example.test/password-resetting/regist?lang=en", "https://reset.example.test/login?lang=en"} {
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
