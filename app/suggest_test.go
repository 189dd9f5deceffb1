package app

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"aikagi/app/route"
	"aikagi/views"
)

// confirmStep posts step 1 of the reset and returns step 2.
func confirmStep(t testing.TB, a *App, loginID, email string, opts ...reqOption) *response {
	t.Helper()
	res := postFormOnly(t, a, route.Confirm+"?lang=ja", url.Values{"login_id": {loginID}, "email": {email}}, opts...)
	if res.Status != http.StatusOK {
		t.Fatalf("confirm %q %q: status %d\n%s", loginID, email, res.Status, describe(res.Body))
	}
	return res
}

// TestDomainSuggestion checks step 2's 「もしかして」: asked for a mistyped
// carrier or webmail domain, not for a right one or a company's, in both
// journeys.
func TestDomainSuggestion(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	for _, tc := range []struct {
		email, want string // want: the suggested address, or "" for none
	}{
		{"taro@docomo.co.jp", "taro@docomo.ne.jp"},
		{"ｔａｒｏ＠ｇｍｉａｌ．ｃｏｍ", "taro@gmail.com"}, // normalised first
		{"Taro.Yamada@gmail.co.jp", "Taro.Yamada@gmail.com"},
		{"taro.@ezweb.jp", "taro.@ezweb.ne.jp"},
		{"taro@docomo.ne.jp", ""},
		{"taro@GMAIL.COM", ""},
		{"info@yamada-shoten.co.jp", ""},
		{"taro@kddi.com", ""},
	} {
		doc := confirmStep(t, a, "taro-01", tc.email).Doc(t)
		got := strings.TrimSpace(doc.Find("#suggested-email").Text())
		if got != tc.want {
			t.Errorf("%q: suggested %q, want %q", tc.email, got, tc.want)
		}
		// Whatever is suggested, the help article's buttons keep the
		// address as typed.
		if n := doc.Find(`form[action="/password-resetting/send?lang=ja"] button`).Length(); n != 2 {
			t.Errorf("%q: %d buttons of 「送信する」 and 「修正する」, want 2", tc.email, n)
		}
	}

	res := postFormOnly(t, a, reminderConfirm+"?lang=en", url.Values{"email": {"taro@ezweb.jp"}})
	if got := strings.TrimSpace(res.Doc(t).Find("#suggested-email").Text()); got != "taro@ezweb.ne.jp" {
		t.Errorf("the reminder's step 2 suggested %q, want taro@ezweb.ne.jp", got)
	}
}

// TestDomainSuggestionTellsNothing: step 2 reads no account, so its page,
// suggestion included, is the same byte for byte whether or not an
// account has that login ID and address (even a mistyped one, registered).
func TestDomainSuggestionTellsNothing(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect string) {
		registered, unknown := newTestApp(t, dialect), newTestApp(t, dialect)
		newAccount(t, registered, "taro-01", "taro@docomo.co.jp", "ja")
		newAccount(t, registered, "hanako-02", "hanako@gmail.com", "ja")
		for _, typed := range []struct{ loginID, email string }{
			{"taro-01", "taro@docomo.co.jp"},  // the account's own address, mistyped when it was registered
			{"hanako-02", "hanako@gmial.com"}, // the account's address, mistyped now
		} {
			for _, opts := range [][]reqOption{nil, {asHTMX}} {
				mine := confirmStep(t, registered, typed.loginID, typed.email, opts...)
				theirs := confirmStep(t, unknown, typed.loginID, typed.email, opts...)
				if withoutNonces(string(mine.Body)) != withoutNonces(string(theirs.Body)) {
					t.Errorf("%s: step 2 differs when an account matches:\n%s\n---\n%s", typed.email, mine.Body, theirs.Body)
				}
				if mine.Doc(t).Find("#email-suggestion").Length() != 1 {
					t.Errorf("%s: no suggestion", typed.email)
				}
			}
		}
	})
}

// TestDomainSuggestionFix presses the suggestion's button, without and
// with htmx: step 1 comes back with the suggested address and the login ID
// kept, and the request then reaches the account at the right address.
func TestDomainSuggestionFix(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect string) {
		a := newTestApp(t, dialect)
		acct := newAccount(t, a, "taro-01", "taro@docomo.ne.jp", "ja")
		ja := views.T(views.Ja)
		step2 := confirmStep(t, a, "taro-01", "taro@docomo.co.jp").Doc(t)
		state, _ := step2.Find("#email-suggestion input[name=state]").Attr("value")
		fix := url.Values{"state": {state}, "fix": {"email"}}

		res := postFormOnly(t, a, route.Request+"?lang=ja", fix)
		if res.Status != http.StatusOK {
			t.Fatalf("fix: status %d\n%s", res.Status, describe(res.Body))
		}
		assertFullPage(t, res, "ja", ja.RequestTitle)
		doc := res.Doc(t)
		if got := inputValue(doc, "email"); got != "taro@docomo.ne.jp" {
			t.Errorf("step 1's address after the fix = %q, want taro@docomo.ne.jp", got)
		}
		if got := inputValue(doc, "login_id"); got != "taro-01" {
			t.Errorf("step 1's login ID after the fix = %q, want it kept", got)
		}

		res = postFormOnly(t, a, route.Request+"?lang=ja", fix, asHTMX)
		assertFragment(t, res, ja.RequestTitle)
		if got := inputValue(res.Doc(t), "email"); got != "taro@docomo.ne.jp" {
			t.Errorf("step 1's address after the fix with htmx = %q", got)
		}

		// 「修正する」 itself refills the address as typed.
		res = postFormOnly(t, a, route.Request+"?lang=ja", url.Values{"state": {state}})
		if got := inputValue(res.Doc(t), "email"); got != "taro@docomo.co.jp" {
			t.Errorf("「修正する」 refilled %q, want the address as typed", got)
		}

		// Confirmed again, the right address asks nothing and reaches the account.
		if confirmStep(t, a, "taro-01", "taro@docomo.ne.jp").Doc(t).Find("#email-suggestion").Length() != 0 {
			t.Error("the fixed address is questioned again")
		}
		requestResetFlow(t, a, "taro-01", "taro@docomo.ne.jp")
		if n := mailsTo(t, a, acct.Email); n != 1 {
			t.Errorf("%d mails to the account after the fix, want 1", n)
		}
	})
}
