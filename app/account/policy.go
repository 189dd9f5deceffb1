package account

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn/frequency"
	"golang.org/x/text/unicode/norm"

	"aikagi/app/problem"
	"aikagi/db"
)

const maxPasswordRunes = 256

// commonPasswords is zxcvbn's list of the most used passwords (about 30,000,
// from leaked password sets), lower-cased. It is built on first use.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	list := frequency.FrequencyLists["passwords"]
	set := make(map[string]struct{}, len(list))
	for _, p := range list {
		set[strings.ToLower(p)] = struct{}{}
	}
	return set
})

// CheckNewPassword applies the NIST SP 800-63B policy: a minimum length, a
// generous maximum, any characters, no composition rules; refused when
// common, trivially guessable or when it contains the account's own
// identifiers. The checks see the password as it will be hashed (NFKC), so
// a confirmation typed in the other width still matches; only the
// comparison with the blocklist and identifiers also folds case and spaces.
func CheckNewPassword(password, confirm string, minLength int, acct *db.Account) map[string]problem.Problem {
	problems := map[string]problem.Problem{}
	if p := passwordProblem(password, minLength, acct); p != "" {
		problems["password"] = p
	}
	if password != "" && NormalizePassword(confirm) != NormalizePassword(password) {
		problems["password_confirm"] = problem.PasswordMismatch
	}
	return problems
}

func passwordProblem(password string, minLength int, acct *db.Account) problem.Problem {
	password = NormalizePassword(password)
	switch {
	case strings.TrimFunc(password, HiddenOrSpace) == "":
		return problem.PasswordRequired
	case strings.ContainsFunc(password, unicode.IsControl):
		return problem.PasswordControl
	case passwordLength(password) < minLength:
		return problem.PasswordTooShort
	case utf8.RuneCountInString(password) > maxPasswordRunes:
		return problem.PasswordTooLong
	}
	folded := fold(password)
	if _, common := commonPasswords()[folded]; common {
		return problem.PasswordCommon
	}
	if p := guessablePattern(folded); p != "" {
		return p
	}
	local, _, _ := strings.Cut(acct.Email, "@")
	for _, part := range []struct {
		value   string
		problem problem.Problem
	}{
		{acct.LoginID, problem.PasswordHasLoginID},
		{local, problem.PasswordHasEmail},
		{acct.StoreName, problem.PasswordHasStore},
	} {
		// Very short identifiers would refuse too much by accident.
		if v := fold(part.value); utf8.RuneCountInString(v) >= 3 && strings.Contains(folded, v) {
			return part.problem
		}
	}
	return ""
}

// passwordLength counts the characters a person typed: format characters
// (zero-width spaces and joiners, byte order marks, word joiners) are
// invisible and often come along with a copy, so they do not count towards
// the minimum.
func passwordLength(password string) int {
	n := 0
	for _, r := range password {
		if !unicode.Is(unicode.Cf, r) && !unicode.IsControl(r) {
			n++
		}
	}
	return n
}

// fold makes a comparison key: NFKC (full-width to ASCII), lower case, no
// surrounding or inner spaces.
func fold(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(norm.NFKC.String(s))), "")
}
