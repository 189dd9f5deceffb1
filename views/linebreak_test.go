package views

import (
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"aikagi/app/problem"
	"aikagi/app/route"
	"aikagi/views/components"
	"aikagi/views/viewtest"
)

// phrasedScreens are the screens whose headings, buttons, labels and step
// pills are broken into phrases, with step 1's error summary and the
// new-password page's login ID.
func phrasedScreens(t *Text) map[string]templ.Component {
	site := Site{Name: "加盟店管理サイト", Support: components.Contact{
		Name: "加盟店サポートデスク", Phone: "0120-123-456", Tel: "0120123456", Hours: "平日 9:00〜18:00", URL: "https://support.example.com/",
	}}
	return map[string]templ.Component{
		"step 1": StepFormView(StepForm{T: t, J: ResetJourney, Errors: map[route.Field]problem.Problem{
			route.LoginID: problem.LoginIDRequired,
		}}),
		"step 2": StepConfirmView(StepConfirm{T: t, J: ResetJourney, State: "s",
			Values: map[route.Field]string{route.LoginID: "taro-01", route.Email: "taro@example.jp"}}),
		"step 2 suggested": StepConfirmView(StepConfirm{T: t, J: ResetJourney, State: "s", Suggestion: "taro@docomo.ne.jp",
			Values: map[route.Field]string{route.LoginID: "taro-01", route.Email: "taro@docomo.co.jp"}}),
		"step 3":       RequestSentView(RequestSent{T: t, Site: site, From: "no-reply@example.com", TTL: 30 * time.Minute}),
		"reminder 3":   ReminderSentView(t, "no-reply@example.com", site),
		"new password": NewPasswordFormView(NewPasswordForm{T: t, LoginID: "taro-01", StoreName: "山田商店", MinLength: 12}),
		"done":         ResetDoneView(ResetDone{T: t, Account: ResetAccount{LoginID: "taro-01", StoreName: "山田商店"}}),
		"link expired": LinkProblemView(LinkProblem{T: t, Site: site, Problem: problem.LinkExpired, Token: "tok"}),
		"link used":    LinkProblemView(LinkProblem{T: t, Site: site, Problem: problem.LinkUsed}),
		"link renewed": LinkRenewedView(LinkRenewed{T: t, Site: site, From: "no-reply@example.com", TTL: 30 * time.Minute}),
		"login":        LoginFormView(LoginForm{T: t}),
		"error":        ErrorPage(ErrorView{T: t, Site: site, Problem: problem.LinkExpired}),
		"report":       ReportView(ReportForm{T: t, Key: "k"}),
	}
}

// broken are the elements that break between phrases.
const broken = "h1, h2, button, label, dt, ol > li, a.btn-primary"

// TestPhrasesInJapanese: in Japanese every heading, button, label and step
// pill is one span of class phrase, its phrases joined by <wbr>, and its
// text is unchanged.
func TestPhrasesInJapanese(t *testing.T) {
	for name, c := range phrasedScreens(T(Ja)) {
		t.Run(name, func(t *testing.T) {
			doc := viewtest.Render(t, c)
			doc.Find(broken).Each(func(_ int, e *goquery.Selection) {
				if e.Find(".phrase").Length() != 1 {
					t.Errorf("%s %q has %d span.phrase, want 1", goquery.NodeName(e), e.Text(), e.Find(".phrase").Length())
				}
			})
			if n := doc.Find("wbr").Length() - doc.Find(".phrase wbr").Length() - addressBreaks(doc).Length(); n != 0 {
				t.Errorf("%d <wbr> outside a span.phrase or an address", n)
			}
		})
	}

	// Where the known headings and buttons break.
	for _, tc := range []struct {
		screen, sel string
		want        []string // the phrases
	}{
		{"step 1", "h1", []string{"パスワード再設定依頼"}},
		{"step 1", "h2", []string{"入力内容を", "確認してください"}},
		{"step 1", "label[for=login_id] .phrase", []string{"ログインID"}},
		{"step 1", "button", []string{"確認する"}},
		{"step 2", "h1", []string{"入力内容の", "確認"}},
		{"step 3", "h1", []string{"メール送信完了"}},
		{"new password", "h1", []string{"新しい", "パスワードの", "設定"}},
		{"new password", "label[for=password_confirm] .phrase", []string{"新しい", "パスワード(確認用)"}},
		{"new password", "button.btn-primary", []string{"パスワードを", "変更する"}},
		{"new password", "#reset-account", []string{"taro-01(山田商店)の", "新しい", "パスワード"}},
		{"error", "h1", []string{"URLの", "有効期限切れ"}},
		{"report", "button", []string{"再設定用URLを", "無効に", "する"}},
	} {
		doc := viewtest.Render(t, phrasedScreens(T(Ja))[tc.screen])
		if got := phrasesOf(t, doc, tc.sel); strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%s: %s breaks as %q, want %q", tc.screen, tc.sel, got, tc.want)
		}
	}
}

