package email

import (
	"slices"
	"strings"
	"testing"

	"aikagi/views"
	"aikagi/views/viewtest"
)

func TestEmailChangedMail(t *testing.T) {
	tests := []struct {
		lang    views.Lang
		toOld   bool
		subject string
		rows    []string
		next    string
	}{
		{views.Ja, true, "【加盟店管理サイト】登録メールアドレスが変更されました",
			[]string{"ログインID|taro-01", "変更前|old@example.com", "変更後|new@example.com", "変更日時|4月1日(水)15:30(日本時間)"},
			"今後、パスワード再設定などのお知らせは変更後のアドレスにお送りします。このアドレスには届きません。"},
		{views.Ja, false, "【加盟店管理サイト】登録メールアドレスが変更されました",
			[]string{"ログインID|taro-01", "変更前|old@example.com", "変更後|new@example.com", "変更日時|4月1日(水)15:30(日本時間)"},
			"今後、パスワード再設定などのお知らせはこのアドレスにお送りします。"},
		{views.En, true, "[加盟店管理サイト] Your registered email address was changed",
			[]string{"Login ID|taro-01", "Before|old@example.com", "After|new@example.com", "When|Wed, 1 Apr, 15:30 (Japan time)"},
			"From now on, notices such as password reset links go to the new address, not to this one."},
		{views.En, false, "[加盟店管理サイト] Your registered email address was changed",
			[]string{"Login ID|taro-01", "Before|old@example.com", "After|new@example.com", "When|Wed, 1 Apr, 15:30 (Japan time)"},
			"From now on, notices such as password reset links go to this address."},
	}
	for _, tc := range tests {
		name := string(tc.lang) + " to new"
		if tc.toOld {
			name = string(tc.lang) + " to old"
		}
		t.Run(name, func(t *testing.T) {
			m := EmailChangedMail{
				Lang:      tc.lang,
				SiteName:  "加盟店管理サイト",
				StoreName: "山田商店",
				LoginID:   "taro-01",
				OldEmail:  "old@example.com",
				NewEmail:  "new@example.com",
				At:        mailTime,
				ToOld:     tc.toOld,
				LoginURL:  "https://admin.example.com/login",
				ResetURL:  "https://reset.example.com/password-resetting/regist",
			}
			if got := m.Subject(); got != tc.subject {
				t.Errorf("subject = %q, want %q", got, tc.subject)
			}
			text := views.T(tc.lang).EmailChangedMail
			other := text.ToNew
			if !tc.toOld {
				other = text.ToOld
			}

			doc := viewtest.Render(t, EmailChangedMailHTML(m))
			if got := viewtest.TableRows(doc); !slices.Equal(got, tc.rows) {
				t.Errorf("rows = %q, want %q", got, tc.rows)
			}
			body := viewtest.Text(t, doc, "body")
			if !strings.Contains(body, tc.next) {
				t.Errorf("HTML part does not say %q", tc.next)
			}
			if strings.Contains(body, other) {
				t.Errorf("HTML part says %q, meant for the other address", other)
			}
			for _, url := range []string{m.LoginURL, m.ResetURL} {
				viewtest.WantText(t, doc, `a[href="`+url+`"]`, url)
			}

			plain := EmailChangedMailPlain(m)
			for _, want := range []string{tc.next, m.LoginURL, m.ResetURL, "taro-01", "old@example.com", "new@example.com"} {
				if !strings.Contains(plain, want) {
					t.Errorf("plain text does not have %q:\n%s", want, plain)
				}
			}
			if strings.Contains(plain, other) {
				t.Errorf("plain text says %q, meant for the other address", other)
			}
		})
	}
}
