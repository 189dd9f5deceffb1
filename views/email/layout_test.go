package email

import (
	"strings"
	"testing"

	"aikagi/views"
	"aikagi/views/components"
	"aikagi/views/viewtest"
)

var supportSite = views.Site{
	Name: "加盟店管理サイト", Company: "株式会社ペイ",
	Support: components.Contact{
		Name: "加盟店サポートデスク", Phone: "0120-000-000", Tel: "tel:0120000000",
		Hours: "平日 9:00〜18:00", URL: "https://pay.example/contact",
	},
}

// TestMailFooterNamesTheSupportDesk checks every mail's footer: replies go
// nowhere, so with the settings it says whom to contact, in the mail's
// language, in the HTML and the plain-text part; without them it says only
// that replies go nowhere.
func TestMailFooterNamesTheSupportDesk(t *testing.T) {
	for _, lang := range views.Langs {
		t.Run(string(lang), func(t *testing.T) {
			text := views.T(lang).Support
			// Every mail's HTML part shares mailLayout; the reminder stands
			// for them all.
			m := ReminderMail{Lang: lang, SiteName: "加盟店管理サイト", Accounts: []ReminderAccount{{LoginID: "taro01", StoreName: "山田商店"}},
				LoginURL: "https://reset.example.com/login", ResetURL: "https://reset.example.com/password-resetting/regist"}

			doc := viewtest.Render(t, WithSite(supportSite, ReminderMailHTML(m)))
			viewtest.WantAttr(t, doc, `a[href^="tel:"]`, "href", "tel:0120000000")
			viewtest.WantText(t, doc, `a[href^="tel:"]`, "0120-000-000")
			body := viewtest.Text(t, doc, "body")
			for _, want := range []string{text.MailNoReply("加盟店管理サイト"), text.MailContact, "加盟店サポートデスク", "平日 9:00〜18:00", "https://pay.example/contact", "株式会社ペイ 加盟店管理サイト"} {
				if !strings.Contains(body, want) {
					t.Errorf("HTML lacks %q", want)
				}
			}

			bare := viewtest.Render(t, ReminderMailHTML(m))
			viewtest.WantNone(t, bare, `a[href^="tel:"]`)
			if body := viewtest.Text(t, bare, "body"); strings.Contains(body, text.MailContact) || !strings.Contains(body, text.MailNoReply("加盟店管理サイト")) {
				t.Errorf("without a site: footer = %q", body)
			}

			plain := PlainFooter(lang, supportSite)
			for _, want := range []string{text.MailContact, "加盟店サポートデスク", text.Phone + ": 0120-000-000", text.Hours + ": 平日 9:00〜18:00", "https://pay.example/contact", "株式会社ペイ 加盟店管理サイト"} {
				if !strings.Contains(plain, want) {
					t.Errorf("plain footer lacks %q:\n%s", want, plain)
				}
			}
			if got := PlainFooter(lang, views.Site{Name: "加盟店管理サイト"}); got != "" {
				t.Errorf("plain footer without settings = %q, want nothing", got)
			}
		})
	}
}
