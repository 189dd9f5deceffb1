package views

import (
	"slices"
	"strings"
	"testing"

	"aikagi/app/route"
)

func TestReminderSent(t *testing.T) {
	for _, lang := range Langs {
		t.Run(string(lang), func(t *testing.T) {
			text, w, q := T(lang), words[lang], "?lang="+string(lang)
			doc := renderDoc(t, ReminderSentView(text, "no-reply@example.com"))

			wantText(t, doc, "[role=status] h1", w.sentTitle)
			wantAttr(t, doc, "ol[aria-label]", "aria-label", w.stepOf3)
			body := textOf(t, doc, "body")
			for _, want := range []string{text.ReminderSentLead, text.SentFilter("no-reply@example.com"), text.ReminderNoMail} {
				if !strings.Contains(body, want) {
					t.Errorf("page does not say %q", want)
				}
			}
			// The reset's lead and expiry are about a link this journey
			// does not send.
			if strings.Contains(body, text.SentLead) {
				t.Error("the reminder's step 3 speaks of a reset link")
			}
			wantAttr(t, doc, "#forgot-password", "href", route.Request+q)
		})
	}
}

func TestReminderMail(t *testing.T) {
	tests := []struct {
		lang    Lang
		subject string
		headers []string
	}{
		{Ja, "【加盟店管理サイト】ログインIDのお知らせ", []string{"ログインID", "店舗名"}},
		{En, "[加盟店管理サイト] Your login ID", []string{"Login ID", "Store"}},
	}
	for _, tc := range tests {
		t.Run(string(tc.lang), func(t *testing.T) {
			m := ReminderMail{
				Lang:     tc.lang,
				SiteName: "加盟店管理サイト",
				Accounts: []ReminderAccount{{LoginID: "taro-01", StoreName: "山田商店"}, {LoginID: "taro-02", StoreName: "山田商店 駅前店"}},
				LoginURL: "https://admin.example.com/login",
				ResetURL: "https://admin.example.com/password-resetting/regist",
			}
			if got := m.Subject(); got != tc.subject {
				t.Errorf("subject = %q, want %q", got, tc.subject)
			}

			doc := renderDoc(t, ReminderMailHTML(m))
			wantAttr(t, doc, "html", "lang", string(tc.lang))
			wantText(t, doc, "title", tc.subject)
			if got := texts(doc, "th"); !slices.Equal(got, tc.headers) {
				t.Errorf("headers = %q, want %q", got, tc.headers)
			}
			if want := []string{"taro-01|山田商店", "taro-02|山田商店 駅前店"}; !slices.Equal(tableRows(doc), want) {
				t.Errorf("rows = %q, want %q", tableRows(doc), want)
			}
			for _, url := range []string{m.LoginURL, m.ResetURL} {
				if doc.Find(`a[href="`+url+`"]`).Length() != 1 {
					t.Errorf("no link to %s", url)
				}
			}

			plain := ReminderMailPlain(m)
			for _, want := range []string{"taro-01", "taro-02", "山田商店 駅前店", m.LoginURL, m.ResetURL, T(tc.lang).ReminderMail.NotYou} {
				if !strings.Contains(plain, want) {
					t.Errorf("plain text does not have %q:\n%s", want, plain)
				}
			}
		})
	}
}
