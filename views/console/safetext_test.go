package console

import "testing"

func TestShown(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"加盟店 Taro-01 sato@example.jp", "加盟店 Taro-01 sato@example.jp"},
		{"mailbox \u202e gnp.exe", `mailbox \u202e gnp.exe`},
		{"a\u2066b\u2069c\u200bd\ufeffe", `a\u2066b\u2069c\u200bd\ufeffe`},
		{"line\nnext\r\tend\x1b[2J", `line\nnext\r\tend\x1b[2J`},
		{"\u0085\u2028\u2029\x7f", `\u0085\u2028\u2029\x7f`},
		{"tag \U000e0041", `tag \U000e0041`},
		{"not utf-8 \xff", `not utf-8 \xff`},
		{`typed \u202e`, `typed \\u202e`},
	} {
		if got := Shown(tc.in); got != tc.want {
			t.Errorf("Shown(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
