package account

import (
	"maps"
	"strings"
	"testing"
	"unicode/utf8"

	"aikagi/app/problem"
	"aikagi/db"
	"aikagi/views"
)

// policyAccount is the account the policy cases are checked against.
var policyAccount = &db.Account{
	LoginID:   "shop2468",
	Email:     "hanako.tanaka@docomo.ne.jp",
	StoreName: "さくら珈琲店",
	Locale:    "ja",
}

func TestPasswordProblem(t *testing.T) {
	t.Parallel()
	const min = 12
	cases := []struct {
		name     string
		password string
		want     problem.Problem
	}{
		{"empty", "", problem.PasswordRequired},
		{"one short of the minimum", "violet-kumo", problem.PasswordTooShort},
		{"exactly the minimum", "violet-kumo7", ""},
		{"64 characters", strings.Repeat("river", 12) + "tide", ""},
		{"100 characters", strings.Repeat("mountain", 12) + "peak", ""},
		{"256 characters", strings.Repeat("kumosora", 32), ""},
		{"257 characters", strings.Repeat("kumosora", 32) + "i", problem.PasswordTooLong},
		{"far too long", strings.Repeat("long ", 1000), problem.PasswordTooLong},
		{"256 Japanese characters", strings.Repeat("あいうえおかきくけこ", 25) + "さしすせそた", ""},
		{"257 Japanese characters", strings.Repeat("あいうえおかきくけこ", 25) + "さしすせそたち", problem.PasswordTooLong},
		{"minimum counted in characters, not bytes", "すもももももも", problem.PasswordTooShort}, // 7 runes, 21 bytes
		{"Japanese passphrase", "すもももももももものうち", ""},
		{"Japanese passphrase with spaces", "ねこ が こたつ で まるく なる", ""},
		{"emoji", "🐱🐶🐭🐹🐰🦊🐻🐼🐨🐯🦁🐮", ""},
		{"eleven emoji", "🐱🐶🐭🐹🐰🦊🐻🐼🐨🐯🦁", problem.PasswordTooShort},
		{"no composition rules: lower case letters only", "correcthorsebatterystaple", ""},
		{"blocklisted", "qwertyuiop12", problem.PasswordCommon},
		{"blocklisted keyboard walk", "1qaz2wsx3edc", problem.PasswordCommon},
		{"blocklisted, longer", "1qaz2wsx3edc4rfv", problem.PasswordCommon},
		{"blocklisted in upper case", "QWERTYUIOP12", problem.PasswordCommon},
		{"blocklisted in mixed case", "1QAZ2wsx3EDC", problem.PasswordCommon},
		{"blocklisted in full width", "ｑｗｅｒｔｙｕｉｏｐ１２", problem.PasswordCommon},
		{"blocklisted with a space", "qwerty uiop12", problem.PasswordCommon},
		{"contains the login ID", "my shop2468 password", problem.PasswordHasLoginID},
		{"is the login ID, padded", "shop2468shop2468", problem.PasswordHasLoginID},
		{"contains the login ID in upper case", "my SHOP2468 password", problem.PasswordHasLoginID},
		{"contains the login ID in full width", "my ｓｈｏｐ２４６８ password", problem.PasswordHasLoginID},
		{"contains the e-mail local part", "hanako.tanaka loves tea", problem.PasswordHasEmail},
		{"contains the e-mail local part in upper case", "HANAKO.TANAKA loves tea", problem.PasswordHasEmail},
		{"contains the store name", "さくら珈琲店のブレンドが好き", problem.PasswordHasStore},
		{"contains the store name with a space", "いつもの さくら 珈琲店 で", problem.PasswordHasStore},
		{"contains the domain only", "docomo.ne.jp is my carrier", ""},
		{"contains part of the login ID", "shop246 is not my id", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := passwordProblem(tc.password, min, policyAccount); got != tc.want {
				t.Errorf("passwordProblem(%q) = %q, want %q (%d characters)", tc.password, got, tc.want, utf8.RuneCountInString(tc.password))
			}
		})
	}
}

