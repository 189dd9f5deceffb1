package email

import (
	"slices"
	"strings"
	"testing"

	"aikagi/views"
	"aikagi/views/viewtest"
)

func TestReminderMail(t *testing.T) {
	tests := []struct {
		lang    views.Lang
		subject string
		headers []string
	}{
		{views.Ja, "【加盟店管理サイト】ログインIDのお知らせ", []string{"ログインID", "店舗名"}},
		{views.En, "[加盟店管理サイト] Your login ID", []string{"Login ID", "Store"}},
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

			doc := viewtest.Render(t, ReminderMailHTML(m))
			viewtest.WantAttr(t, doc, "html", "lang", string(tc.lang))
			viewtest.WantText(t, doc, "title", tc.subject)
			if got := viewtest.Texts(doc, "th"); !slices.Equal(got, tc.headers) {
				t.Errorf("headers = %q, want %q", got, tc.headers)
			}
			if want := []string{"taro-01|山田商店", "taro-02|山田商店 駅前店"}; !slices.Equal(viewtest.TableRows(doc), want) {
				t.Errorf("rows = %q, want %q", viewtest.TableRows(doc), want)
			}
			for _, url := range []string{m.LoginURL, m.ResetURL} {
				if doc.Find(`a[href="`+url+`"]`).Length() != 1 {
					t.Errorf("no link to %s", url)
				}
			}

			plain := ReminderMailPlain(m)
			for _, want := range []string{"taro-01", "taro-02", "山田商店 駅前店", m.LoginURL, m.ResetURL, views.T(tc.lang).ReminderMail.NotYou} {
				if !strings.Contains(plain, want) {
					t.Errorf("plain text does not have %q:\n%s", want, plain)
				}
			}
		})
	}
}
