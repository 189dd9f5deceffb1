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
	"unicode/utf8"

	"github.com/a-h/templ"
)

// Split returns the phrases of s, which joined give s again. Text without
// Japanese (or Chinese) characters is one phrase. No phrase boundary falls
// inside one of the whole words (login IDs, addresses).
func Split(s string, whole ...string) []string {
	if !hasCJK(s) {
		return []string{s}
	}
	r := []rune(s)
	bounds := breaks(r, japanese().boundaries(s))
	for _, w := range occurrences(s, whole) {
		start := utf8.RuneCountInString(s[:w.at])
		end := start + utf8.RuneCountInString(w.word)
		bounds = slices.DeleteFunc(bounds, func(b int) bool { return b > start && b < end })
	}
	var out []string
	start := 0
	for _, b := range bounds {
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
// "phrase"; text without Japanese is rendered as it is. The whole words
// (a login ID in a button) are kept whole as Unbroken keeps them.
func Text(s string, whole ...string) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		var b strings.Builder
		if !hasCJK(s) {
			writeUnbroken(&b, s, whole)
		} else {
			b.WriteString(`<span class="phrase">`)
			for i, p := range Split(s, whole...) {
				if i > 0 {
					b.WriteString("<wbr>")
				}
				writeUnbroken(&b, p, whole)
			}
			b.WriteString(`</span>`)
		}
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
		writeUnbroken(&b, s, words)
		_, err := io.WriteString(w, b.String())
		return err
	})
}

// writeUnbroken writes s escaped, each of the words in a span with the
// brackets and punctuation that must stay beside it: the span is a box of
// its own, and the browser would break freely around it, leaving 「 at the
// end of a line or 」 at the start of the next.
func writeUnbroken(b *strings.Builder, s string, words []string) {
	last := 0
	for _, o := range occurrences(s, words) {
		start, end := max(o.at, last), max(o.at+len(o.word), last)
		for start > last {
			r, n := utf8.DecodeLastRuneInString(s[last:start])
			if !strings.ContainsRune(noLineEnd, r) {
				break
			}
			start -= n
		}
		for end < len(s) {
			r, n := utf8.DecodeRuneInString(s[end:])
			if !strings.ContainsRune(noLineStart, r) {
				break
			}
			end += n
		}
		b.WriteString(templ.EscapeString(s[last:start]))
		b.WriteString(`<span class="break-address">`)
		b.WriteString(templ.EscapeString(s[start:end]))
		b.WriteString(`</span>`)
		last = end
	}
	b.WriteString(templ.EscapeString(s[last:]))
}

// occurrence is a word found in a text, at a byte offset.
type occurrence struct {
	at   int
	word string
}

// occurrences finds the non-empty words in s from left to right, the
// longest where two start at one place, none overlapping.
func occurrences(s string, words []string) []occurrence {
	var out []occurrence
	for from := 0; ; {
		at, word := -1, ""
		for _, w := range words {
			i := strings.Index(s[from:], w)
			if w == "" || i < 0 {
				continue
			}
			if at < 0 || from+i < at || from+i == at && len(w) > len(word) {
				at, word = from+i, w
			}
		}
		if at < 0 {
			return out
		}
		out = append(out, occurrence{at, word})
		from = at + len(word)
	}
}