// TestPasswordProblemAsTyped checks the policy on passwords as a person
// types them: widths normalised, invisible characters not counted, control
// characters refused, and the guessable patterns the blocklist cannot list.
func TestPasswordProblemAsTyped(t *testing.T) {
	t.Parallel()
	const min = 12
	cases := []struct {
		name     string
		password string
		want     problem.Problem
	}{
		{"full width is counted as typed", "ｖｉｏｌｅｔ-ｋｕｍｏ７", ""},
		{"half-width katakana", "ｽﾓﾓﾓﾓﾓﾓﾓﾓﾓﾉｳﾁ", ""},
		{"eleven characters and a zero-width space", "violet-kumo\u200b", problem.PasswordTooShort},
		{"eleven characters and a zero-width joiner", "violet\u200d-kumo", problem.PasswordTooShort},
		{"eleven characters and a zero-width non-joiner", "violet-\u200ckumo", problem.PasswordTooShort},
		{"eleven characters and a byte order mark", "\ufeffviolet-kumo", problem.PasswordTooShort},
		{"eleven characters and a word joiner", "violet\u2060-kumo", problem.PasswordTooShort},
		{"eleven characters and a soft hyphen", "violet-ku\u00admo", problem.PasswordTooShort},
		{"twelve characters and a zero-width space", "violet-kumo7\u200b", ""},
		{"only invisible characters", "\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b", problem.PasswordRequired},
		{"line feed", "violet kumo\nat dawn", problem.PasswordControl},
		{"carriage return", "violet kumo\rat dawn", problem.PasswordControl},
		{"tab", "violet\tkumo at dawn", problem.PasswordControl},
		{"escape", "violet kumo \x1b[31m dawn", problem.PasswordControl},
		{"NUL", "violet kumo at dawn\x00", problem.PasswordControl},
		{"DEL", "violet kumo at dawn\x7f", problem.PasswordControl},
		{"C1 control", "violet kumo at dawn\u0085", problem.PasswordControl},
		{"control character in a short password", "ab\x1bc", problem.PasswordControl},
		{"one repeated letter", "aaaaaaaaaaaa", problem.PasswordRepeated},
		{"one repeated letter, long", strings.Repeat("z", 40), problem.PasswordRepeated},
		{"one repeated letter in mixed case", "aAaAaAaAaAaA", problem.PasswordRepeated},
		{"one repeated full-width letter", "ａａａａａａａａａａａａ", problem.PasswordRepeated},
		{"one repeated kana", "ああああああああああああ", problem.PasswordRepeated},
		{"one repeated digit", "777777777777", problem.PasswordRepeated},
		{"one repeated symbol", "!!!!!!!!!!!!", problem.PasswordRepeated},
		{"one repeated character with spaces", "a a a a a a a a a a a a", problem.PasswordRepeated},
		{"a pair repeated", "abababababab", problem.PasswordRepeated},
		{"a word repeated", "passpasspass", problem.PasswordRepeated},
		{"keyboard row into the next", "qwertyuiopas", problem.PasswordKeyboard},
		{"keyboard row reversed", "poiuytrewqas", problem.PasswordKeyboard},
		{"home row and on", "asdfghjklzxc", problem.PasswordKeyboard},
		{"bottom row reversed", "mnbvcxzlkjhg", problem.PasswordKeyboard},
		{"three row starts", "qwerasdfzxcvqwe", problem.PasswordKeyboard},
		{"keyboard row run repeated", "asdfasdfasdf", problem.PasswordRepeated},
		{"keyboard row run repeated, five", "zxcvbzxcvbzxcvb", problem.PasswordKeyboard},
		{"keyboard row in upper case", "QWERTYUIOPAS", problem.PasswordKeyboard},
		{"keyboard row in full width", "ｑｗｅｒｔｙｕｉｏｐａｓ", problem.PasswordKeyboard},
		{"keyboard columns", "wsxedcrfvtgbyhn", problem.PasswordKeyboard},
		{"keyboard row of symbols", "!@#$%^&*()_+", problem.PasswordKeyboard},
		{"digit run", "123456789012", problem.PasswordSequence},
		{"digit run reversed", "098765432109", problem.PasswordSequence},
		{"digit run in full width", "１２３４５６７８９０１２", problem.PasswordSequence},
		{"digit runs with doubled digits", "1122334455667788", problem.PasswordSequence},
		{"two digit runs", "123456345678", problem.PasswordSequence},
		{"letter sequence", "abcdefghijkl", problem.PasswordSequence},
		{"letter sequence reversed", "zyxwvutsrqpo", problem.PasswordSequence},
		{"digits then keyboard row", "2345678wertyuio", problem.PasswordKeyboard},
		{"a word between keyboard runs", "qwerty violet asdfgh", ""},
		{"keyboard run and a short tail", "qwertyuiop7k", ""},
		{"date-like digits", "2026-12-01 kumo", ""},
		{"ordinary passphrase", "correct horse battery staple", ""},
		{"passphrase of short words", "we were there", ""},
		{"Japanese passphrase", "ねこがこたつでまるくなる", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := passwordProblem(tc.password, min, policyAccount); got != tc.want {
				t.Errorf("passwordProblem(%q) = %q, want %q", tc.password, got, tc.want)
			}
		})
	}
}

// TestGuessableProblemsHaveMessages checks that every refusal of the
// policy says why, in both languages.
func TestGuessableProblemsHaveMessages(t *testing.T) {
	t.Parallel()
	for _, p := range []problem.Problem{problem.PasswordControl, problem.PasswordRepeated, problem.PasswordKeyboard, problem.PasswordSequence} {
		for _, lang := range views.Langs {
			text := views.T(lang)
			if got := text.Problem(p); got == "" || got == text.Problem(problem.ServerError) {
				t.Errorf("%s has no %s message", p, lang)
			}
		}
	}
}

