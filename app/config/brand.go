package config

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"unicode"
)

// defaultSiteName and defaultSiteNameEn are SITE_NAME and SITE_NAME_EN when
// neither is set.
const (
	defaultSiteName   = "加盟店管理サイト"
	defaultSiteNameEn = "Merchant Admin Site"
)

// maxLogoBytes bounds LOGO_FILE: it is inlined into every page.
const maxLogoBytes = 64 << 10

// Localized is a setting in Japanese with an optional English variant
// (NAME and NAME_EN).
type Localized struct {
	Ja string
	En string
}

// In is the value for lang ("ja" or "en"): the English one on English
// pages when it is set, the Japanese one otherwise, since nothing else was
// given.
func (l Localized) In(lang string) string {
	if lang == "en" && l.En != "" {
		return l.En
	}
	return l.Ja
}

// Brand is who runs the service and how merchants reach its support desk,
// shown in the header, the footer, on the pages where a merchant may be
// stuck and in every mail. Everything but the site name is optional;
// what is not set is not shown.
type Brand struct {
	SiteName     Localized // SITE_NAME, SITE_NAME_EN
	Company      Localized // COMPANY_NAME
	Logo         string    // LOGO_FILE as a data: URL, or "" for the key icon
	PrivacyURL   string    // PRIVACY_URL
	SupportName  Localized // SUPPORT_NAME: 加盟店サポートデスク
	SupportPhone Localized // SUPPORT_PHONE: 0120-000-000
	SupportHours Localized // SUPPORT_HOURS: 平日 9:00〜18:00
	SupportURL   Localized // SUPPORT_URL: the contact form or help page
}

// phonePattern is a telephone number as merchants dial it: digits with
// hyphens, spaces or brackets, an optional leading +.
var phonePattern = regexp.MustCompile(`^\+?[0-9][0-9 ()-]{4,23}[0-9]$`)

// TelURL is the tel: link of a number SUPPORT_PHONE accepted.
func TelURL(phone string) string {
	return "tel:" + strings.Map(func(r rune) rune {
		if r == '+' || (r >= '0' && r <= '9') {
			return r
		}
		return -1
	}, phone)
}

// brand reads the names, logo, privacy policy and support desk.
func (r *reader) brand(cfg *Config) {
	b := &cfg.Brand
	b.SiteName = Localized{Ja: r.label("SITE_NAME", defaultSiteName), En: r.label("SITE_NAME_EN", "")}
	if b.SiteName.En == "" && b.SiteName.Ja == defaultSiteName {
		b.SiteName.En = defaultSiteNameEn
	}
	cfg.SiteName = b.SiteName.Ja
	b.Company = r.localized("COMPANY_NAME", r.label)
	b.SupportName = r.localized("SUPPORT_NAME", r.label)
	b.SupportHours = r.localized("SUPPORT_HOURS", r.label)
	b.SupportPhone = r.localized("SUPPORT_PHONE", r.phone)
	b.SupportURL = r.localized("SUPPORT_URL", r.webURL)
	b.PrivacyURL = r.webURL("PRIVACY_URL", "")
	for _, name := range []string{"SUPPORT_NAME", "SUPPORT_HOURS"} {
		if r.get(name, "") == "" && r.get(name+"_EN", "") == "" {
			continue
		}
		if r.get("SUPPORT_PHONE", "") == "" && r.get("SUPPORT_URL", "") == "" {
			r.fail(fmt.Errorf("%s is set but neither SUPPORT_PHONE nor SUPPORT_URL: set one, so merchants can reach the desk", name))
			break
		}
	}
	if path := r.get("LOGO_FILE", ""); path != "" {
		logo, err := readLogo(path)
		if err != nil {
			r.fail(fmt.Errorf("LOGO_FILE=%q: %v", path, err))
		}
		b.Logo = logo
	}
}

// localized reads name and name_EN with read. An English variant without
// the Japanese one is refused: Japanese pages come first.
func (r *reader) localized(name string, read func(name, def string) string) Localized {
	l := Localized{Ja: read(name, ""), En: read(name+"_EN", "")}
	if l.En != "" && l.Ja == "" {
		r.fail(fmt.Errorf("%s_EN is set but %s is not: set the Japanese one too", name, name))
	}
	return l
}

// label reads a short text shown to merchants: one line, at most 100
// characters.
func (r *reader) label(name, def string) string {
	s := r.get(name, def)
	if len([]rune(s)) > 100 || strings.ContainsFunc(s, unicode.IsControl) {
		r.fail(fmt.Errorf("%s: use one line of at most 100 characters", name))
		return def
	}
	return s
}

// phone reads a telephone number such as 0120-000-000.
func (r *reader) phone(name, def string) string {
	s := r.get(name, def)
	if s != "" && !phonePattern.MatchString(s) {
		r.fail(fmt.Errorf("%s=%q: use a telephone number of digits and hyphens, such as 0120-000-000 or +81-3-0000-0000", name, s))
		return def
	}
	return s
}

// webURL reads an absolute http(s) URL, such as https://example.com/contact.
func (r *reader) webURL(name, def string) string {
	s := r.get(name, def)
	if s == "" {
		return s
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || strings.ContainsAny(s, " \t\"'<>") {
		r.fail(fmt.Errorf("%s=%q: use an absolute URL such as https://example.com/contact", name, s))
		return def
	}
	return s
}

// readLogo reads an image to inline as a data: URL, which the pages' CSP
// allows (img-src data:) and which needs no route of its own.
func readLogo(path string) (string, error) {
	types := map[string]string{".svg": "image/svg+xml", ".png": "image/png", ".webp": "image/webp", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
	mime, ok := types[strings.ToLower(filepath.Ext(path))]
	if !ok {
		return "", fmt.Errorf("use an .svg, .png, .webp or .jpg file")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	if len(data) == 0 || len(data) > maxLogoBytes {
		return "", fmt.Errorf("the file has %d bytes; use one of at most %d KiB", len(data), maxLogoBytes>>10)
	}
	return "data:" + mime + ";base64," + base64.StdEncoding.EncodeToString(data), nil
}

// senderName is MAIL_FROM's display name when it was left out: the
// company and the site, so merchants know who writes.
func (b Brand) senderName() string {
	if b.Company.Ja == "" {
		return b.SiteName.Ja
	}
	return b.Company.Ja + " " + b.SiteName.Ja
}
