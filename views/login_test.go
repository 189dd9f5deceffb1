package views

import (
	"slices"
	"testing"

	"aikagi/app/problem"
	"aikagi/app/route"
	"aikagi/views/viewtest"
)

var loginWords = map[Lang]struct{ title, loginID, password, button, forgotPassword, forgotLoginID string }{
	Ja: {"ログイン", "ログインID", "パスワード", "ログイン", "パスワードをお忘れの方", "ログインIDをお忘れの方"},
	En: {"Log in", "Login ID", "Password", "Log in", "Forgot your password?", "Forgot your login ID?"},
}

func TestLoginForm(t *testing.T) {
	for _, lang := range Langs {
		t.Run(string(lang), func(t *testing.T) {
			w, q := loginWords[lang], "?lang="+string(lang)
			doc := viewtest.Render(t, LoginFormView(LoginForm{T: T(lang)}))

			viewtest.WantText(t, doc, "h1", w.title)
			viewtest.WantAttr(t, doc, "form", "action", route.Login+q)
			viewtest.WantAttr(t, doc, "input#login_id", "autocomplete", "username")
			viewtest.WantAttr(t, doc, "input#login_id", "value", "")
			viewtest.WantText(t, doc, "label[for=login_id]", w.loginID)
			viewtest.WantAttr(t, doc, "input#password", "type", "password")
			viewtest.WantAttr(t, doc, "input#password", "autocomplete", "current-password")
			viewtest.WantText(t, doc, "label[for=password]", w.password)
			if got := viewtest.Texts(doc, "form button"); !slices.Equal(got, []string{w.button}) {
				t.Errorf("buttons = %q, want %q", got, w.button)
			}
			viewtest.WantText(t, doc, "#forgot-password", w.forgotPassword)
			viewtest.WantAttr(t, doc, "#forgot-password", "href", route.Request+q)
			viewtest.WantText(t, doc, "#forgot-login-id", w.forgotLoginID)
			viewtest.WantAttr(t, doc, "#forgot-login-id", "href", route.ReminderRequest+q)
			viewtest.WantNone(t, doc, "#error-summary")
		})
	}
}

func TestLoginFormProblems(t *testing.T) {
	for _, lang := range Langs {
		text := T(lang)
		for _, p := range []problem.Problem{problem.LoginFailed, problem.LoginLocked, problem.LoginRequired} {
			t.Run(string(lang)+" "+string(p), func(t *testing.T) {
				doc := viewtest.Render(t, LoginFormView(LoginForm{T: text, LoginID: "taro-01", Problem: p}))
				viewtest.WantText(t, doc, "#error-summary li", text.problems[p])
				if p != problem.LoginLocked {
					viewtest.WantText(t, doc, "#error-summary h2", text.ErrorSummary)
				}
				viewtest.WantAttr(t, doc, "input#login_id", "value", "taro-01")
				viewtest.WantAttr(t, doc, "input#password", "value", "")
				// Only a lockout points at the way out: resetting the
				// password lifts it.
				locked := doc.Find("form a[href='" + route.Request + "?lang=" + string(lang) + "']")
				if want := p == problem.LoginLocked; (locked.Length() == 1) != want {
					t.Errorf("link to the reset request shown: %v, want %v", locked.Length() == 1, want)
				}
				if p == problem.LoginLocked {
					viewtest.WantText(t, doc, "form p.rounded-lg", text.LockedHelp+" "+text.RequestTitle)
				}
			})
		}
	}
}

func TestHome(t *testing.T) {
	tests := []struct {
		lang Lang
		lead string
	}{
		{Ja, "山田商店としてログインしています。"},
		{En, "You are logged in as 山田商店."},
	}
	for _, tc := range tests {
		doc := viewtest.Render(t, HomeView(T(tc.lang), "山田商店"))
		viewtest.WantText(t, doc, "#home-store", tc.lead)
		viewtest.WantAttr(t, doc, "form", "action", route.Logout+"?lang="+string(tc.lang))
		viewtest.WantText(t, doc, "form button", T(tc.lang).Logout)
	}
}
