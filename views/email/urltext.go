package email

import (
	"context"
	"html"
	"io"
	"strings"

	"github.com/a-h/templ"
)

// urlText renders u as text that wraps in every mail client that honours
// <wbr>: a soft break after each '/', '?', '&', '=' and '.' (not inside
// "//"), and every urlRun characters of a long run without them, such as
// a token. Outlook for Windows and Yahoo ignore word-break, and a line that
// cannot wrap widens the whole mail on a phone. The text, and so what a
// reader copies, stays the URL itself. A URL short enough to fit the
// narrowest line (urlFits) is left as it is.
func urlText(u string) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		_, err := io.WriteString(w, softBreakURL(u))
		return err
	})
}

// urlRun is the longest run of a URL's characters left without a break.
const urlRun = 16

// urlFits is the length of URL that fits one line of a mail on a 320px
// phone (about 240px of text at 13px), so it needs no breaks.
const urlFits = 32

// softBreakURL is u, HTML-escaped, with the soft breaks of urlText.
func softBreakURL(u string) string {
	if len(u) <= urlFits {
		return html.EscapeString(u)
	}
	isBreak := func(r rune) bool { return strings.ContainsRune("/?&=.", r) }
	var b strings.Builder
	runes := []rune(u)
	run := 0
	for i, r := range runes {
		b.WriteString(html.EscapeString(string(r)))
		if i == len(runes)-1 || isBreak(runes[i+1]) {
			run++
			continue
		}
		if isBreak(r) {
			b.WriteString("<wbr>")
			run = 0
			continue
		}
		if run++; run >= urlRun {
			b.WriteString("<wbr>")
			run = 0
		}
	}
	return b.String()
}
