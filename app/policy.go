package app

import (
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn/frequency"
	"golang.org/x/text/unicode/norm"

	"aikagi/db"
	"aikagi/views"
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

// checkNewPassword applies the NIST SP 800-63B policy: a minimum length, a
// generous maximum, any characters, no composition rules; refused when
// common or when it contains the account's own identifiers. The password
// itself is never altered; only the comparison folds width and case.
func checkNewPassword(password, confirm string, minLength int, acct *db.Account) map[string]views.Problem {
	problems := map[string]views.Problem{}
	if p := passwordProblem(password, minLength, acct); p != "" {
		problems["password"] = p
	}
	if password != "" && confirm != password {
		problems["password_confirm"] = views.PasswordMismatch
	}
	return problems
}

func passwordProblem(password string, minLength int, acct *db.Account) views.Problem {
	n := utf8.RuneCountInString(password)
	switch {
	case strings.TrimSpace(password) == "":
		return views.PasswordRequired
	case n < minLength:
		return views.PasswordTooShort
	case n > maxPasswordRunes:
		return views.PasswordTooLong
	}
	folded := fold(password)
	if _, common := commonPasswords()[folded]; common {
		return views.PasswordCommon
	}
	local, _, _ := strings.Cut(acct.Email, "@")
	for _, part := range []struct {
		value   string
		problem views.Problem
	}{
		{acct.LoginID, views.PasswordHasLoginID},
		{local, views.PasswordHasEmail},
		{acct.StoreName, views.PasswordHasStore},
	} {
		// Very short identifiers would refuse too much by accident.
		if v := fold(part.value); utf8.RuneCountInString(v) >= 3 && strings.Contains(folded, v) {
			return part.problem
		}
	}
	return ""
}

// fold makes a comparison key: NFKC (full-width to ASCII), lower case, no
// surrounding or inner spaces.
func fold(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(norm.NFKC.String(s))), "")
}
