package email

import (
	"strings"
	"testing"

	"github.com/a-h/templ"

	"aikagi/views"
	"aikagi/views/viewtest"
)

// mailPreview is what a phone's mail list shows of one mail: the hidden
// preheader of the HTML part and the first line of the plain part.
type mailPreview struct {
	name      string
	html      templ.Component
	plain     string
	preheader string
	firstLine string
}

func previews(lang views.Lang) []mailPreview {
	reset := ResetMail{Lang: lang, SiteName: "加盟店管理サイト", LoginID: "taro-01", StoreName: "山田商店",
		URL: "https://reset.example.com/r?token=t", ReportURL: "https://reset.example.com/p?token=k", ExpiresAt: mailTime}
	changed := PasswordChangedMail{Lang: lang, SiteName: "加盟店管理サイト", LoginID: "taro-01", StoreName: "山田商店",
		At: mailTime, IP: "203.0.113.7", ResetURL: "https://reset.example.com/regist", LoginURL: "https://admin.example.com/login"}
	reminder := ReminderMail{Lang: lang, SiteName: "加盟店管理サイト", Accounts: []ReminderAccount{{LoginID: "taro-01", StoreName: "山田商店"}},
		LoginURL: "https://admin.example.com/login", ResetURL: "https://reset.example.com/regist"}
	addr := EmailChangedMail{Lang: lang, SiteName: "加盟店管理サイト", StoreName: "山田商店", LoginID: "taro-01",
		OldEmail: "old@example.com", NewEmail: "new@example.com", At: mailTime,
		LoginURL: "https://admin.example.com/login", ResetURL: "https://reset.example.com/regist"}
	want := map[views.Lang][]mailPreview{
		views.Ja: {
			{preheader: "4月1日(水)15:30(日本時間)まで有効なパスワード再設定用URLです。", firstLine: "山田商店 ご担当者様"},
			{preheader: "4月1日(水)15:30(日本時間)に、ログインID taro-01 のパスワードが変更されました。", firstLine: "山田商店 ご担当者様"},
			{preheader: "このメールアドレスで登録されているログインIDをお知らせします。", firstLine: "このメールアドレスで登録されている加盟店管理サイトのログインIDは次のとおりです。"},
			{preheader: "4月1日(水)15:30(日本時間)に、登録メールアドレスが変更されました。", firstLine: "山田商店 ご担当者様"},
		},
		views.En: {
			{preheader: "Your password reset link works until Wed, 1 Apr, 15:30 (Japan time).", firstLine: "Dear 山田商店,"},
			{preheader: "The password of login ID taro-01 was changed on Wed, 1 Apr, 15:30 (Japan time).", firstLine: "Dear 山田商店,"},
			{preheader: "The login IDs registered to this email address.", firstLine: "These 加盟店管理サイト login IDs are registered to this email address:"},
			{preheader: "Your registered email address was changed on Wed, 1 Apr, 15:30 (Japan time).", firstLine: "Dear 山田商店,"},
		},
	}[lang]
	got := []mailPreview{
		{name: "reset", html: ResetMailHTML(reset), plain: ResetMailPlain(reset)},
		{name: "changed", html: PasswordChangedMailHTML(changed), plain: PasswordChangedMailPlain(changed)},
		{name: "reminder", html: ReminderMailHTML(reminder), plain: ReminderMailPlain(reminder)},
		{name: "email changed", html: EmailChangedMailHTML(addr), plain: EmailChangedMailPlain(addr)},
	}
	for i := range got {
		got[i].preheader, got[i].firstLine = want[i].preheader, want[i].firstLine
	}
	return got
}

// TestMailPreview checks what a phone's mail list shows: each HTML part
// starts its body with a hidden preheader, and no plain part starts with
// the site's name, which the subject and the sender already give.
func TestMailPreview(t *testing.T) {
	for _, lang := range views.Langs {
		for _, m := range previews(lang) {
			t.Run(string(lang)+"/"+m.name, func(t *testing.T) {
				doc := viewtest.Render(t, m.html)
				first := doc.Find("body").Children().First()
				if _, ok := first.Attr("data-preheader"); !ok {
					t.Fatalf("the body does not start with the preheader")
				}
				if got := strings.Trim(first.Text(), "\u200c\u00a0 "); got != m.preheader {
					t.Errorf("preheader = %q, want %q", got, m.preheader)
				}
				if style, _ := first.Attr("style"); !strings.Contains(style, "display:none") {
					t.Errorf("preheader is not hidden: style %q", style)
				}
				line, _, _ := strings.Cut(m.plain, "\n")
				if line != m.firstLine {
					t.Errorf("plain part starts with %q, want %q", line, m.firstLine)
				}
			})
		}
	}
}

// TestMailsNameTheAccount checks that the reset mail and the notice say
// which account, near the top, and that the reset mail's deadline stands
// right under its button.
func TestMailsNameTheAccount(t *testing.T) {
	want := map[views.Lang]struct{ account, deadline string }{
		views.Ja: {"ログインID: taro-01(山田商店)", "有効期限: 4月1日(水)15:30(日本時間)まで"},
		views.En: {"Login ID: taro-01 (山田商店)", "Works until Wed, 1 Apr, 15:30 (Japan time)"},
	}
	for _, lang := range views.Langs {
		t.Run(string(lang), func(t *testing.T) {
			w := want[lang]
			mails := previews(lang)[:2] // the reset mail and the notice
			for _, m := range mails {
				doc := viewtest.Render(t, m.html)
				viewtest.WantText(t, doc, "[data-account]", w.account)
				if lines := strings.Split(m.plain, "\n"); len(lines) < 2 || lines[1] != w.account {
					t.Errorf("%s: plain part's second line is not %q:\n%s", m.name, w.account, m.plain)
				}
			}
			doc := viewtest.Render(t, mails[0].html)
			viewtest.WantText(t, doc, "[data-deadline]", w.deadline)
			if _, ok := doc.Find("[data-button]").Next().Attr("data-deadline"); !ok {
				t.Errorf("the deadline does not follow the button")
			}
			if !strings.Contains(mails[0].plain, "https://reset.example.com/r?token=t\n"+w.deadline+"\n") {
				t.Errorf("plain part: the deadline does not follow the link:\n%s", mails[0].plain)
			}
		})
	}
}
