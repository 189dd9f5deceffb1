package account

import (
	"strings"
	"testing"

	"aikagi/app/problem"
)

func TestNormalizeLoginID(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   string
		want string
		prob problem.Problem
	}{
		{"plain", "taro01", "taro01", ""},
		{"full-width letters and digits", "ｔａｒｏ０１", "taro01", ""},
		{"full-width capitals", "ＴＡＲＯ", "TARO", ""},
		{"full-width hyphen-minus", "shop－01", "shop-01", ""},
		{"full-width space around", "\u3000taro01\u3000", "taro01", ""},
		{"ASCII spaces, tab and newline around", " \ttaro01\r\n", "taro01", ""},
		{"katakana prolonged sound mark", "shopー01", "shop-01", ""},
		{"half-width prolonged sound mark", "shopｰ01", "shop-01", ""},
		{"minus sign", "shop−01", "shop-01", ""},
		{"hyphen", "shop‐01", "shop-01", ""},
		{"horizontal bar", "shop―01", "shop-01", ""},
		{"wave dash", "shop〜01", "shop-01", ""},
		{"zero-width space around", "\u200btaro01\ufeff", "taro01", ""},
		{"empty", "", "", problem.LoginIDRequired},
		{"only spaces", " \u3000 ", "", problem.LoginIDRequired},
		{"64 characters", strings.Repeat("あ", 64), strings.Repeat("あ", 64), ""},
		{"65 characters", strings.Repeat("あ", 65), strings.Repeat("あ", 65), problem.LoginIDTooLong},
		{"65 full-width characters", strings.Repeat("ａ", 65), strings.Repeat("a", 65), problem.LoginIDTooLong},
		{"space inside", "taro 01", "taro 01", problem.LoginIDInvalid},
		{"full-width space inside", "taro\u300001", "taro 01", problem.LoginIDInvalid},
		{"zero-width space inside", "taro\u200b01", "taro\u200b01", problem.LoginIDInvalid},
		{"newline inside (pasted two lines)", "taro01\nhanako", "taro01\nhanako", problem.LoginIDInvalid},
		{"control character", "taro\x0001", "taro\x0001", problem.LoginIDInvalid},
		{"bidi override", "taro\u202e01", "taro\u202e01", problem.LoginIDInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := NormalizeLoginID(tc.in)
			if got != tc.want {
				t.Errorf("NormalizeLoginID(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if p := ValidateLoginID(got); p != tc.prob {
				t.Errorf("ValidateLoginID(%q) = %q, want %q", got, p, tc.prob)
			}
		})
	}
}

func TestNormalizeEmail(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   string
		want string
		prob problem.Problem
	}{
		{"plain", "taro@example.jp", "taro@example.jp", ""},
		{"full-width at sign", "taro＠example.jp", "taro@example.jp", ""},
		{"all full-width", "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ", "taro@example.jp", ""},
		{"full-width space around", "\u3000taro@example.jp\u3000", "taro@example.jp", ""},
		{"zero-width space around", "\u200btaro@example.jp\u200b", "taro@example.jp", ""},
		{"case kept", "Taro@Example.JP", "Taro@Example.JP", ""},
		{"docomo double dot", "taro..yamada@docomo.ne.jp", "taro..yamada@docomo.ne.jp", ""},
		{"ezweb dot before @", "taro.@ezweb.ne.jp", "taro.@ezweb.ne.jp", ""},
		{"softbank leading dot", ".taro@softbank.ne.jp", ".taro@softbank.ne.jp", ""},
		{"plus and hyphen", "taro+shop@mail-server.example.co.jp", "taro+shop@mail-server.example.co.jp", ""},
		{"internationalised domain", "taro@例え.jp", "taro@例え.jp", ""},
		{"dashes are not mapped in e-mail", "taroー@example.jp", "taroー@example.jp", ""},
		{"empty", "", "", problem.EmailRequired},
		{"only spaces", "\u3000 ", "", problem.EmailRequired},
		{"254 bytes", strings.Repeat("a", 64) + "@" + longDomain(254-65), strings.Repeat("a", 64) + "@" + longDomain(254-65), ""},
		{"255 bytes", strings.Repeat("a", 64) + "@" + longDomain(255-65), strings.Repeat("a", 64) + "@" + longDomain(255-65), problem.EmailTooLong},
		{"local part of 65 bytes", strings.Repeat("a", 65) + "@example.jp", strings.Repeat("a", 65) + "@example.jp", problem.EmailInvalid},
		{"missing @", "taro.example.jp", "taro.example.jp", problem.EmailInvalid},
		{"two @", "taro@shop@example.jp", "taro@shop@example.jp", problem.EmailInvalid},
		{"nothing before @", "@example.jp", "@example.jp", problem.EmailInvalid},
		{"nothing after @", "taro@", "taro@", problem.EmailInvalid},
		{"no dot in domain", "taro@localhost", "taro@localhost", problem.EmailInvalid},
		{"numeric top-level domain", "taro@192.168.0.1", "taro@192.168.0.1", problem.EmailInvalid},
		{"empty label", "taro@example..jp", "taro@example..jp", problem.EmailInvalid},
		{"trailing dot in domain", "taro@example.jp.", "taro@example.jp.", problem.EmailInvalid},
		{"label starts with hyphen", "taro@-example.jp", "taro@-example.jp", problem.EmailInvalid},
		{"underscore in domain", "taro@ex_ample.jp", "taro@ex_ample.jp", problem.EmailInvalid},
		{"space inside", "taro yamada@example.jp", "taro yamada@example.jp", problem.EmailInvalid},
		{"full-width space inside", "taro\u3000yamada@example.jp", "taro yamada@example.jp", problem.EmailInvalid},
		{"display name pasted", "Taro <taro@example.jp>", "Taro <taro@example.jp>", problem.EmailInvalid},
		{"comma-separated list", "taro@example.jp,hanako@example.jp", "taro@example.jp,hanako@example.jp", problem.EmailInvalid},
		{"zero-width space inside", "taro@exa\u200bmple.jp", "taro@exa\u200bmple.jp", problem.EmailInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := NormalizeEmail(tc.in)
			if got != tc.want {
				t.Errorf("NormalizeEmail(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if p := ValidateEmail(got); p != tc.prob {
				t.Errorf("ValidateEmail(%q) = %q, want %q", got, p, tc.prob)
			}
		})
	}
}

// longDomain returns a valid domain of exactly n bytes (n ≥ 2): labels of
// at most 60 bytes ending in a top-level "jp…".
func longDomain(n int) string {
	for tld := "jp"; len(tld) <= n; tld += "p" {
		d := tld
		for len(d) < n {
			k := min(60, n-len(d)-1)
			if k < 1 {
				break
			}
			d = strings.Repeat("b", k) + "." + d
		}
		if len(d) == n && validDomain(d) {
			return d
		}
	}
	panic("longDomain: no domain of that length")
}

// TestNormalisedThroughHandler checks the table's key rows end to end: step
// 2 shows the normalised values, and an invalid body is a 400 page.
