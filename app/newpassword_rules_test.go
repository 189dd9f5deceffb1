package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"aikagi/app/account"
	"aikagi/app/problem"
	"aikagi/app/secret"
	"aikagi/db"
	"aikagi/views"
)

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
	if href, _ := res.Doc(t).Find(`#flow a[href^="/login"]`).Attr("href"); href != "/login?lang=en&login_id=english01" {
		t.Errorf("done page login link = %q", href)
	}

	res = get(t, a, resetLink(token, views.En))
	assertProblemPage(t, res, http.StatusGone, "en", en.Problem(problem.LinkUsed))
	if res.Doc(t).Find(`a#to-login.btn-primary[href="/login?lang=en"]`).Length() != 1 {
		t.Error("used link page has no English login button")
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
		if inputValue(doc, "password") != tc.password || inputValue(doc, "password_confirm") != tc.confirm {
			t.Errorf("%s: the page does not keep the typed passwords", tc.prob)
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
