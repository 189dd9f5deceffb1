// Package phrase lets Japanese headings, buttons and labels wrap between
// phrases (文節) in every browser. Chrome's `word-break: auto-phrase` does
// this by itself, Safari and Firefox do not, so the phrases are found here
// at render time with BudouX's model and its algorithm, and the browser is
// told where it may break: a <wbr> between phrases, inside an element
// styled `word-break: keep-all; overflow-wrap: anywhere` (class "phrase"
// in assets/css/input.css). No Go port of BudouX is published, and the
// parser is a few lines; the model comes from the npm package.
//
// It also keeps login IDs and e-mail addresses whole in running text
// (Unbroken).
package phrase

import (
	"context"
	"io"
	"slices"
	"strings"
	"unicode"

	"github.com/a-h/templ"
)

// Split returns the phrases of s, which joined give s again. Text without
// Japanese (or Chinese) characters is one phrase.
func Split(s string) []string {
	if !hasCJK(s) {
		return []string{s}
	}
	r := []rune(s)
	var out []string
	start := 0
	for _, b := range breaks(r, japanese().boundaries(r)) {
		out = append(out, string(r[start:b]))
		start = b
	}
	return append(out, string(r[start:]))
}

// breaks keeps the boundaries the browser may be given: BudouX's, less
// those that would split a word of Latin letters or digits (a login ID, a
// URL), start a line with a character that may not start one or end a line
// with one that may not end one (kinsoku: a <wbr> overrides the browser's
// own rules), sit beside a space (already a break), or leave a phrase of
// one character, which alone on a line looks like a stray.
func breaks(s []rune, boundaries []int) []int {
	var out []int
	for _, i := range boundaries {
		before, after := s[i-1], s[i]
		switch {
		case !isCJK(before) && !isCJK(after),
			unicode.IsSpace(before) || unicode.IsSpace(after),
			strings.ContainsRune(noLineStart, after),
			strings.ContainsRune(noLineEnd, before):
			continue
		}
		out = append(out, i)
	}
	// A phrase of one character joins the phrase before it, or the one
	// after it when it comes first. Phrase k runs from out[k-1] to out[k].
	for k := 0; k <= len(out) && len(out) > 0; {
		start, end := 0, len(s)
		if k > 0 {
			start = out[k-1]
		}
		if k < len(out) {
			end = out[k]
		}
		switch {
		case end-start > 1:
			k++
		case k > 0:
			out = slices.Delete(out, k-1, k)
			k--
		default:
			out = slices.Delete(out, 0, 1)
		}
	}
	return out
}

// noLineStart are the characters a line may not start with under
// `line-break: strict`: closing brackets and quotes, punctuation, the
// iteration marks, the prolonged sound mark and small kana.
const noLineStart = ")]}）］｝〕〉》」』】〙〗〟’”｠»" +
	"、。，．,.：；:;？！?!・…‥" +
	"ヽヾゝゞ々〻ー゠〜～" +
	"ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ" +
	"%％‰℃°′″"

// noLineEnd are the characters a line may not end with: opening brackets
// and quotes.
const noLineEnd = "([{（［｛〔〈《「『【〘〖〝‘“｟«"

// isCJK reports whether r is written without spaces between words: kanji,
// kana, and the ideographic punctuation and full-width forms.
func isCJK(r rune) bool {
	switch {
	case unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana):
		return true
	case r >= 0x3000 && r <= 0x30FF, // CJK punctuation, hiragana, katakana
		r >= 0xFF00 && r <= 0xFFEF: // full-width and half-width forms
		return true
	}
	return false
}

func hasCJK(s string) bool {
	for _, r := range s {
		if isCJK(r) {
			return true
		}
	}
	return false
}

// Text renders s escaped, its phrases joined by <wbr> in a span of class
// "phrase"; text without Japanese is rendered as it is.
func Text(s string) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		phrases := Split(s)
		if !hasCJK(s) {
			_, err := io.WriteString(w, templ.EscapeString(s))
			return err
		}
		var b strings.Builder
		b.WriteString(`<span class="phrase">`)
		for i, p := range phrases {
			if i > 0 {
				b.WriteString("<wbr>")
			}
			b.WriteString(templ.EscapeString(p))
		}
		b.WriteString(`</span>`)
		_, err := io.WriteString(w, b.String())
		return err
	})
}

// Unbroken renders the sentence s escaped, with each occurrence of the
// words (login IDs, e-mail addresses) in a span of class "break-address",
// which moves a word that does not fit to the next line whole rather than
// splitting it at a hyphen, and breaks it only when it alone is wider than
// the line. Empty words are ignored.
func Unbroken(s string, words ...string) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		var b strings.Builder
		for s != "" {
			at, word := firstOf(s, words)
			if at < 0 {
				b.WriteString(templ.EscapeString(s))
				break
			}
			b.WriteString(templ.EscapeString(s[:at]))
			b.WriteString(`<span class="break-address">`)
			b.WriteString(templ.EscapeString(word))
			b.WriteString(`</span>`)
			s = s[at+len(word):]
		}
		_, err := io.WriteString(w, b.String())
		return err
	})
}

// firstOf finds the earliest of the non-empty words in s, the longest of
// those starting there; at is -1 when there is none.
func firstOf(s string, words []string) (at int, word string) {
	at = -1
	for _, w := range words {
		if w == "" {
			continue
		}
		i := strings.Index(s, w)
		if i >= 0 && (at < 0 || i < at || i == at && len(w) > len(word)) {
			at, word = i, w
		}
	}
	return at, word
}
