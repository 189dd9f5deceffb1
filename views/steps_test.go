package views

import (
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"aikagi/app/problem"
	"aikagi/app/route"
	"aikagi/views/viewtest"
)

// flowWords are the words of steps 1–3 that the help-center article and
// the browser tests quote, written out so that changing them is a decision.
type flowWords struct {
	loginID, email                string
	required                      string
	confirm, send, edit           string
	requestTitle, reminderTitle   string
	confirmTitle, sentTitle       string
	stepLabels                    [3]string
	stepOf1, stepOf2, stepOf3     string
	forgotLoginID, forgotPassword string
	otherLangName, otherLang      string
	errorSummary, loginIDRequired string
	emailInvalid                  string
	loginIDAnyCase                string // in the login ID's hint
}

var words = map[Lang]flowWords{
	Ja: {
		loginID: "ログインID", email: "登録メールアドレス", required: "必須",
		confirm: "確認する", send: "送信する", edit: "修正する",
		requestTitle: "パスワード再設定依頼", reminderTitle: "ログインID確認依頼",
		confirmTitle: "入力内容の確認", sentTitle: "メール送信完了",
		stepLabels: [3]string{"入力", "確認", "メール送信"},
		stepOf1:    "全3ステップ中1番目", stepOf2: "全3ステップ中2番目", stepOf3: "全3ステップ中3番目",
		forgotLoginID: "ログインIDをお忘れの方", forgotPassword: "パスワードをお忘れの方",
		otherLangName: "English", otherLang: "en",
		errorSummary:    "入力内容を確認してください",
		loginIDRequired: "ログインIDを入力してください。",
		emailInvalid:    "登録メールアドレスを「name@example.com」の形で入力してください。",
		loginIDAnyCase:  "大文字と小文字は区別しません。",
	},
	En: {
		loginID: "Login ID", email: "Registered email address", required: "Required",
		confirm: "Continue", send: "Send", edit: "Edit",
		requestTitle: "Request a password reset", reminderTitle: "Request a login ID reminder",
		confirmTitle: "Check your details", sentTitle: "Email sent",
		stepLabels: [3]string{"Details", "Check", "Email sent"},
		stepOf1:    "Step 1 of 3", stepOf2: "Step 2 of 3", stepOf3: "Step 3 of 3",
		forgotLoginID: "Forgot your login ID?", forgotPassword: "Forgot your password?",
		otherLangName: "日本語", otherLang: "ja",
		errorSummary:    "Please check the following",
		loginIDRequired: "Enter your login ID.",
		emailInvalid:    "Enter an email address in the correct format, like name@example.com.",
		loginIDAnyCase:  "Upper or lower case doesn’t matter.",
	},
}

func TestStepFormEmpty(t *testing.T) {
	for _, lang := range Langs {
		t.Run(string(lang), func(t *testing.T) {
			w, q := words[lang], "?lang="+string(lang)
			doc := viewtest.Render(t, StepFormView(StepForm{T: T(lang), J: ResetJourney}))

			viewtest.WantText(t, doc, "h1", w.requestTitle)
			viewtest.WantAttr(t, doc, "form", "action", route.Confirm+q)
			viewtest.WantAttr(t, doc, "form", "hx-post", route.Confirm+q)
			for _, f := range []struct{ id, typ, label string }{
				{"login_id", "text", w.loginID},
				{"email", "email", w.email},
			} {
				viewtest.WantAttr(t, doc, "input#"+f.id, "name", f.id)
				viewtest.WantAttr(t, doc, "input#"+f.id, "type", f.typ)
				viewtest.WantAttr(t, doc, "input#"+f.id, "value", "")
				viewtest.WantAttr(t, doc, "input#"+f.id, "aria-describedby", f.id+"-hint")
				viewtest.WantText(t, doc, "label[for="+f.id+"]", f.label+" "+w.required)
				viewtest.WantNone(t, doc, "input#"+f.id+"[aria-invalid]")
			}
			if got := doc.Find("#login_id-hint").Text(); !strings.Contains(got, w.loginIDAnyCase) {
				t.Errorf("login ID hint = %q, want it to say %q", got, w.loginIDAnyCase)
			}
			if got := viewtest.Texts(doc, "form button"); !slices.Equal(got, []string{w.confirm}) {
				t.Errorf("buttons = %q, want %q", got, w.confirm)
			}
			viewtest.WantNone(t, doc, "#error-summary")

			viewtest.WantAttr(t, doc, "ol[aria-label]", "aria-label", w.stepOf1)
			viewtest.WantText(t, doc, "ol li[aria-current=step]", "1."+w.stepLabels[0])
			viewtest.WantAttr(t, doc, "a[hreflang]", "href", route.Request+"?lang="+w.otherLang)
			viewtest.WantText(t, doc, "a[hreflang]", w.otherLangName)
			viewtest.WantAttr(t, doc, "#forgot-login-id", "href", route.ReminderRequest+q)
			viewtest.WantText(t, doc, "#forgot-login-id", w.forgotLoginID)
			viewtest.WantAttr(t, doc, "a[target=_top]", "href", route.Login+q)
		})
	}
}

