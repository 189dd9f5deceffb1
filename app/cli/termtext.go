package cli

import (
	"io"
	"strings"

	"github.com/mattn/go-runewidth"

	vc "aikagi/views/console"
)

// terminalSafe returns s with everything a terminal would act on, or that
// hides text, written as a visible escape: the rule console pages follow
// (views/console.Shown). Login IDs, user agents and bounce texts come from
// outsiders; raw, they could move the cursor, rewrite the window title,
// reorder a line or forge lines of an operator's listing.
func terminalSafe(s string) string { return vc.Shown(s) }

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
