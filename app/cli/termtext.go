package cli

import (
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mattn/go-runewidth"
)

// terminalSafe returns s with everything a terminal would act on, or that
// hides text, written as an escape: C0 and C1 controls and DEL (\x1b, \r,
// \n, \t, \u0085), format characters such as bidirectional overrides and
// isolates (\u202e) and zero-width ones (\u200b), line and paragraph
// separators, and bytes that are not UTF-8 (\xff). A backslash is doubled,
// so a typed "\x1b" cannot pass for an escaped one. Login IDs, user agents
// and bounce texts come from outsiders; raw, they could move the cursor,
// rewrite the window title, reorder a line or forge lines of an operator's
// listing.
func terminalSafe(s string) string {
	if !strings.ContainsFunc(s, needsEscape) && utf8.ValidString(s) {
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
		case r < 0x80 && needsEscape(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case r > 0xffff && needsEscape(r):
			fmt.Fprintf(&b, `\U%08x`, r)
		case needsEscape(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

// needsEscape reports a rune terminalSafe writes as an escape.
func needsEscape(r rune) bool {
	return r == '\\' || unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
}

// textTable prints rows in columns padded by display width: a Japanese
// character takes two cells of a terminal, which text/tabwriter (counting
// runes) does not know, so its columns slip wherever a store name is
// Japanese. Every cell passes through terminalSafe.
type textTable struct {
	rows [][]string // the header first
}

// tableGap separates columns.
const tableGap = "  "

func newTextTable(header ...string) *textTable {
	t := &textTable{}
	t.add(header...)
	return t
}

// add appends a row; an empty cell is shown as "-".
func (t *textTable) add(cells ...string) {
	row := make([]string, len(cells))
	for i, c := range cells {
		row[i] = terminalSafe(dash(c))
	}
	t.rows = append(t.rows, row)
}

// write prints the table to w, one line per row, with no padding after the
// last column.
func (t *textTable) write(w io.Writer) error {
	var widths []int
	for _, row := range t.rows {
		for i, c := range row {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], runewidth.StringWidth(c))
		}
	}
	var b strings.Builder
	for _, row := range t.rows {
		for i, c := range row {
			b.WriteString(c)
			if i < len(row)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-runewidth.StringWidth(c)))
				b.WriteString(tableGap)
			}
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}
