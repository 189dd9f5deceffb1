package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func loadBrand(t *testing.T, env map[string]string) Config {
	t.Helper()
	cfg, err := Load(getenvFrom(env), func() []byte { return make([]byte, 32) })
	if err != nil {
		t.Fatalf("Load(%v): %v", env, err)
	}
	return cfg
}

// TestBrandDefaults checks that without the brand settings nothing is
// shown but the site's name, in both languages.
func TestBrandDefaults(t *testing.T) {
	t.Parallel()
	cfg := loadBrand(t, nil)
	b := cfg.Brand
	if b.SiteName.In("ja") != "加盟店管理サイト" || b.SiteName.In("en") != "Merchant Admin Site" {
		t.Errorf("SiteName = %+v", b.SiteName)
	}
	if b.SupportPhone != (Localized{}) || b.SupportURL != (Localized{}) || b.Company != (Localized{}) || b.Logo != "" || b.PrivacyURL != "" || b.SupportName != (Localized{}) || b.SupportHours != (Localized{}) {
		t.Errorf("Brand = %+v, want nothing but the site name", b)
	}
	if cfg.MailFrom.Name != "加盟店管理サイト" {
		t.Errorf("MailFrom.Name = %q", cfg.MailFrom.Name)
	}
}

func TestBrandValues(t *testing.T) {
	t.Parallel()
	logo := filepath.Join(t.TempDir(), "logo.svg")
	if err := os.WriteFile(logo, []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := loadBrand(t, map[string]string{
		"SITE_NAME":        "ペイ加盟店管理サイト",
		"SITE_NAME_EN":     "Pay Merchant Admin",
		"COMPANY_NAME":     "株式会社ペイ",
		"COMPANY_NAME_EN":  "Pay Inc.",
		"PRIVACY_URL":      "https://pay.example.com/privacy",
		"SUPPORT_NAME":     "加盟店サポートデスク",
		"SUPPORT_NAME_EN":  "Merchant Support",
		"SUPPORT_PHONE":    "0120-000-000",
		"SUPPORT_PHONE_EN": "+81-3-0000-0000",
		"SUPPORT_HOURS":    "平日 9:00〜18:00",
		"SUPPORT_URL":      "https://pay.example.com/contact",
		"MAIL_FROM":        "no-reply@pay.example.com",
		"LOGO_FILE":        logo,
	})
	b := cfg.Brand
	checks := []struct{ name, got, want string }{
		{"SiteName ja", b.SiteName.In("ja"), "ペイ加盟店管理サイト"},
		{"SiteName en", b.SiteName.In("en"), "Pay Merchant Admin"},
		{"cfg.SiteName", cfg.SiteName, "ペイ加盟店管理サイト"},
		{"Company en", b.Company.In("en"), "Pay Inc."},
		{"SupportName en", b.SupportName.In("en"), "Merchant Support"},
		{"SupportName ja", b.SupportName.In("ja"), "加盟店サポートデスク"},
		{"SupportPhone ja", b.SupportPhone.In("ja"), "0120-000-000"},
		{"SupportPhone en", b.SupportPhone.In("en"), "+81-3-0000-0000"},
		// Only the Japanese hours were given: better than none.
		{"SupportHours en", b.SupportHours.In("en"), "平日 9:00〜18:00"},
		{"SupportURL ja", b.SupportURL.In("ja"), "https://pay.example.com/contact"},
		{"SupportURL en", b.SupportURL.In("en"), "https://pay.example.com/contact"},
		{"PrivacyURL", b.PrivacyURL, "https://pay.example.com/privacy"},
		{"sender name", cfg.MailFrom.Name, "株式会社ペイ ペイ加盟店管理サイト"},
		{"tel", TelURL(b.SupportPhone.In("en")), "tel:+81300000000"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if !strings.HasPrefix(b.Logo, "data:image/svg+xml;base64,") {
		t.Errorf("Logo = %.40q", b.Logo)
	}
}

// TestBrandKeepsExplicitSenderName checks that a MAIL_FROM with a name is
// sent as written.
func TestBrandKeepsExplicitSenderName(t *testing.T) {
	t.Parallel()
	cfg := loadBrand(t, map[string]string{"COMPANY_NAME": "株式会社ペイ", "MAIL_FROM": "ペイ <no-reply@pay.example.com>"})
	if cfg.MailFrom.Name != "ペイ" {
		t.Errorf("MailFrom.Name = %q", cfg.MailFrom.Name)
	}
}

// TestBrandSiteNameEnFallsBack checks that a renamed site without an
// English name keeps its own name on English pages rather than the
// default's.
func TestBrandSiteNameEnFallsBack(t *testing.T) {
	t.Parallel()
	cfg := loadBrand(t, map[string]string{"SITE_NAME": "Shop Admin"})
	if got := cfg.Brand.SiteName.In("en"); got != "Shop Admin" {
		t.Errorf("SiteName en = %q", got)
	}
}

func TestBrandRefusesBadValues(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"phone letters", map[string]string{"SUPPORT_PHONE": "call us"}, []string{"SUPPORT_PHONE", "0120-000-000"}},
		{"phone en", map[string]string{"SUPPORT_PHONE": "0120-000-000", "SUPPORT_PHONE_EN": "tel:123"}, []string{"SUPPORT_PHONE_EN"}},
		{"support URL relative", map[string]string{"SUPPORT_URL": "/contact"}, []string{"SUPPORT_URL", "absolute URL"}},
		{"support URL javascript", map[string]string{"SUPPORT_URL": "javascript:alert(1)"}, []string{"SUPPORT_URL"}},
		{"privacy URL", map[string]string{"PRIVACY_URL": "privacy.html"}, []string{"PRIVACY_URL"}},
		{"English only", map[string]string{"COMPANY_NAME_EN": "Pay Inc."}, []string{"COMPANY_NAME_EN", "COMPANY_NAME"}},
		{"name too long", map[string]string{"COMPANY_NAME": strings.Repeat("株", 101)}, []string{"COMPANY_NAME", "100"}},
		{"name with a line break", map[string]string{"SUPPORT_HOURS": "平日\n9:00", "SUPPORT_URL": "https://pay.example.com/contact"}, []string{"SUPPORT_HOURS", "one line"}},
		{"name without a way to call", map[string]string{"SUPPORT_NAME": "加盟店サポートデスク"}, []string{"SUPPORT_NAME", "SUPPORT_PHONE"}},
		{"logo type", map[string]string{"LOGO_FILE": "logo.gif"}, []string{"LOGO_FILE", ".svg"}},
		{"logo missing", map[string]string{"LOGO_FILE": "/nonexistent/logo.svg"}, []string{"LOGO_FILE"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(getenvFrom(tc.env), func() []byte { return make([]byte, 32) })
			if err == nil {
				t.Fatalf("Load(%v) succeeded, want an error", tc.env)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}