func TestStepFormErrors(t *testing.T) {
	for _, lang := range Langs {
		t.Run(string(lang), func(t *testing.T) {
			w := words[lang]
			doc := viewtest.Render(t, StepFormView(StepForm{
				T:      T(lang),
				J:      ResetJourney,
				Values: map[route.Field]string{route.Email: "taro@example"},
				Errors: map[route.Field]problem.Problem{route.LoginID: problem.LoginIDRequired, route.Email: problem.EmailInvalid},
			}))

			viewtest.WantAttr(t, doc, "#error-summary", "role", "alert")
			viewtest.WantText(t, doc, "#error-summary-title", w.errorSummary)
			var links []string
			doc.Find("#error-summary li a").Each(func(_ int, a *goquery.Selection) {
				links = append(links, a.AttrOr("href", "")+" "+a.Text())
			})
			want := []string{"#login_id " + w.loginIDRequired, "#email " + w.emailInvalid}
			if !slices.Equal(links, want) {
				t.Errorf("summary links = %q, want %q", links, want)
			}

			viewtest.WantAttr(t, doc, "input#email", "value", "taro@example")
			viewtest.WantAttr(t, doc, "input#email", "aria-invalid", "true")
			viewtest.WantAttr(t, doc, "input#email", "aria-describedby", "email-hint email-error")
			viewtest.WantText(t, doc, "#email-error", "! "+w.emailInvalid)
			viewtest.WantAttr(t, doc, "input#login_id", "aria-invalid", "true")
			viewtest.WantText(t, doc, "#login_id-error", "! "+w.loginIDRequired)
		})
	}
}

func TestStepFormNotice(t *testing.T) {
	for _, lang := range Langs {
		t.Run(string(lang), func(t *testing.T) {
			text := T(lang)
			doc := viewtest.Render(t, StepFormView(StepForm{
				T:      text,
				J:      ResetJourney,
				Values: map[route.Field]string{route.LoginID: "taro-01", route.Email: "taro@example.com"},
				Notice: problem.FormExpired,
			}))
			viewtest.WantText(t, doc, "#error-summary li", text.Problem(problem.FormExpired))
			viewtest.WantNone(t, doc, "#error-summary li a")
			viewtest.WantAttr(t, doc, "input#login_id", "value", "taro-01")
			viewtest.WantAttr(t, doc, "input#email", "value", "taro@example.com")
		})
	}
}

// TestStepFormRefilled is step 1 after 「修正する」: the values back in their
// fields, no errors.
func TestStepFormRefilled(t *testing.T) {
	for _, lang := range Langs {
		t.Run(string(lang), func(t *testing.T) {
			doc := viewtest.Render(t, StepFormView(StepForm{
				T:      T(lang),
				J:      ResetJourney,
				Values: map[route.Field]string{route.LoginID: "taro-01", route.Email: `"taro"<b>@example.com`},
			}))
			viewtest.WantAttr(t, doc, "input#login_id", "value", "taro-01")
			viewtest.WantAttr(t, doc, "input#email", "value", `"taro"<b>@example.com`)
			viewtest.WantNone(t, doc, "#error-summary")
			viewtest.WantNone(t, doc, "[aria-invalid]")
			viewtest.WantNone(t, doc, "b")
		})
	}
}

