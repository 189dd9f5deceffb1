package views

import (
	"slices"
	"strings"
	"testing"

	"aikagi/app/problem"
	"aikagi/app/route"
	"aikagi/views/viewtest"
)

// newPasswordWords are the words of the new-password page the browser
// tests and the help center rely on.
var newPasswordWords = map[Lang]struct {
	title, account, password, confirm, show, hide, change string
	tooShort, mismatch, hint                              string
	shortOne, shortOther                                  string
}{
	Ja: {
		title: "新しいパスワードの設定", account: "taro-01(山田商店)の新しいパスワード",
		password: "新しいパスワード", confirm: "新しいパスワード(確認用)",
		show: "パスワードを表示する", hide: "パスワードを隠す", change: "パスワードを変更する",
		tooShort: "新しいパスワードは12文字以上にしてください。", mismatch: "確認用のパスワードが一致しません。",
		hint:     "12文字以上にしてください(長くても問題ありません)",
		shortOne: "あと{n}文字必要です", shortOther: "あと{n}文字必要です",
	},
	En: {
		title: "Set a new password", account: "New password for taro-01 (山田商店)",
		password: "New password", confirm: "Confirm new password",
		show: "Show password", hide: "Hide password", change: "Change password",
		tooShort: "Use at least 12 characters.", mismatch: "The two passwords differ.",
		hint:     "At least 12 characters (longer is fine)",
		shortOne: "{n} more character needed", shortOther: "{n} more characters needed",
	},
}

func TestNewPasswordForm(t *testing.T) {
	for _, lang := range Langs {
		t.Run(string(lang), func(t *testing.T) {
			w, q := newPasswordWords[lang], "?lang="+string(lang)
			text := T(lang)
			doc := viewtest.Render(t, NewPasswordFormView(NewPasswordForm{
				T: text, LoginID: "taro-01", StoreName: "山田商店", LinkMark: "mark-1", MinLength: 12,
			}))

			viewtest.WantText(t, doc, "h1", w.title)
			viewtest.WantText(t, doc, "#reset-account", w.account)
			viewtest.WantAttr(t, doc, "form[data-password-form]", "action", route.Reset+q)
			viewtest.WantAttr(t, doc, "input[name=username]", "value", "taro-01")
			viewtest.WantAttr(t, doc, "input[name=username]", "autocomplete", "username")
			viewtest.WantAttr(t, doc, "input[name=link]", "value", "mark-1")

			viewtest.WantAttr(t, doc, "input#password", "type", "password")
			viewtest.WantAttr(t, doc, "input#password", "autocomplete", "new-password")
			viewtest.WantAttr(t, doc, "input#password", "data-min-length", "12")
			viewtest.WantText(t, doc, "label[for=password]", w.password+" "+text.Required)
			if got := viewtest.Text(t, doc, "#password-hint"); !strings.HasPrefix(got, w.hint) {
				t.Errorf("#password-hint = %q, want it to start %q", got, w.hint)
			}
			viewtest.WantAttr(t, doc, "input#password_confirm", "type", "password")
			viewtest.WantText(t, doc, "label[for=password_confirm]", w.confirm+" "+text.Required)

			viewtest.WantAttr(t, doc, "#password-feedback", "aria-live", "polite")
			viewtest.WantAttr(t, doc, "#password-feedback", "data-msg-short-one", w.shortOne)
			viewtest.WantAttr(t, doc, "#password-feedback", "data-msg-short-other", w.shortOther)
			viewtest.WantAttr(t, doc, "#password-feedback", "data-msg-ok", text.PasswordFeedbackOK)

			// The hidden first button makes Enter change the password, not
			// show it.
			if got, want := viewtest.Texts(doc, "form button[type=submit]"), []string{w.change, w.show, w.change}; !slices.Equal(got, want) {
				t.Errorf("buttons = %q, want %q", got, want)
			}
			viewtest.WantAttr(t, doc, "button[data-reveal-toggle]", "value", "1")
			viewtest.WantAttr(t, doc, "button[data-reveal-toggle]", "aria-pressed", "false")
			viewtest.WantNone(t, doc, "#error-summary")
		})
	}
}

func TestNewPasswordFormErrors(t *testing.T) {
	for _, lang := range Langs {
		t.Run(string(lang), func(t *testing.T) {
			w := newPasswordWords[lang]
			doc := viewtest.Render(t, NewPasswordFormView(NewPasswordForm{
				T: T(lang), LoginID: "taro-01", StoreName: "山田商店", MinLength: 12,
				Errors: map[string]problem.Problem{"password": problem.PasswordTooShort, "password_confirm": problem.PasswordMismatch},
			}))

			var links []string
			for _, a := range doc.Find("#error-summary li a").EachIter() {
				links = append(links, a.AttrOr("href", ""))
			}
			if want := []string{"#password", "#password_confirm"}; !slices.Equal(links, want) {
				t.Errorf("summary links = %q, want %q", links, want)
			}
			for sel, want := range map[string]string{
				"#error-summary li a[href='#password']":         w.tooShort,
				"#error-summary li a[href='#password_confirm']": w.mismatch,
				"#password-error":         w.tooShort,
				"#password_confirm-error": w.mismatch,
			} {
				if got := viewtest.Text(t, doc, sel); !strings.Contains(got, want) {
					t.Errorf("%s = %q, want it to say %q", sel, got, want)
				}
			}
			viewtest.WantAttr(t, doc, "input#password", "aria-invalid", "true")
			viewtest.WantAttr(t, doc, "input#password", "aria-describedby", "password-hint password-error")
			viewtest.WantAttr(t, doc, "input#password_confirm", "aria-describedby", "password_confirm-error")
			viewtest.WantAttr(t, doc, "input#password", "value", "")
		})
	}
}

