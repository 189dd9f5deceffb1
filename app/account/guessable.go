package account

import (
	"strings"
	"sync"
	"unicode/utf8"

	"aikagi/app/problem"
)

// The blocklist holds the passwords people actually used; the patterns
// below catch the ones it cannot list, because there are too many of them:
// any length of a keyboard row, a digit run or one repeated character.
// zxcvbn finds such patterns too, but its Go ports score whole passwords
// and would refuse passphrases this policy wants to allow; the rules here
// are short and say exactly why a password was refused.

// walkKind says what a run of adjacent characters follows.
type walkKind int

const (
	walkKeyboard walkKind = iota + 1 // a row or a column of a QWERTY keyboard
	walkSequence                     // digits or letters in counting order
)

// walks are strings in which neighbours are easy to type one after the
// other. Keyboard rows continue into the next row ("qwertyuiopas"), digits
// wrap around ("7890123").
var walks = []struct {
	kind  walkKind
	chars string
}{
	{walkKeyboard, "`1234567890-="},
	{walkKeyboard, "!@#$%^&*()_+"},
	{walkKeyboard, "qwertyuiop[]"},
	{walkKeyboard, "asdfghjkl;'"},
	{walkKeyboard, "zxcvbnm,./"},
	{walkKeyboard, "qwertyuiopasdfghjklzxcvbnm"},
	{walkKeyboard, "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/"},
	{walkSequence, "01234567890"},
	{walkSequence, "abcdefghijklmnopqrstuvwxyz"},
}

// minWalkRun is the shortest run that counts as a walk: a password is
// guessable when it is made of such runs only. Shorter runs ("we", "as")
// happen in ordinary words.
const minWalkRun = 3

// walkSteps maps each pair of neighbours in a walk, in either direction, to
// the walk's kind; a sequence wins over a keyboard row ("12").
var walkSteps = sync.OnceValue(func() map[[2]rune]walkKind {
	steps := map[[2]rune]walkKind{}
	for _, w := range walks {
		r := []rune(w.chars)
		for i := 1; i < len(r); i++ {
			for _, pair := range [][2]rune{{r[i-1], r[i]}, {r[i], r[i-1]}} {
				if steps[pair] != walkSequence {
					steps[pair] = w.kind
				}
			}
		}
	}
	return steps
})

// guessablePattern reports why the comparison key of a password (see fold)
// is trivially guessable, or "" when it is not.
func guessablePattern(key string) problem.Problem {
	runes := []rune(key)
	if len(runes) == 0 {
		return ""
	}
	if repeatsShortGroup(key) {
		return problem.PasswordRepeated
	}
	kind, ok := onlyWalks(runes)
	switch {
	case !ok:
		return ""
	case kind == walkKeyboard:
		return problem.PasswordKeyboard
	default:
		return problem.PasswordSequence
	}
}

// repeatsShortGroup reports a key that is one character, or a group of up
// to four ("abab", "passpasspass"), repeated at least three times.
func repeatsShortGroup(key string) bool {
	n := utf8.RuneCountInString(key)
	runes := []rune(key)
	for size := 1; size <= 4 && size*3 <= n; size++ {
		if n%size == 0 && strings.Repeat(string(runes[:size]), n/size) == key {
			return true
		}
	}
	return false
}

// onlyWalks reports whether runes split into runs of at least minWalkRun
// characters, each stepping to a neighbour in some walk or repeating the
// previous character ("qwertyasdfgh", "111222333444", "987654321098").
// kind is walkKeyboard when any step needed a keyboard, else walkSequence.
func onlyWalks(runes []rune) (kind walkKind, ok bool) {
	steps := walkSteps()
	kind = walkSequence
	run := 1
	for i := 1; i < len(runes); i++ {
		if runes[i] == runes[i-1] {
			run++
			continue
		}
		step, found := steps[[2]rune{runes[i-1], runes[i]}]
		if !found {
			if run < minWalkRun {
				return 0, false
			}
			run = 1
			continue
		}
		if step == walkKeyboard {
			kind = walkKeyboard
		}
		run++
	}
	if run < minWalkRun {
		return 0, false
	}
	return kind, true
}
