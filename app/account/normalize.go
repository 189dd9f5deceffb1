// Package account holds the rules of merchant accounts, whoever applies
// them: normalising and validating login IDs and addresses, the password
// policy and hashing, and reading accounts from CSV.
package account

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"aikagi/app/problem"

	"golang.org/x/text/unicode/norm"
)

// loginIDDashes maps the dash-like characters that NFKC leaves alone, and
// that Japanese input methods produce when a merchant types "-".
var loginIDDashes = strings.NewReplacer(
	"ー", "-", // U+30FC katakana prolonged sound mark
	"−", "-", // U+2212 minus sign
	"‐", "-", // U+2010 hyphen
	"―", "-", // U+2015 horizontal bar
	"〜", "-", // U+301C wave dash
)

const (
	maxLoginIDRunes = 64
	maxEmailBytes   = 254
)

// invisible reports characters that trimming should also remove: spaces and
// the zero-width characters a copy from a mail or a PDF drags along.
func invisible(r rune) bool {
	return unicode.IsSpace(r) || r == '\u200b' || r == '\u200c' || r == '\u200d' || r == '\ufeff'
}

// NormalizeLoginID applies NFKC (full-width letters, digits and spaces
// become ASCII), trims, and maps the remaining dash-like characters to "-".
func NormalizeLoginID(s string) string {
	return loginIDDashes.Replace(strings.TrimFunc(norm.NFKC.String(s), invisible))
}

// NormalizeEmail applies NFKC (so ＠ becomes @) and trims.
func NormalizeEmail(s string) string {
	return strings.TrimFunc(norm.NFKC.String(s), invisible)
}

// NormalizePassword is the form a password is hashed and verified in: NFKC,
// so that a password typed in full width on a phone's input method and in
// half width on a PC is the same password (NIST SP 800-63B 5.1.1.2). It is
// never trimmed or case-folded: every other character the person typed
// counts.
func NormalizePassword(s string) string {
	return norm.NFKC.String(s)
}

// ValidateLoginID checks a normalised login ID.
func ValidateLoginID(s string) problem.Problem {
	switch {
	case s == "":
		return problem.LoginIDRequired
	case utf8.RuneCountInString(s) > maxLoginIDRunes:
		return problem.LoginIDTooLong
	case strings.ContainsFunc(s, HiddenOrSpace):
		return problem.LoginIDInvalid
	}
	return ""
}

// ValidateEmail checks a normalised address leniently: legacy carrier
// addresses (taro..yamada@docomo.ne.jp, taro.@ezweb.ne.jp) are real and pass;
// the check only catches what cannot be an address at all.
func ValidateEmail(s string) problem.Problem {
	if s == "" {
		return problem.EmailRequired
	}
	if len(s) > maxEmailBytes {
		return problem.EmailTooLong
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || len(local) > 64 || strings.Contains(domain, "@") ||
		strings.ContainsFunc(s, HiddenOrSpace) || strings.ContainsAny(local, `<>()[]\,;:"`) ||
		!validDomain(domain) {
		return problem.EmailInvalid
	}
	return ""
}

func HiddenOrSpace(r rune) bool {
	return invisible(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
}

// validDomain wants at least two labels of letters, digits and hyphens, not
// starting or ending with a hyphen, and a top-level label that is not numeric.
func validDomain(d string) bool {
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Mn, r) {
				return false
			}
		}
	}
	tld := labels[len(labels)-1]
	return strings.ContainsFunc(tld, unicode.IsLetter)
}
