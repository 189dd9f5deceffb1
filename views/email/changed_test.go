package email

import (
	"slices"
	"strings"
	"testing"

	"aikagi/views"
	"aikagi/views/viewtest"
)

func TestPasswordChangedMail(t *testing.T) {
	tests := []struct {
		lang    views.Lang
		subject string
		rows    []string
	}{
		{views.Ja, "【加盟店管理サイト】パスワードが変更されました", []string{"変更日時|4月1日(水)15:30(日本時間)", "操作元IPアドレス|203.0.113.7"}},
		{views.En, "[加盟店管理サイト] Your password was changed", []string{"When|Wed, 1 Apr, 15:30 (Japan time)", "From IP address|203.0.113.7"}},
	}
	for _, tc := range tests {
		t.Run(string(tc.lang), func(t *testing.T) {
			m := PasswordChangedMail{
				Lang:      tc.lang,
				SiteName:  "加盟店管理サイト",
				LoginID:   "taro-01",
				StoreName: "山田商店",
				At:        mailTime,
				IP:        "203.0.113.7",
				ResetURL:  "https://reset.example.com/password-resetting/regist",
				LoginURL:  "https://admin.example.com/login",
			}
			if got := m.Subject(); got != tc.subject {
				t.Errorf("subject = %q, want %q", got, tc.subject)
			}
			doc := viewtest.Render(t, PasswordChangedMailHTML(m))
			viewtest.WantText(t, doc, "title", tc.subject)
			if got := viewtest.TableRows(doc); !slices.Equal(got, tc.rows) {
				t.Errorf("rows = %q, want %q", got, tc.rows)
			}
			for _, url := range []string{m.ResetURL, m.LoginURL} {
				viewtest.WantText(t, doc, `a[href="`+url+`"]`, url)
			}
			if body := viewtest.Text(t, doc, "body"); !strings.Contains(body, views.T(tc.lang).ChangedMail.NotYou) {
				t.Errorf("HTML part does not tell what to do if it was not you")
			}

			plain := PasswordChangedMailPlain(m)
			for _, row := range tc.rows {
				if want := strings.Replace(row, "|", ": ", 1); !strings.Contains(plain, want) {
					t.Errorf("plain text does not have %q:\n%s", want, plain)
				}
			}
			for _, want := range []string{m.ResetURL, m.LoginURL, views.T(tc.lang).ChangedMail.NotYou} {
				if !strings.Contains(plain, want) {
					t.Errorf("plain text does not have %q:\n%s", want, plain)
				}
			}
		})
	}
}
