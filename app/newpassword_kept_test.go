package app

import (
	"net/http"
	"net/url"
	"testing"

	"aikagi/app/problem"
)

// TestRefusedPasswordKeepsWhatWasTyped submits passwords the server
// refuses, shown and hidden: both fields come back as typed, shown or
// hidden as they were, with the error, and nothing is used up.
func TestRefusedPasswordKeepsWhatWasTyped(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect string) {
		a := newTestApp(t, dialect)
		acct := newAccount(t, a, "kept01", "kept01@example.jp", "ja")
		b := openedBrowser(t, a, issueToken(t, a, acct))
		tests := []struct {
			name, password, confirm, revealed, wantType string
			field                                       string
			prob                                        problem.Problem
		}{
			{"mismatch, hidden", "umi no oto ga suru", "umi no oto ga sur", "0", "password", "password_confirm", problem.PasswordMismatch},
			{"mismatch, shown", "umi no oto ga suru", "umi no oto ga sur", "1", "text", "password_confirm", problem.PasswordMismatch},
			{"common, shown", "password1234", "password1234", "1", "text", "password", problem.PasswordCommon},
			{"no JavaScript field", "umi no oto ga suru", "umi", "", "password", "password_confirm", problem.PasswordMismatch},
		}
		for _, tc := range tests {
			form := url.Values{"password": {tc.password}, "password_confirm": {tc.confirm}}
			if tc.revealed != "" {
				form.Set("revealed", tc.revealed)
			}
			res := b.post(t, resetFormPath, form)
			if res.Status != http.StatusUnprocessableEntity {
				t.Fatalf("%s: status %d, want 422", tc.name, res.Status)
			}
			doc := res.Doc(t)
			if doc.Find("#"+tc.field+"-error").Length() != 1 {
				t.Errorf("%s: no error under %s", tc.name, tc.field)
			}
			for id, want := range map[string]string{"password": tc.password, "password_confirm": tc.confirm} {
				if got := inputValue(doc, id); got != want {
					t.Errorf("%s: %s = %q, want %q", tc.name, id, got, want)
				}
				if got, _ := doc.Find("input#" + id).Attr("type"); got != tc.wantType {
					t.Errorf("%s: %s type = %q, want %q", tc.name, id, got, tc.wantType)
				}
			}
			wantRevealed := tc.revealed
			if wantRevealed == "" {
				wantRevealed = "0"
			}
			if got, _ := doc.Find("input[name=revealed]").Attr("value"); got != wantRevealed {
				t.Errorf("%s: revealed = %q, want %q", tc.name, got, wantRevealed)
			}
		}
	})
}