func TestReminderStepForm(t *testing.T) {
	for _, lang := range Langs {
		t.Run(string(lang), func(t *testing.T) {
			w, q := words[lang], "?lang="+string(lang)
			doc := viewtest.Render(t, StepFormView(StepForm{T: T(lang), J: ReminderJourney}))
			viewtest.WantText(t, doc, "h1", w.reminderTitle)
			viewtest.WantAttr(t, doc, "form", "action", route.ReminderConfirm+q)
			viewtest.WantAttr(t, doc, "input#email", "name", "email")
			viewtest.WantNone(t, doc, "#login_id")
			viewtest.WantAttr(t, doc, "#forgot-password", "href", route.Request+q)
			viewtest.WantText(t, doc, "#forgot-password", w.forgotPassword)
			viewtest.WantNone(t, doc, "#forgot-login-id")
			viewtest.WantAttr(t, doc, "a[hreflang]", "href", route.ReminderRequest+"?lang="+w.otherLang)
		})
	}
}

func TestStepConfirm(t *testing.T) {
	for _, lang := range Langs {
		t.Run(string(lang), func(t *testing.T) {
			w, q := words[lang], "?lang="+string(lang)
			doc := viewtest.Render(t, StepConfirmView(StepConfirm{
				T:      T(lang),
				J:      ResetJourney,
				Values: map[route.Field]string{route.LoginID: "taro-01", route.Email: "taro@example.com"},
				State:  "signed.state",
			}))

			viewtest.WantText(t, doc, "h1", w.confirmTitle)
			viewtest.WantAttr(t, doc, "ol[aria-label]", "aria-label", w.stepOf2)
			viewtest.WantText(t, doc, "#confirm-login-id", "taro-01")
			viewtest.WantText(t, doc, "#confirm-email", "taro@example.com")
			var labels []string
			doc.Find("dl dt").Each(func(_ int, dt *goquery.Selection) { labels = append(labels, dt.Text()) })
			if want := []string{w.loginID, w.email}; !slices.Equal(labels, want) {
				t.Errorf("labels = %q, want %q", labels, want)
			}
			viewtest.WantAttr(t, doc, "input[name=state]", "value", "signed.state")
			viewtest.WantAttr(t, doc, "input[name=state]", "type", "hidden")

			if got, want := viewtest.Texts(doc, "form button"), []string{w.send, w.edit}; !slices.Equal(got, want) {
				t.Errorf("buttons = %q, want %q", got, want)
			}
			viewtest.WantAttr(t, doc, "form", "action", route.Send+q)
			viewtest.WantAttr(t, doc, "form button.btn-primary", "hx-post", route.Send+q)
			viewtest.WantAttr(t, doc, "form button.btn-secondary", "formaction", route.Request+q)
			viewtest.WantAttr(t, doc, "form button.btn-secondary", "hx-post", route.Request+q)
			viewtest.WantNone(t, doc, "#error-summary")
		})
	}
}

