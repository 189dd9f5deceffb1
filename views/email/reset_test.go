package email

import (
	"strings"
	"testing"
	"time"

	"aikagi/views"
	"aikagi/views/viewtest"
)

// mailTime is 15:30 in Japan.
var mailTime = time.Date(2026, 4, 1, 6, 30, 0, 0, time.UTC)

func TestResetMail(t *testing.T) {
	tests := []struct {
		lang                             views.Lang
		subject, greeting, button, until string
		report                           string
	}{
		{views.Ja, "【加盟店管理サイト】パスワード再設定のご案内", "山田商店 ご担当者様", "パスワードを再設定する",
			"有効期限: 4月1日(水)15:30(日本時間)まで", "心当たりがない場合はこちら"},
		{views.En, "[加盟店管理サイト] Reset your password", "Dear 山田商店,", "Reset my password",
			"Works until Wed, 1 Apr, 15:30 (Japan time)", "I did not ask for this"},
	}
	for _, tc := range tests {
		t.Run(string(tc.lang), func(t *testing.T) {
			m := ResetMail{
				Lang:      tc.lang,
				SiteName:  "加盟店管理サイト",
				LoginID:   "taro-01",
				StoreName: "山田商店",
				URL:       "https://reset.example.com/password-resetting/reset?token=tok-123&lang=" + string(tc.lang),
				ReportURL: "https://reset.example.com/password-resetting/report?token=rep-456&lang=" + string(tc.lang),
				ExpiresAt: mailTime,
			}
			if got := m.Subject(); got != tc.subject {
				t.Errorf("subject = %q, want %q", got, tc.subject)
			}

			doc := viewtest.Render(t, ResetMailHTML(m))
			viewtest.WantAttr(t, doc, "html", "lang", string(tc.lang))
			viewtest.WantText(t, doc, "title", tc.subject)
			viewtest.WantText(t, doc, "[data-button] a", tc.button)
			viewtest.WantText(t, doc, `a[href="`+m.URL+`"]`, tc.button)
			viewtest.WantText(t, doc, `a[href="`+m.ReportURL+`"]`, tc.report)
			body := viewtest.Text(t, doc, "body")
			for _, want := range []string{tc.greeting, tc.until, m.URL, m.ReportURL} {
				if !strings.Contains(body, want) {
					t.Errorf("HTML part does not say %q:\n%s", want, body)
				}
			}
			if n := doc.Find("a[href]").Length(); n != 2 {
				t.Errorf("%d links, want the reset link and the report link", n)
			}

			plain := ResetMailPlain(m)
			for _, want := range []string{tc.greeting, "\n" + m.URL + "\n", tc.until, tc.report, "\n" + m.ReportURL + "\n"} {
				if !strings.Contains(plain, want) {
					t.Errorf("plain text does not have %q:\n%s", want, plain)
				}
			}
		})
	}
}
