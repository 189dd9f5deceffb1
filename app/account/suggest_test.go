package account

import "testing"

// TestSuggestEmail asks about addresses whose domain is a typo of a
// common carrier's or webmail's, and leaves alone the right ones, company
// domains and anything too short or too far to guess.
func TestSuggestEmail(t *testing.T) {
	for _, tc := range []struct {
		addr, want string
	}{
		// The examples.
		{"taro@docomo.co.jp", "taro@docomo.ne.jp"},
		{"taro@gmial.com", "taro@gmail.com"},
		{"taro@gmail.co.jp", "taro@gmail.com"},
		{"taro@ezweb.jp", "taro@ezweb.ne.jp"},
		// One edit away: a letter left out, added, changed, two swapped.
		{"taro..yamada@docomo.ne.jo", "taro..yamada@docomo.ne.jp"},
		{"Taro.Yamada@gmai.com", "Taro.Yamada@gmail.com"},
		{"taro@gmaill.com", "taro@gmail.com"},
		{"taro@gmail.con", "taro@gmail.com"},
		{"taro@yaho.co.jp", "taro@yahoo.co.jp"},
		{"taro@ezwed.ne.jp", "taro@ezweb.ne.jp"},
		{"taro@sofbank.ne.jp", "taro@softbank.ne.jp"},
		{"taro@i.sofbank.jp", "taro@i.softbank.jp"},
		{"taro@icluod.com", "taro@icloud.com"},
		{"taro@outlok.jp", "taro@outlook.jp"},
		{"taro@hotmail.co.jo", "taro@hotmail.co.jp"},
		// Known confusions of suffix.
		{"taro@au.ne.jp", "taro@au.com"},
		{"taro@yahoo.jp", "taro@yahoo.co.jp"},
		{"taro@icloud.jp", "taro@icloud.com"},
		{"taro@outlook.co.jp", "taro@outlook.jp"},
		{"taro@hotmail.jp", "taro@hotmail.co.jp"},
		{"taro@i.softbank.ne.jp", "taro@i.softbank.jp"},
		// Right as typed, in any case.
		{"taro@docomo.ne.jp", ""},
		{"Taro@DOCOMO.NE.JP", ""},
		{"taro.@ezweb.ne.jp", ""},
		{"taro@au.com", ""},
		{"taro@i.softbank.jp", ""},
		{"taro@softbank.ne.jp", ""},
		{"taro@gmail.com", ""},
		{"taro@ymail.ne.jp", ""},
		{"taro@me.com", ""},
		{"taro@outlook.com", ""},
		{"taro@ymail.com", ""},
		{"taro@mail.com", ""},
		// Company domains and other real ones.
		{"info@example.co.jp", ""},
		{"taro@yamada-shoten.jp", ""},
		{"taro@kddi.com", ""},
		{"taro@softbank.jp", ""},
		{"taro@docomo.com", ""},
		{"taro@rakuten.co.jp", ""},
		// Short names are not guessed at: au.com and me.com have many
		// real neighbours.
		{"taro@eu.com", ""},
		{"taro@mi.com", ""},
		// As close to two common domains: no guess.
		{"taro@xmail.com", ""},
	} {
		if got := SuggestEmail(tc.addr); got != tc.want {
			t.Errorf("SuggestEmail(%q) = %q, want %q", tc.addr, got, tc.want)
		}
	}
}

func TestOneEditApart(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"gmail.com", "gmail.com", false},
		{"gmial.com", "gmail.com", true},
		{"gmai.com", "gmail.com", true},
		{"gmail.com", "gmai.com", true},
		{"gmaxl.com", "gmail.com", true},
		{"gmail.comx", "gmail.com", true},
		{"xgmail.com", "gmail.com", true},
		{"gmial.con", "gmail.com", false},
		{"mgail.co", "gmail.com", false},
		{"ab", "ba", true},
		{"abc", "cba", false},
		{"", "a", true},
		{"docomo.co.jp", "docomo.ne.jp", false},
	} {
		if got := oneEditApart(tc.a, tc.b); got != tc.want {
			t.Errorf("oneEditApart(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}
