package app

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"aikagi/db"
	"aikagi/views"
)

// TestLoginLockout checks the pause after repeated failures: it applies to
// the right password too, looks the same for IDs that do not exist, ends
// with the window, and a completed reset lifts it at once.
func TestLoginLockout(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		a := newTestApp(t, dialect)
		const password = "correct lockout phrase"
		acct := newAccountWithPassword(t, a, "locked01", "locked01@example.jp", "ja", password)
		newAccountWithPassword(t, a, "bystander", "bystander@example.jp", "ja", password)
		ja := views.T(views.Ja)

		fail := func(loginID string) {
			t.Helper()
			for i := 1; i <= a.cfg.LockoutThreshold; i++ {
				if res := loginAs(t, newFakeBrowser(a), loginID, "wrong guess number one"); res.Status != http.StatusUnauthorized {
					t.Fatalf("%s failure %d: status %d, want 401", loginID, i, res.Status)
				}
				advanceClock(a, time.Second)
			}
		}
		fail("locked01")
		fail("nobody99")

		locked := loginAs(t, newFakeBrowser(a), "locked01", password)
		if locked.Status != http.StatusTooManyRequests {
			t.Fatalf("11th attempt with the right password: status %d, want 429\n%s", locked.Status, describe(locked.Body))
		}
		if len(setCookies(locked)) != 0 {
			t.Error("a locked login set a cookie")
		}
		doc := locked.Doc(t)
		if got := strings.TrimSpace(doc.Find("#error-summary li").Text()); got != ja.Support.LoginLocked(15*time.Minute) {
			t.Errorf("locked message = %q", got)
		}
		help := doc.Find(`p:contains("` + ja.LockedHelp + `")`)
		if href, _ := help.Find("a").Attr("href"); href != "/password-resetting/regist?lang=ja" {
			t.Errorf("locked page reset link = %q, want /password-resetting/regist?lang=ja", href)
		}

		ghost := loginAs(t, newFakeBrowser(a), "nobody99", password)
		if ghost.Status != locked.Status {
			t.Errorf("unknown ID locked: status %d, existing ID %d", ghost.Status, locked.Status)
		}
		if comparableLoginPage(ghost, "nobody99") != comparableLoginPage(locked, "locked01") {
			t.Error("the lockout page tells an unknown ID from an existing one")
		}

		// Other IDs are not affected.
		if res := loginAs(t, newFakeBrowser(a), "bystander", password); res.Status != http.StatusSeeOther {
			t.Errorf("another ID during the lockout: status %d, want 303", res.Status)
		}

		// The window ends the lockout of the unknown ID…
		advanceClock(a, a.cfg.LockoutWindow)
		if res := loginAs(t, newFakeBrowser(a), "nobody99", password); res.Status != http.StatusUnauthorized {
			t.Errorf("unknown ID after the window: status %d, want 401", res.Status)
		}

		// …and a reset ends the account's at once.
		fail("locked01")
		if res := loginAs(t, newFakeBrowser(a), "locked01", password); res.Status != http.StatusTooManyRequests {
			t.Fatalf("locked again: status %d, want 429", res.Status)
		}
		b := openedBrowser(t, a, issueToken(t, a, acct))
		b.setNewPassword(t, resetFormPath, goodPassword)
		if res := loginAs(t, newFakeBrowser(a), "locked01", goodPassword); res.Status != http.StatusSeeOther {
			t.Errorf("login right after the reset: status %d, want 303\n%s", res.Status, describe(res.Body))
		}
		if got := countWhere(t, a, "audit_events", "kind", db.AuditLoginLocked); got != 3 {
			t.Errorf("login_locked events = %d, want 3", got)
		}
	})
}

// TestLockoutHoldsUnderConcurrentGuesses sends a burst of wrong passwords
// at once: no more than the threshold may be checked before the pause.
func TestLockoutHoldsUnderConcurrentGuesses(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		a := newTestApp(t, dialect)
		newAccountWithPassword(t, a, "burst01", "burst01@example.jp", "ja", "the real passphrase")
		const n = 30
		statuses := make([]int, n)
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				body := url.Values{"login_id": {"burst01"}, "password": {"guess " + strings.Repeat("x", i+1)}}.Encode()
				req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Sec-Fetch-Site", "same-origin")
				<-start
				res, err := a.Handler().Test(req, -1)
				if err != nil {
					errs[i] = err
					return
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				statuses[i] = res.StatusCode
			}()
		}
		close(start)
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		checked := 0
		for _, s := range statuses {
			switch s {
			case http.StatusUnauthorized:
				checked++
			case http.StatusTooManyRequests:
			default:
				t.Errorf("status %d, want 401 or 429", s)
			}
		}
		if checked > a.cfg.LockoutThreshold {
			t.Errorf("%d of %d concurrent guesses were checked; the lockout allows %d", checked, n, a.cfg.LockoutThreshold)
		}
		if checked == 0 {
			t.Error("no guess was checked at all")
		}
	})
}
