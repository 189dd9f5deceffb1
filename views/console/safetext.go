package console

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Shown is text from outside (login IDs, store names, addresses, bounce
// texts, audit details) as a console page shows it: HTML escaping alone
// lets the browser act on it, so everything that would reorder or hide
// text is written as a visible escape, as the CLI's listings do (app/cli,
// terminalSafe): C0 and C1 controls and DEL (\x1b, \n, \u0085), format
// characters such as bidirectional overrides and isolates (\u202e, which
// would show "gnp.exe" as "exe.png") and zero-width ones (\u200b), line
// and paragraph separators, and bytes that are not UTF-8 (\xff). A
// backslash is doubled, so a typed "\u202e" cannot pass for an escaped
// one. Apply it once, where the text is shown.
func Shown(s string) string {
	if !strings.ContainsFunc(s, HidesText) && utf8.ValidString(s) {
		return s // the common case, kept cheap
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x80 && HidesText(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case r > 0xffff && HidesText(r):
			fmt.Fprintf(&b, `\U%08x`, r)
		case HidesText(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

// HidesText reports a rune Shown writes as an escape (a backslash too).
func HidesText(r rune) bool {
	return r == '\\' || unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
}
