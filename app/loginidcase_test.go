package app

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"aikagi/views"
)

// TestLoginIDInAnyCase types login IDs in another case than registered:
// step 3 still mails the account, the mail names the ID as registered,
// the login succeeds, and failures in mixed case count towards one pause.
func TestLoginIDInAnyCase(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		a := newTestApp(t, dialect)
		const password = "case blind passphrase"
		taro := newAccountWithPassword(t, a, "taro-01", "taro01@example.jp", "ja", password)
		hanako := newAccountWithPassword(t, a, "Hanako-02", "hanako02@example.jp", "ja", password)
		ja := views.T(views.Ja)

		for _, tc := range []struct {
			typed string
			want  string // the login ID as registered
			email string
		}{
			{"TARO-01", taro.LoginID, taro.Email},
			{"Ｔａｒｏ－０１", taro.LoginID, taro.Email},
			{"hanako-02", hanako.LoginID, hanako.Email},
		} {
			before := mailsTo(t, a, tc.email)
			requestResetFlow(t, a, tc.typed, tc.email)
			if got := mailsTo(t, a, tc.email); got != before+1 {
				t.Fatalf("%q: %d mails to %s, want %d", tc.typed, got, tc.email, before+1)
			}
			mail := a.mailbox.Messages()[0]
			named := ja.Link.Mail.LoginID(ja.AccountLabel(tc.want, "テスト商店 "+tc.want))
			if !strings.Contains(mail.Text, named) {
				t.Errorf("%q: the mail does not name the account as registered (%q):\n%s", tc.typed, named, mail.Text)
			}
			advanceClock(a, time.Hour) // past the mails-per-account window
		}

		for _, typed := range []string{"TARO-01", "hAnAkO-02"} {
			if res := loginAs(t, newFakeBrowser(a), typed, password); res.Status != http.StatusSeeOther {
				t.Errorf("login as %q: status %d, want 303\n%s", typed, res.Status, describe(res.Body))
			}
		}

		// Guesses in every case count towards one pause.
		cases := []string{"taro-01", "TARO-01", "Taro-01"}
		for i := range a.cfg.LockoutThreshold {
			if res := loginAs(t, newFakeBrowser(a), cases[i%len(cases)], "wrong guess in some case"); res.Status != http.StatusUnauthorized {
				t.Fatalf("failure %d: status %d, want 401", i+1, res.Status)
			}
		}
		if res := loginAs(t, newFakeBrowser(a), "tArO-01", password); res.Status != http.StatusTooManyRequests {
			t.Errorf("the right password after %d failures in mixed case: status %d, want the pause (429)", a.cfg.LockoutThreshold, res.Status)
		}
	})
}