// TestStepConfirmSuggestion is step 2 for an address whose domain looks
// mistyped: 「もしかして」 with the likelier address, a button that posts
// the state back to step 1 asking for the fix (without JavaScript, and
// with htmx as 「修正する」 does), and 「送信する」 and 「修正する」 as the
// help center's article shows them, which keep the address as typed.
func TestStepConfirmSuggestion(t *testing.T) {
	for _, lang := range Langs {
		t.Run(string(lang), func(t *testing.T) {
			w, q, text := words[lang], "?lang="+string(lang), T(lang)
			doc := viewtest.Render(t, StepConfirmView(StepConfirm{
				T:          text,
				J:          ResetJourney,
				Values:     map[route.Field]string{route.LoginID: "taro-01", route.Email: "taro.yamada@docomo.co.jp"},
				State:      "signed.state",
				Suggestion: "taro.yamada@docomo.ne.jp",
			}))
			viewtest.WantText(t, doc, "#confirm-email", "taro.yamada@docomo.co.jp")
			viewtest.WantText(t, doc, "#email-suggestion h2", text.Suggest.Title)
			viewtest.WantText(t, doc, "#suggested-email", "taro.yamada@docomo.ne.jp")
			if got := viewtest.Text(t, doc, "#email-suggestion"); !strings.Contains(got, "docomo.co.jp") || !strings.Contains(got, text.Suggest.Keep) {
				t.Errorf("the suggestion does not name the typed domain or say how to keep it: %q", got)
			}
			fix := doc.Find("#email-suggestion form")
			if action, _ := fix.Attr("action"); action != route.Request+q {
				t.Errorf("the fix posts to %q, want %s", action, route.Request+q)
			}
			if method, _ := fix.Attr("method"); method != "post" {
				t.Errorf("the fix's form method = %q, want post", method)
			}
			viewtest.WantAttr(t, doc, "#email-suggestion input[name=state]", "value", "signed.state")
			viewtest.WantAttr(t, doc, "#email-suggestion input[name=fix]", "value", "email")
			viewtest.WantAttr(t, doc, "#fix-email", "type", "submit")
			viewtest.WantAttr(t, doc, "#fix-email", "hx-post", route.Request+q)
			viewtest.WantText(t, doc, "#fix-email", text.Suggest.Fix("docomo.ne.jp"))

			if got, want := viewtest.Texts(doc, "form:not(#email-suggestion form) button"), []string{w.send, w.edit}; !slices.Equal(got, want) {
				t.Errorf("buttons = %q, want %q", got, want)
			}
		})
	}
	doc := viewtest.Render(t, StepConfirmView(StepConfirm{T: T(Ja), J: ReminderJourney, State: "s",
		Values: map[route.Field]string{route.Email: "taro@example.jp"}}))
	viewtest.WantNone(t, doc, "#email-suggestion")
}

// TestStepConfirmSendFailed is step 2 shown again when step 3 could not
// record the request: the values and the state stay for another try.
func TestStepConfirmSendFailed(t *testing.T) {
	for _, lang := range Langs {
		t.Run(string(lang), func(t *testing.T) {
			text := T(lang)
			doc := viewtest.Render(t, StepConfirmView(StepConfirm{
				T:      text,
				J:      ResetJourney,
				Values: map[route.Field]string{route.LoginID: "taro-01", route.Email: "taro@example.com"},
				State:  "signed.state",
				Notice: problem.SendFailed,
			}))
			viewtest.WantAttr(t, doc, "#error-summary", "role", "alert")
			viewtest.WantText(t, doc, "#error-summary li", text.Problem(problem.SendFailed))
			viewtest.WantText(t, doc, "#confirm-login-id", "taro-01")
			viewtest.WantAttr(t, doc, "input[name=state]", "value", "signed.state")
		})
	}
}

func TestReminderStepConfirm(t *testing.T) {
	for _, lang := range Langs {
		t.Run(string(lang), func(t *testing.T) {
			w, q := words[lang], "?lang="+string(lang)
			doc := viewtest.Render(t, StepConfirmView(StepConfirm{
				T:      T(lang),
				J:      ReminderJourney,
				Values: map[route.Field]string{route.Email: "taro@example.com"},
				State:  "s",
			}))
			viewtest.WantText(t, doc, "#confirm-email", "taro@example.com")
			viewtest.WantNone(t, doc, "#confirm-login-id")
			viewtest.WantAttr(t, doc, "form", "action", route.ReminderSend+q)
			viewtest.WantAttr(t, doc, "form button.btn-secondary", "formaction", route.ReminderRequest+q)
			viewtest.WantText(t, doc, "dl dt", w.email)
		})
	}
}
