package views

import (
	"slices"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"aikagi/app/problem"
	"aikagi/app/route"
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
}

var words = map[Lang]flowWords{
	Ja: {
		loginID: "ログインID", email: "登録メールアドレス", required: "必須",
		confirm: "確認する", send: "送信する", edit: "修正する",
		requestTitle: "パスワード再設定依頼", reminderTitle: "ログインIDのお問い合わせ",
		confirmTitle: "入力内容の確認", sentTitle: "メール送信完了",
		stepLabels: [3]string{"入力", "確認", "完了"},
		stepOf1:    "全3ステップ中 1", stepOf2: "全3ステップ中 2", stepOf3: "全3ステップ中 3",
		forgotLoginID: "ログインIDをお忘れの方", forgotPassword: "パスワードをお忘れの方",
		otherLangName: "English", otherLang: "en",
		errorSummary:    "入力内容を確認してください",
		loginIDRequired: "ログインIDを入力してください。",
		emailInvalid:    "登録メールアドレスを「name@example.com」の形で入力してください。",
	},
	En: {
		loginID: "Login ID", email: "Registered e-mail address", required: "Required",
		confirm: "Confirm", send: "Send", edit: "Edit",
		requestTitle: "Request a password reset", reminderTitle: "Look up your login ID",
		confirmTitle: "Check your entries", sentTitle: "E-mail sent",
		stepLabels: [3]string{"Enter", "Check", "Done"},
		stepOf1:    "Step 1 of 3", stepOf2: "Step 2 of 3", stepOf3: "Step 3 of 3",
		forgotLoginID: "Forgot your login ID?", forgotPassword: "Forgot your password?",
		otherLangName: "日本語", otherLang: "ja",
		errorSummary:    "Please check your entries",
		loginIDRequired: "Enter your login ID.",
		emailInvalid:    "Enter the e-mail address in the form name@example.com.",
	},
}

func TestStepFormEmpty(t *testing.T) {
	for _, lang := range Langs {
		t.Run(string(lang), func(t *testing.T) {
			w, q := words[lang], "?lang="+string(lang)
			doc := renderDoc(t, StepFormView(StepForm{T: T(lang), J: ResetJourney}))

			wantText(t, doc, "h1", w.requestTitle)
			wantAttr(t, doc, "form", "action", route.Confirm+q)
			wantAttr(t, doc, "form", "hx-post", route.Confirm+q)
			for _, f := range []struct{ id, typ, label string }{
				{"login_id", "text", w.loginID},
				{"email", "email", w.email},
			} {
				wantAttr(t, doc, "input#"+f.id, "name", f.id)
				wantAttr(t, doc, "input#"+f.id, "type", f.typ)
				wantAttr(t, doc, "input#"+f.id, "value", "")
				wantAttr(t, doc, "input#"+f.id, "aria-describedby", f.id+"-hint")
				wantText(t, doc, "label[for="+f.id+"]", f.label+" "+w.required)
				wantNone(t, doc, "input#"+f.id+"[aria-invalid]")
			}
			if got := texts(doc, "form button"); !slices.Equal(got, []string{w.confirm}) {
				t.Errorf("buttons = %q, want %q", got, w.confirm)
			}
			wantNone(t, doc, "#error-summary")

			wantAttr(t, doc, "ol[aria-label]", "aria-label", w.stepOf1)
			wantText(t, doc, "ol li[aria-current=step]", "1."+w.stepLabels[0])
			wantAttr(t, doc, "a[hreflang]", "href", route.Request+"?lang="+w.otherLang)
			wantText(t, doc, "a[hreflang]", w.otherLangName)
			wantAttr(t, doc, "#forgot-login-id", "href", route.ReminderRequest+q)
			wantText(t, doc, "#forgot-login-id", w.forgotLoginID)
			wantAttr(t, doc, "a[target=_top]", "href", route.Login+q)
		})
	}
}

func TestStepFormErrors(t *testing.T) {
	for _, lang := range Langs {
		t.Run(string(lang), func(t *testing.T) {
			w := words[lang]
			doc := renderDoc(t, StepFormView(StepForm{
				T:      T(lang),
				J:      ResetJourney,
				Values: map[route.Field]string{route.Email: "taro@example"},
				Errors: map[route.Field]problem.Problem{route.LoginID: problem.LoginIDRequired, route.Email: problem.EmailInvalid},
			}))

			wantAttr(t, doc, "#error-summary", "role", "alert")
			wantText(t, doc, "#error-summary-title", w.errorSummary)
			var links []string
			doc.Find("#error-summary li a").Each(func(_ int, a *goquery.Selection) {
				links = append(links, a.AttrOr("href", "")+" "+a.Text())
			})
			want := []string{"#login_id " + w.loginIDRequired, "#email " + w.emailInvalid}
			if !slices.Equal(links, want) {
				t.Errorf("summary links = %q, want %q", links, want)
			}

			wantAttr(t, doc, "input#email", "value", "taro@example")
			wantAttr(t, doc, "input#email", "aria-invalid", "true")
			wantAttr(t, doc, "input#email", "aria-describedby", "email-hint email-error")
			wantText(t, doc, "#email-error", "! "+w.emailInvalid)
			wantAttr(t, doc, "input#login_id", "aria-invalid", "true")
			wantText(t, doc, "#login_id-error", "! "+w.loginIDRequired)
		})
	}
}