// TestNewPasswordFormRevealed is the no-JavaScript way to check what was
// typed: the passwords come back as text.
func TestNewPasswordFormRevealed(t *testing.T) {
	for _, lang := range Langs {
		t.Run(string(lang), func(t *testing.T) {
			w := newPasswordWords[lang]
			doc := viewtest.Render(t, NewPasswordFormView(NewPasswordForm{
				T: T(lang), LoginID: "taro-01", StoreName: "山田商店", MinLength: 12,
				Reveal: true, Password: "violet kumo river", Confirm: "violet kumo rivr",
			}))
			viewtest.WantAttr(t, doc, "input#password", "type", "text")
			viewtest.WantAttr(t, doc, "input#password", "value", "violet kumo river")
			viewtest.WantAttr(t, doc, "input#password_confirm", "type", "text")
			viewtest.WantAttr(t, doc, "input#password_confirm", "value", "violet kumo rivr")
			viewtest.WantText(t, doc, "button[data-reveal-toggle]", w.hide)
			viewtest.WantAttr(t, doc, "button[data-reveal-toggle]", "value", "0")
			viewtest.WantAttr(t, doc, "button[data-reveal-toggle]", "aria-pressed", "true")
		})
	}
}

func TestResetDone(t *testing.T) {
	for _, lang := range Langs {
		t.Run(string(lang), func(t *testing.T) {
			text := T(lang)
			doc := viewtest.Render(t, ResetDoneView(ResetDone{T: text, Account: ResetAccount{LoginID: "taro-01", StoreName: "山田商店"}}))
			viewtest.WantText(t, doc, "[role=status] h1", map[Lang]string{Ja: "パスワード再設定完了", En: "Password changed"}[lang])
			viewtest.WantText(t, doc, "#done-account", map[Lang]string{Ja: "ログインID: taro-01(山田商店)", En: "Login ID: taro-01 (山田商店)"}[lang])
			viewtest.WantText(t, doc, "#done-logged-out", map[Lang]string{Ja: "ほかの端末ではログアウトしました。", En: "You have been logged out on your other devices."}[lang])
			viewtest.WantAttr(t, doc, "a[target=_top]", "href", route.Login+"?lang="+string(lang)+"&login_id=taro-01")
			viewtest.WantText(t, doc, "a[target=_top]", text.ToLogin)

			// An account gone by now: the plain login link, no name.
			doc = viewtest.Render(t, ResetDoneView(ResetDone{T: text}))
			viewtest.WantAttr(t, doc, "a[target=_top]", "href", route.Login+"?lang="+string(lang))
			if doc.Find("#done-account").Length() != 0 {
				t.Errorf("done page names an account it does not know")
			}
		})
	}
}

func TestChooseResetLink(t *testing.T) {
	tests := []struct {
		lang                    Lang
		held, next, keep, swtch string
	}{
		{Ja, "taro-01(山田商店)", "evil-99(悪い店)", "taro-01(山田商店)のまま続ける", "evil-99(悪い店)に切り替える"},
		{En, "taro-01 (山田商店)", "evil-99 (悪い店)", "Continue with taro-01 (山田商店)", "Switch to evil-99 (悪い店)"},
	}
	for _, tc := range tests {
		t.Run(string(tc.lang), func(t *testing.T) {
			doc := viewtest.Render(t, ChooseResetLinkView(LinkChoiceView{
				T:        T(tc.lang),
				Held:     ResetAccount{LoginID: "taro-01", StoreName: "山田商店"},
				Next:     ResetAccount{LoginID: "evil-99", StoreName: "悪い店"},
				HeldMark: "held-mark", NextMark: "next-mark",
			}))
			viewtest.WantText(t, doc, "#held-account", tc.held)
			viewtest.WantText(t, doc, "#next-account", tc.next)
			viewtest.WantText(t, doc, "#keep-link", tc.keep)
			viewtest.WantAttr(t, doc, "#keep-link", "value", string(KeepHeldLink))
			viewtest.WantText(t, doc, "#switch-link", tc.swtch)
			viewtest.WantAttr(t, doc, "#switch-link", "value", string(SwitchToNextLink))
			viewtest.WantAttr(t, doc, "input[name=held]", "value", "held-mark")
			viewtest.WantAttr(t, doc, "input[name=next]", "value", "next-mark")
			viewtest.WantAttr(t, doc, "form", "action", route.ChooseLink+"?lang="+string(tc.lang))
			viewtest.WantAttr(t, doc, "form", "method", "post")
		})
	}
}

// TestResetStepsTellTheTruth: the link's pages show where the merchant is,
// and 完了 (done) is the current step only once the password is set.
func TestResetStepsTellTheTruth(t *testing.T) {
	for _, tc := range []struct {
		lang          Lang
		form, done    string
		formOf, donOf string
	}{
		{Ja, "2.新しいパスワード", "3.完了", "全3ステップ中2番目", "全3ステップ中3番目"},
		{En, "2.New password", "3.Done", "Step 2 of 3", "Step 3 of 3"},
	} {
		tx := T(tc.lang)
		form := viewtest.Render(t, NewPasswordFormView(NewPasswordForm{T: tx, LoginID: "taro-01", StoreName: "山田商店", MinLength: 12}))
		viewtest.WantText(t, form, `ol li[aria-current="step"]`, tc.form)
		viewtest.WantAttr(t, form, "ol", "aria-label", tc.formOf)
		done := viewtest.Render(t, ResetDoneView(ResetDone{T: tx, Account: ResetAccount{LoginID: "taro-01", StoreName: "山田商店"}}))
		viewtest.WantText(t, done, `ol li[aria-current="step"]`, tc.done)
		viewtest.WantAttr(t, done, "ol", "aria-label", tc.donOf)
	}
}
