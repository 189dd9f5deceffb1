package account

import (
	"fmt"
	"strings"
	"unicode"
)

// CheckStoreName refuses a store name (trimmed) that holds a character
// that acts on text instead of being read: controls (ESC, CR, LF), format
// characters such as bidirectional overrides and zero-width ones, and line
// or paragraph separators. Such a name would show on the console, in the
// CLI's listings and in mail as something other than what it is ("‮gnp.exe"
// read as "exe.png"). Spaces, full-width ones too, are fine.
func CheckStoreName(s string) error {
	if i := strings.IndexFunc(s, hidesText); i >= 0 {
		r := []rune(s[i:])[0]
		return fmt.Errorf("contains an invisible or control character (U+%04X)", r)
	}
	return nil
}

// hidesText reports a rune that acts on text or hides it.
func hidesText(r rune) bool {
	return unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
}