// addressBreaks are the <wbr> of the addresses on step 2, which break
// only before the "@" or after a dot.
func addressBreaks(doc *goquery.Document) *goquery.Selection {
	return doc.Find(".break-address > wbr").FilterFunction(func(_ int, w *goquery.Selection) bool {
		prev, next := w.Get(0).PrevSibling, w.Get(0).NextSibling
		return next != nil && strings.HasPrefix(next.Data, "@") || prev != nil && strings.HasSuffix(prev.Data, ".")
	})
}

// phrasesOf splits the text of the one element sel finds at its <wbr>s.
func phrasesOf(t *testing.T, doc *goquery.Document, sel string) []string {
	t.Helper()
	e := doc.Find(sel)
	if e.Length() != 1 {
		t.Fatalf("%d elements match %s, want 1", e.Length(), sel)
	}
	e = e.Clone()
	e.Find("wbr").ReplaceWithHtml("|")
	return strings.Split(strings.TrimSpace(e.Text()), "|")
}

// TestNoPhrasesInEnglish: English is left to the browser, as it was.
func TestNoPhrasesInEnglish(t *testing.T) {
	for name, c := range phrasedScreens(T(En)) {
		doc := viewtest.Render(t, c)
		// The store name is Japanese: "New password for taro-01 (山田商店)".
		doc.Find("#reset-account, #done-account").Remove()
		if n := doc.Find("wbr, .phrase").Length() - addressBreaks(doc).Length(); n > 0 {
			t.Errorf("%s: %d <wbr> or span.phrase in English", name, n)
		}
	}
}

// TestIDsAndAddressesStayWhole: a login ID or an address is in an element
// of class break-address, with the brackets around it, and no <wbr> or
// break-all splits it; step 2's address may break before its "@" and
// after the dots before it, and nowhere else.
func TestIDsAndAddressesStayWhole(t *testing.T) {
	for _, lang := range Langs {
		screens := phrasedScreens(T(lang))
		for _, tc := range []struct{ screen, sel, want string }{
			{"step 2", "#confirm-login-id.break-address", "taro-01"},
			{"step 2", "#confirm-email.break-address", "taro@example.jp"},
			{"new password", "#reset-account .break-address", "taro-01"},
		} {
			doc := viewtest.Render(t, screens[tc.screen])
			viewtest.WantText(t, doc, tc.sel, tc.want)
			viewtest.WantNone(t, doc, ".break-all")
		}
		for addr, want := range map[string]string{
			"taro@example.jp":               "taro|@example.jp",
			"taro.yamada.1985@docomo.ne.jp": "taro.|yamada.|1985|@docomo.ne.jp",
			"taro..yamada@docomo.ne.jp":     "taro..|yamada|@docomo.ne.jp",
			"taro.@ezweb.ne.jp":             "taro.|@ezweb.ne.jp",
		} {
			doc := viewtest.Render(t, StepConfirmView(StepConfirm{T: T(lang), J: ReminderJourney, State: "s",
				Values: map[route.Field]string{route.Email: addr}}))
			if got := phrasesOf(t, doc, "#confirm-email"); strings.Join(got, "|") != want {
				t.Errorf("step 2's address %s breaks as %q, want %q", addr, got, want)
			}
		}
		for _, screen := range []string{"step 3", "reminder 3"} {
			doc := viewtest.Render(t, screens[screen])
			sender := map[Lang]string{Ja: "「no-reply@example.com」", En: "“no-reply@example.com”."}[lang]
			viewtest.WantText(t, doc, "#sent-tips li:first-child + li .break-address", sender)
			domain := map[Lang]string{Ja: "「@example.com」", En: "“@example.com”"}[lang]
			viewtest.WantText(t, doc, "#carrier-domain .break-address", domain)
		}
	}
}