func TestPasswordProblemIdentifierEdgeCases(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		acct     db.Account
		password string
		want     problem.Problem
	}{
		{"half-width katakana store name", db.Account{LoginID: "kata01", Email: "k@example.jp", StoreName: "サクラコーヒー"}, "ｻｸﾗｺｰﾋｰでひとやすみ", problem.PasswordHasStore},
		{"full-width store name", db.Account{LoginID: "kata02", Email: "k@example.jp", StoreName: "ＡＢＣ Ｍａｒｔ"}, "shopping at abcmart daily", problem.PasswordHasStore},
		{"full-width login ID stored as typed", db.Account{LoginID: "ＴＡＲＯ９９", Email: "k@example.jp", StoreName: "x"}, "hello taro99 world", problem.PasswordHasLoginID},
		{"two-letter login ID is not held against the password", db.Account{LoginID: "ab", Email: "k@example.jp", StoreName: "x"}, "abstract painting club", ""},
		{"two-letter e-mail local part is not held against the password", db.Account{LoginID: "shop9", Email: "jo@example.jp", StoreName: "x"}, "journey to the west", ""},
		{"one-letter store name is not held against the password", db.Account{LoginID: "shop8", Email: "k@example.jp", StoreName: "金"}, "金曜日の夜は映画を見ます", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := passwordProblem(tc.password, 12, &tc.acct); got != tc.want {
				t.Errorf("passwordProblem(%q) = %q, want %q", tc.password, got, tc.want)
			}
		})
	}
}

func TestCheckNewPassword(t *testing.T) {
	t.Parallel()
	const good = "violet-kumo7 at dawn"
	cases := []struct {
		name              string
		password, confirm string
		want              map[string]problem.Problem
	}{
		{"good and confirmed", good, good, map[string]problem.Problem{}},
		{"both empty", "", "", map[string]problem.Problem{"password": problem.PasswordRequired}},
		{"confirmation empty", good, "", map[string]problem.Problem{"password_confirm": problem.PasswordMismatch}},
		{"confirmation differs", good, good + "!", map[string]problem.Problem{"password_confirm": problem.PasswordMismatch}},
		{"confirmation differs only in width: the same password once normalised", "ｖｉｏｌｅｔ-kumo7 at dawn", good, map[string]problem.Problem{}},
		{"confirmation differs only in case", good, strings.ToUpper(good), map[string]problem.Problem{"password_confirm": problem.PasswordMismatch}},
		{"confirmation differs only in surrounding space", good, " " + good, map[string]problem.Problem{"password_confirm": problem.PasswordMismatch}},
		{"short and not confirmed", "short", "shorter", map[string]problem.Problem{"password": problem.PasswordTooShort, "password_confirm": problem.PasswordMismatch}},
		{"common and confirmed", "qwertyuiop12", "qwertyuiop12", map[string]problem.Problem{"password": problem.PasswordCommon}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := CheckNewPassword(tc.password, tc.confirm, 12, policyAccount); !maps.Equal(got, tc.want) {
				t.Errorf("CheckNewPassword(%q, %q) = %v, want %v", tc.password, tc.confirm, got, tc.want)
			}
		})
	}
}

// TestPasswordMinLengthFollowsSetting checks that the minimum is the one
// passed in, not a constant.
func TestPasswordMinLengthFollowsSetting(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		min      int
		password string
		want     problem.Problem
	}{
		{8, "kumo7sky", ""},
		{8, "kumo7sk", problem.PasswordTooShort},
		{16, "violet-kumo7 sky", ""},
		{16, "violet-kumo7 sk", problem.PasswordTooShort},
		{64, strings.Repeat("kumo sky ", 7) + "a", ""},
		{64, strings.Repeat("kumo sky ", 7), problem.PasswordTooShort},
	} {
		if got := passwordProblem(tc.password, tc.min, policyAccount); got != tc.want {
			t.Errorf("min %d, %d characters: %q, want %q", tc.min, utf8.RuneCountInString(tc.password), got, tc.want)
		}
	}
}

// TestBlocklist checks the list of common passwords is a real one, and is
// looked up case-insensitively.
func TestBlocklist(t *testing.T) {
	t.Parallel()
	list := commonPasswords()
	if len(list) < 10000 {
		t.Errorf("blocklist has %d entries, want at least 10,000", len(list))
	}
	for _, p := range []string{"password", "123456", "qwertyuiop12", "1qaz2wsx3edc", "iloveyou"} {
		if _, ok := list[p]; !ok {
			t.Errorf("blocklist lacks %q", p)
		}
	}
	for p := range list {
		if p != strings.ToLower(p) {
			t.Fatalf("blocklist entry %q is not lower case; lookups fold case", p)
		}
	}
}

// TestFold checks the comparison key: width, case and spaces folded away.
func TestFold(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"ＡＢＣ　１２３":      "abc123",
		"  Shop 2468 ": "shop2468",
		"ｻｸﾗ":          "サクラ",
		"さくら\t珈琲店":     "さくら珈琲店",
		"":             "",
	} {
		if got := fold(in); got != want {
			t.Errorf("fold(%q) = %q, want %q", in, got, want)
		}
	}
}