func TestStepFormNotice(t *testing.T) {
	for _, lang := range Langs {
		t.Run(string(lang), func(t *testing.T) {
			text := T(lang)
			doc := renderDoc(t, StepFormView(StepForm{
				T:      text,
				J:      ResetJourney,
				Values: map[route.Field]string{route.LoginID: "taro-01", route.Email: "taro@example.com"},
				Notice: problem.FormExpired,
			}))
			wantText(t, doc, "#error-summary li", text.Problem(problem.FormExpired))
			wantNone(t, doc, "#error-summary li a")
			wantAttr(t, doc, "input#login_id", "value", "taro-01")
			wantAttr(t, doc, "input#email", "value", "taro@example.com")
		})
	}
}

// TestStepFormRefilled is step 1 after 「修正する」: the values back in their
// fields, no errors.
func TestStepFormRefilled(t *testing.T) {
	for _, lang := range Langs {
		t.Run(string(lang), func(t *testing.T) {
			doc := renderDoc(t, StepFormView(StepForm{
				T:      T(lang),
				J:      ResetJourney,
				Values: map[route.Field]string{route.LoginID: "taro-01", route.Email: `"taro"<b>@example.com`},
			}))
			wantAttr(t, doc, "input#login_id", "value", "taro-01")
			wantAttr(t, doc, "input#email", "value", `"taro"<b>@example.com`)
			wantNone(t, doc, "#error-summary")
			wantNone(t, doc, "[aria-invalid]")
			wantNone(t, doc, "b")
		})
	}
}

func TestReminderStepForm(t *testing.T) {
	for _, lang := range Langs {
		t.Run(string(lang), func(t *testing.T) {
			w, q := words[lang], "?lang="+string(lang)
			doc := renderDoc(t, StepFormView(StepForm{T: T(lang), J: ReminderJourney}))
			wantText(t, doc, "h1", w.reminderTitle)
			wantAttr(t, doc, "form", "action", route.ReminderConfirm+q)
			wantAttr(t, doc, "input#email", "name", "email")
			wantNone(t, doc, "#login_id")
			wantAttr(t, doc, "#forgot-password", "href", route.Request+q)
			wantText(t, doc, "#forgot-password", w.forgotPassword)
			wantNone(t, doc, "#forgot-login-id")
			wantAttr(t, doc, "a[hreflang]", "href", route.ReminderRequest+"?lang="+w.otherLang)
		})
	}
}

func TestStepConfirm(t *testing.T) {
	for _, lang := range Langs {
		t.Run(string(lang), func(t *testing.T) {
			w, q := words[lang], "?lang="+string(lang)
			doc := renderDoc(t, StepConfirmView(StepConfirm{
				T:      T(lang),
				J:      ResetJourney,
				Values: map[route.Field]string{route.LoginID: "taro-01", route.Email: "taro@example.com"},
				State:  "signed.state",
			}))

			wantText(t, doc, "h1", w.confirmTitle)
			wantAttr(t, doc, "ol[aria-label]", "aria-label", w.stepOf2)
			wantText(t, doc, "#confirm-login-id", "taro-01")
			wantText(t, doc, "#confirm-email", "taro@example.com")
			var labels []string
			doc.Find("dl dt").Each(func(_ int, dt *goquery.Selection) { labels = append(labels, dt.Text()) })
			if want := []string{w.loginID, w.email}; !slices.Equal(labels, want) {
				t.Errorf("labels = %q, want %q", labels, want)
			}
			wantAttr(t, doc, "input[name=state]", "value", "signed.state")
			wantAttr(t, doc, "input[name=state]", "type", "hidden")

			if got, want := texts(doc, "form button"), []string{w.send, w.edit}; !slices.Equal(got, want) {
				t.Errorf("buttons = %q, want %q", got, want)
			}
			wantAttr(t, doc, "form", "action", route.Send+q)
			wantAttr(t, doc, "form button.btn-primary", "hx-post", route.Send+q)
			wantAttr(t, doc, "form button.btn-secondary", "formaction", route.Request+q)
			wantAttr(t, doc, "form button.btn-secondary", "hx-post", route.Request+q)
			wantNone(t, doc, "#error-summary")
		})
	}
}

// TestStepConfirmSendFailed is step 2 shown again when step 3 could not
// record the request: the values and the state stay for another try.
func TestStepConfirmSendFailed(t *testing.T) {
	for _, lang := range Langs {
		t.Run(string(lang), func(t *testing.T) {
			text := T(lang)
			doc := renderDoc(t, StepConfirmView(StepConfirm{
				T:      text,
				J:      ResetJourney,
				Values: map[route.Field]string{route.LoginID: "taro-01", route.Email: "taro@example.com"},
				State:  "signed.state",
				Notice: problem.SendFailed,
			}))
			wantAttr(t, doc, "#error-summary", "role", "alert")
			wantText(t, doc, "#error-summary li", text.Problem(problem.SendFailed))
			wantText(t, doc, "#confirm-login-id", "taro-01")
			wantAttr(t, doc, "input[name=state]", "value", "signed.state")
		})
	}
}

func TestReminderStepConfirm(t *testing.T) {
	for _, lang := range Langs {
		t.Run(string(lang), func(t *testing.T) {
			w, q := words[lang], "?lang="+string(lang)
			doc := renderDoc(t, StepConfirmView(StepConfirm{
				T:      T(lang),
				J:      ReminderJourney,
				Values: map[route.Field]string{route.Email: "taro@example.com"},
				State:  "s",
			}))
			wantText(t, doc, "#confirm-email", "taro@example.com")
			wantNone(t, doc, "#confirm-login-id")
			wantAttr(t, doc, "form", "action", route.ReminderSend+q)
			wantAttr(t, doc, "form button.btn-secondary", "formaction", route.ReminderRequest+q)
			wantText(t, doc, "dl dt", w.email)
		})
	}
}
