package recovery_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"aikagi/app/config"
	"aikagi/app/mail"
	"aikagi/app/recovery"
	"aikagi/app/route"
	"aikagi/db"
	"aikagi/views/components"
)

// TestSiteIn: the settings in the language asked for, English falling back
// to Japanese where no English is given, except the desk's name, which
// English pages show only as given; the tel: link from the number; and
// nothing invented when nothing is set.
func TestSiteIn(t *testing.T) {
	full := config.Brand{
		SiteName:     config.Localized{Ja: "加盟店管理サイト", En: "Merchant Admin"},
		Company:      config.Localized{Ja: "株式会社ペイ", En: "Pay Inc."},
		Logo:         "data:image/png;base64,AAAA",
		PrivacyURL:   "https://pay.example/privacy",
		SupportName:  config.Localized{Ja: "加盟店サポートデスク", En: "Merchant Support"},
		SupportPhone: config.Localized{Ja: "0120-000-000", En: "+81-3-0000-0000"},
		SupportHours: config.Localized{Ja: "平日 9:00〜18:00", En: "Weekdays 9:00-18:00 JST"},
		SupportURL:   config.Localized{Ja: "https://pay.example/contact", En: "https://pay.example/en/contact"},
	}
	japaneseOnly := config.Brand{
		SiteName:     config.Localized{Ja: "加盟店管理サイト"},
		Company:      config.Localized{Ja: "株式会社ペイ"},
		SupportName:  config.Localized{Ja: "加盟店サポートデスク"},
		SupportPhone: config.Localized{Ja: "(03) 0000-0000"},
	}
	tests := []struct {
		name  string
		brand config.Brand
		lang  route.Lang
		want  components.Site
	}{
		{"everything, Japanese", full, route.Ja, components.Site{
			Name: "加盟店管理サイト", Company: "株式会社ペイ", Logo: full.Logo, PrivacyURL: full.PrivacyURL,
			Support: components.Contact{Name: "加盟店サポートデスク", Phone: "0120-000-000", Tel: "tel:0120000000",
				Hours: "平日 9:00〜18:00", URL: "https://pay.example/contact"},
		}},
		{"everything, English", full, route.En, components.Site{
			Name: "Merchant Admin", Company: "Pay Inc.", Logo: full.Logo, PrivacyURL: full.PrivacyURL,
			Support: components.Contact{Name: "Merchant Support", Phone: "+81-3-0000-0000", Tel: "tel:+81300000000",
				Hours: "Weekdays 9:00-18:00 JST", URL: "https://pay.example/en/contact"},
		}},
		{"Japanese only, on a Japanese page", japaneseOnly, route.Ja, components.Site{
			Name: "加盟店管理サイト", Company: "株式会社ペイ",
			Support: components.Contact{Name: "加盟店サポートデスク", Phone: "(03) 0000-0000", Tel: "tel:0300000000"},
		}},
		{"Japanese only, on an English page", japaneseOnly, route.En, components.Site{
			Name: "加盟店管理サイト", Company: "株式会社ペイ",
			Support: components.Contact{Phone: "(03) 0000-0000", Tel: "tel:0300000000"},
		}},
		{"nothing but the name", config.Brand{SiteName: config.Localized{Ja: "加盟店管理サイト"}}, route.Ja,
			components.Site{Name: "加盟店管理サイト"}},
	}
	for _, tc := range tests {
		if got := recovery.SiteIn(tc.brand, tc.lang); got != tc.want {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, got, tc.want)
		}
	}
}

// everyMail makes each mail recovery sends, for an account in locale, and
// delivers them: the reset link, the login-ID reminder, the notice of a
// new password and the two notices of a new address.
func everyMail(t *testing.T, f *fixture, locale string) []mail.DevMessage {
	t.Helper()
	ctx := context.Background()
	acct := f.newAccount(t, "shop-"+locale, "taro-"+locale+"@example.jp", locale)
	f.matchReset(t, acct.LoginID, acct.Email)
	f.matchReminder(t, acct.Email)
	token := f.issueLink(t, acct, time.Hour)
	if used, err := f.Recovery.ChangePassword(ctx, acct, token, "$argon2id$x", client); err != nil || !used {
		t.Fatalf("ChangePassword = %v, %v", used, err)
	}
	if _, _, err := f.Recovery.ChangeEmail(ctx, acct.LoginID, "new-"+locale+"@example.jp", db.Actor{Command: "aikagi account set-email"}, ""); err != nil {
		t.Fatalf("ChangeEmail: %v", err)
	}
	msgs := f.deliver(t)
	var kept []mail.DevMessage
	for _, m := range msgs {
		// The link issued only to be used is no mail of its own here.
		if !strings.Contains(m.Text, token) {
			kept = append(kept, m)
		}
	}
	if len(kept) != 5 {
		t.Fatalf("%d mails, want 5: %v", len(kept), subjects(kept))
	}
	return kept
}

// TestMailFooters: every mail ends with the support desk and the company
// when they are set, in the mail's language, in both parts; without them
// it shows no empty label or line.
func TestMailFooters(t *testing.T) {
	t.Parallel()
	desk := map[string]string{
		"COMPANY_NAME":     "株式会社ペイ",
		"COMPANY_NAME_EN":  "Pay Inc.",
		"SUPPORT_NAME":     "加盟店サポートデスク",
		"SUPPORT_NAME_EN":  "Merchant Support",
		"SUPPORT_PHONE":    "0120-000-000",
		"SUPPORT_HOURS":    "平日 9:00〜18:00",
		"SUPPORT_HOURS_EN": "Weekdays 9:00-18:00 JST",
		"SUPPORT_URL":      "https://pay.example/contact",
	}
	tests := []struct {
		name           string
		env            map[string]string
		locale         string
		want, wantNone []string
		tel            bool
	}{
		{"the desk, Japanese", desk, "ja", []string{
			"お問い合わせは、下記のサポート窓口までお願いいたします。", "\n加盟店サポートデスク\n", "\n電話: 0120-000-000\n",
			"\n受付時間: 平日 9:00〜18:00\n", "\nhttps://pay.example/contact\n", "\n株式会社ペイ テスト管理サイト\n",
		}, nil, true},
		{"the desk, English", desk, "en", []string{
			"If you have any questions, please contact our support desk:", "\nMerchant Support\n", "\nPhone: 0120-000-000\n",
			"\nHours: Weekdays 9:00-18:00 JST\n", "\nhttps://pay.example/contact\n", "\nPay Inc. テスト管理サイト\n",
		}, []string{"加盟店サポートデスク"}, true},
		{"a telephone number alone", map[string]string{"SUPPORT_PHONE": "0120-000-000"}, "ja", []string{
			"お問い合わせは、下記のサポート窓口までお願いいたします。", "\n電話: 0120-000-000\n",
		}, []string{"受付時間", "株式会社"}, true},
		{"a company alone", map[string]string{"COMPANY_NAME": "株式会社ペイ"}, "ja", []string{
			"\n株式会社ペイ テスト管理サイト\n",
		}, []string{"お問い合わせは", "電話", "受付時間"}, false},
		{"nothing set, Japanese", nil, "ja", nil, []string{"お問い合わせは", "電話:", "受付時間", "株式会社"}, false},
		{"nothing set, English", nil, "en", nil, []string{"If you have any questions, please contact our support desk:", "Phone:", "Hours:"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, "sqlite", tc.env)
			for _, m := range everyMail(t, f, tc.locale) {
				html := htmlText(t, m.HTML)
				for _, want := range tc.want {
					if !strings.Contains(m.Text, want) {
						t.Errorf("%q: the plain text lacks %q:\n%s", m.Subject, want, m.Text)
					}
					if !strings.Contains(html, strings.TrimSpace(want)) {
						t.Errorf("%q: the HTML lacks %q", m.Subject, strings.TrimSpace(want))
					}
				}
				for _, unwanted := range tc.wantNone {
					if strings.Contains(m.Text, unwanted) || strings.Contains(html, unwanted) {
						t.Errorf("%q: the mail shows %q", m.Subject, unwanted)
					}
				}
				if tel := strings.Contains(m.HTML, `href="tel:0120000000"`); tel != tc.tel {
					t.Errorf("%q: a tel: link %v, want %v", m.Subject, tel, tc.tel)
				}
				if strings.Contains(m.Text, ": \n") || strings.HasSuffix(m.Text, "\n\n\n") {
					t.Errorf("%q: the plain text has an empty line or label:\n%s", m.Subject, m.Text)
				}
			}
		})
	}
}

// htmlText is the text a reader sees in an HTML part.
func htmlText(t *testing.T, html string) string {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(html))
	if err != nil {
		t.Fatalf("parse HTML: %v", err)
	}
	return doc.Find("body").Text()
}
