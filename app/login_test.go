package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"aikagi/app/account"
	"aikagi/app/problem"
	"aikagi/app/route"
	"aikagi/app/secret"
	"aikagi/db"
	"aikagi/views"
)

// loginAs posts the login form from b.
func loginAs(t testing.TB, b *fakeBrowser, loginID, password string, opts ...reqOption) *response {
	t.Helper()
	return b.post(t, "/login?lang=ja", url.Values{"login_id": {loginID}, "password": {password}}, opts...)
}

// comparableLoginPage is a login page's body with the nonces and the
// login ID value taken out, to compare pages for different IDs.
func comparableLoginPage(res *response, loginID string) string {
	return strings.ReplaceAll(withoutNonces(string(res.Body)), `value="`+loginID+`"`, `value="ID"`)
}

func TestLoginAndHome(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		a := newTestApp(t, dialect)
		acct := newAccountWithPassword(t, a, "login01", "login01@example.jp", "ja", "my login passphrase")
		b := newFakeBrowser(a)

		res := b.get(t, "/login")
		if res.Status != http.StatusOK {
			t.Fatalf("login page: status %d", res.Status)
		}
		doc := res.Doc(t)
		if ac, _ := doc.Find("input#login_id").Attr("autocomplete"); ac != "username" {
			t.Errorf("login_id autocomplete = %q", ac)
		}
		if ac, _ := doc.Find("input#password").Attr("autocomplete"); ac != "current-password" {
			t.Errorf("password autocomplete = %q", ac)
		}
		if href, _ := doc.Find("#forgot-password").Attr("href"); href != "/password-resetting/regist?lang=ja" {
			t.Errorf("forgot-password link = %q", href)
		}

		// Full-width input is normalised like the request form's.
		res = loginAs(t, b, "ｌｏｇｉｎ０１", "my login passphrase", withHeader("User-Agent", "LoginTest/1"))
		if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/?lang=ja" {
			t.Fatalf("login: status %d, Location %q\n%s", res.Status, res.Header.Get("Location"), describe(res.Body))
		}
		res = b.get(t, "/")
		if res.Status != http.StatusOK {
			t.Fatalf("home: status %d", res.Status)
		}
		if got := res.Doc(t).Find("#home-store").Text(); !strings.Contains(got, acct.StoreName) {
			t.Errorf("#home-store = %q, want %q", got, acct.StoreName)
		}
		if got := res.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("home Cache-Control = %q, want no-store", got)
		}

		var ev db.AuditEvent
		if err := a.db.NewSelect().Model(&ev).Where("kind = ?", db.AuditLoginSucceeded).Scan(context.Background()); err != nil {
			t.Fatalf("login_succeeded event: %v", err)
		}
		if ev.LoginID != "login01" || ev.AccountID == nil || *ev.AccountID != acct.ID || ev.UserAgent != "LoginTest/1" {
			t.Errorf("login_succeeded event = %+v", ev)
		}
		if n := countRows(t, a.db, "sessions"); n != 1 {
			t.Errorf("sessions = %d, want 1", n)
		}
		if found := sessionIDStoredRaw(t, a, b.jar["__Host-aikagi_session"]); found {
			t.Error("the raw session ID is stored; only its hash should be")
		}
	})
}

// sessionIDStoredRaw reports whether the raw session ID is in the
// sessions table.
func sessionIDStoredRaw(t testing.TB, a *App, id string) bool {
	t.Helper()
	if id == "" {
		t.Fatal("no session cookie")
	}
	n, err := a.db.NewSelect().Table("sessions").Where("id_hash = ?", []byte(id)).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// TestLoginFailureIsGeneric checks that an unknown ID and a wrong password
// get the same answer, which keeps the typed ID but not the password.
func TestLoginFailureIsGeneric(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	newAccountWithPassword(t, a, "known01", "known01@example.jp", "ja", "the right passphrase")
	ja := views.T(views.Ja)

	wrong := loginAs(t, newFakeBrowser(a), "known01", "a wrong passphrase")
	unknown := loginAs(t, newFakeBrowser(a), "ghost001", "a wrong passphrase")
	for name, res := range map[string]*response{"wrong password": wrong, "unknown ID": unknown} {
		if res.Status != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", name, res.Status)
		}
		doc := res.Doc(t)
		if got := strings.TrimSpace(doc.Find("#error-summary li").Text()); got != ja.Problem(problem.LoginFailed) {
			t.Errorf("%s: message %q, want %q", name, got, ja.Problem(problem.LoginFailed))
		}
		if v := inputValue(doc, "password"); v != "" {
			t.Errorf("%s: the password is sent back", name)
		}
		if len(setCookies(res)) != 0 {
			t.Errorf("%s: Set-Cookie %v", name, res.Header.Values("Set-Cookie"))
		}
	}
	if v := inputValue(wrong.Doc(t), "login_id"); v != "known01" {
		t.Errorf("login ID not kept: %q", v)
	}
	if comparableLoginPage(wrong, "known01") != comparableLoginPage(unknown, "ghost001") {
		t.Errorf("pages differ:\n%s\n---\n%s", comparableLoginPage(wrong, "known01"), comparableLoginPage(unknown, "ghost001"))
	}
	if got := countWhere(t, a, "audit_events", "kind", db.AuditLoginFailed); got != 2 {
		t.Errorf("login_failed events = %d, want 2", got)
	}
}

// TestBcryptLoginUpgradesHash checks accounts imported with the former
// admin site's bcrypt hashes: they log in, and the hash becomes argon2id.
func TestBcryptLoginUpgradesHash(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		const password = "legacy admin password"
		raw, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		for _, prefix := range []string{"$2a$", "$2b$", "$2y$"} {
			t.Run(prefix, func(t *testing.T) {
				ctx := context.Background()
				a := newTestApp(t, dialect)
				hash := prefix + string(raw[4:])
				acct := &db.Account{LoginID: "legacy01", Email: "legacy01@example.jp", StoreName: "老舗", Locale: "ja", PasswordHash: hash}
				if err := db.CreateAccount(ctx, a.db, acct, a.now()); err != nil {
					t.Fatal(err)
				}

				res := loginAs(t, newFakeBrowser(a), "legacy01", "legacy admin passwore")
				if res.Status != http.StatusUnauthorized {
					t.Fatalf("wrong password: status %d, want 401\n%s", res.Status, describe(res.Body))
				}
				if got := storedHash(t, a, acct.ID); got != hash {
					t.Errorf("a failed login changed the hash to %q", got)
				}

				b := newFakeBrowser(a)
				res = loginAs(t, b, "legacy01", password)
				if res.Status != http.StatusSeeOther {
					t.Fatalf("right password: status %d, want 303\n%s", res.Status, describe(res.Body))
				}
				upgraded := storedHash(t, a, acct.ID)
				if !strings.HasPrefix(upgraded, "$argon2id$") {
					t.Fatalf("hash after login = %q, want argon2id", upgraded)
				}
				if ok, _ := account.VerifyArgon2id(upgraded, password); !ok {
					t.Error("the upgraded hash does not verify the password")
				}
				if got := countWhere(t, a, "audit_events", "kind", db.AuditPasswordRehashed); got != 1 {
					t.Errorf("password_rehashed events = %d, want 1", got)
				}
				var changedAt *time.Time
				if err := a.db.NewSelect().Table("accounts").Column("password_changed_at").Where("id = ?", acct.ID).Scan(ctx, &changedAt); err != nil {
					t.Fatal(err)
				}
				if changedAt != nil {
					t.Errorf("an upgrade set password_changed_at = %v; the merchant changed nothing", changedAt)
				}
				if res := b.get(t, "/"); res.Status != http.StatusOK {
					t.Errorf("home after the upgrade: status %d", res.Status)
				}

				res = loginAs(t, newFakeBrowser(a), "legacy01", password)
				if res.Status != http.StatusSeeOther {
					t.Errorf("second login: status %d, want 303", res.Status)
				}
				if got := storedHash(t, a, acct.ID); got != upgraded {
					t.Error("the second login rehashed again")
				}
				if got := countWhere(t, a, "audit_events", "kind", db.AuditPasswordRehashed); got != 1 {
					t.Errorf("password_rehashed events after the second login = %d, want 1", got)
				}
				if res := loginAs(t, newFakeBrowser(a), "legacy01", "legacy admin passwore"); res.Status != http.StatusUnauthorized {
					t.Errorf("wrong password after the upgrade: status %d, want 401", res.Status)
				}
			})
		}
	})
}

// TestLoginWithPasswordInOtherWidth checks passwords as a person types
// them: set in half width, the full-width form logs in; an imported bcrypt
// hash of a full-width password as typed logs in once with it and is
// upgraded to argon2id of the normalised form.
func TestLoginWithPasswordInOtherWidth(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		a := newTestApp(t, dialect)
		newAccountWithPassword(t, a, "width01", "width01@example.jp", "ja", "Kumo 2026 sora")
		for _, pw := range []string{"Kumo 2026 sora", "Ｋｕｍｏ　２０２６　ｓｏｒａ", "Kumo ２０２６ sora"} {
			if res := loginAs(t, newFakeBrowser(a), "width01", pw); res.Status != http.StatusSeeOther {
				t.Errorf("login with %q: status %d, want 303", pw, res.Status)
			}
		}
		for _, pw := range []string{"kumo 2026 sora", "ｋｕｍｏ　２０２６　ｓｏｒａ", "Kumo 2026 sora "} {
			if res := loginAs(t, newFakeBrowser(a), "width01", pw); res.Status != http.StatusUnauthorized {
				t.Errorf("login with %q: status %d, want 401 (case and spaces count)", pw, res.Status)
			}
		}
		if got := countWhere(t, a, "audit_events", "kind", db.AuditPasswordRehashed); got != 0 {
			t.Errorf("password_rehashed events = %d, want none for a normalised hash", got)
		}

		const fullWidth = "ｌｅｇａｃｙ ｐａｓｓ ２０１９"
		acct := &db.Account{LoginID: "width02", Email: "width02@example.jp", StoreName: "老舗", Locale: "ja", PasswordHash: bcryptHash(t, fullWidth)}
		if err := db.CreateAccount(context.Background(), a.db, acct, a.now()); err != nil {
			t.Fatal(err)
		}
		if res := loginAs(t, newFakeBrowser(a), "width02", "legacy pass 2019"); res.Status != http.StatusUnauthorized {
			t.Fatalf("half width against the raw full-width bcrypt hash: status %d, want 401", res.Status)
		}
		if res := loginAs(t, newFakeBrowser(a), "width02", fullWidth); res.Status != http.StatusSeeOther {
			t.Fatalf("full width as typed: status %d, want 303\n%s", res.Status, describe(res.Body))
		}
		upgraded := storedHash(t, a, acct.ID)
		if !strings.HasPrefix(upgraded, "$argon2id$") {
			t.Fatalf("hash after login = %q, want argon2id", upgraded)
		}
		if ok, _ := account.VerifyArgon2id(upgraded, "legacy pass 2019"); !ok {
			t.Error("the upgraded hash is not of the normalised password")
		}
		if got := countWhere(t, a, "audit_events", "kind", db.AuditPasswordRehashed); got != 1 {
			t.Errorf("password_rehashed events = %d, want 1", got)
		}
		for _, pw := range []string{fullWidth, "legacy pass 2019"} {
			if res := loginAs(t, newFakeBrowser(a), "width02", pw); res.Status != http.StatusSeeOther {
				t.Errorf("after the upgrade, login with %q: status %d, want 303", pw, res.Status)
			}
		}
		if got := storedHash(t, a, acct.ID); got != upgraded {
			t.Error("a later login rehashed again")
		}
	})
}

// TestLoginRefusesInvalidLoginIDQuietly checks that a login ID no account
// can have (control characters, spaces, too long) gets the ordinary
// failure page and leaves no trace of itself in the audit trail or the
// failure counts.
func TestLoginRefusesInvalidLoginIDQuietly(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		a := newTestApp(t, dialect)
		newAccountWithPassword(t, a, "quiet01", "quiet01@example.jp", "ja", "the quiet passphrase")
		ja := views.T(views.Ja)
		for name, id := range map[string]string{
			"ESC":         "quiet01\x1b[2J\x1b]0;pwned\x07",
			"CR":          "quiet01\rforged-line",
			"LF":          "quiet01\nlevel=INFO msg=forged",
			"NUL":         "quiet\x0001",
			"inner space": "quiet 01",
			"too long":    strings.Repeat("q", 65),
		} {
			res := loginAs(t, newFakeBrowser(a), id, "the quiet passphrase")
			if res.Status != http.StatusUnauthorized {
				t.Errorf("%s: status %d, want 401\n%s", name, res.Status, describe(res.Body))
				continue
			}
			doc := res.Doc(t)
			if got := strings.TrimSpace(doc.Find("#error-summary li").Text()); got != ja.Problem(problem.LoginFailed) {
				t.Errorf("%s: message %q, want %q", name, got, ja.Problem(problem.LoginFailed))
			}
			if len(setCookies(res)) != 0 {
				t.Errorf("%s: Set-Cookie %v", name, res.Header.Values("Set-Cookie"))
			}
		}
		for _, needle := range []string{"\x1b", "\r", "\n", "forged", "quiet 01", strings.Repeat("q", 65)} {
			if found := tablesContaining(t, a.db, needle); len(found) != 0 {
				t.Errorf("%q was recorded in %v", needle, found)
			}
		}
		if n := countRows(t, a.db, "audit_events"); n != 0 {
			t.Errorf("audit_events has %d rows, want none: %v", n, auditKinds(t, a.db))
		}
		if n := countRows(t, a.db, "login_failures"); n != 0 {
			t.Errorf("login_failures has %d rows, want none", n)
		}
		// The account itself is not locked by them.
		if res := loginAs(t, newFakeBrowser(a), "quiet01", "the quiet passphrase"); res.Status != http.StatusSeeOther {
			t.Errorf("the real ID afterwards: status %d, want 303", res.Status)
		}
	})
}

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
		if got := strings.TrimSpace(doc.Find("#error-summary li").Text()); got != ja.Problem(problem.LoginLocked) {
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

// TestSessionCookie checks the login cookie: HttpOnly, SameSite=Lax, and
// over HTTPS Secure with the __Host- prefix (Path=/, no Domain).
func TestSessionCookie(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		baseURL, name string
		secure        bool
	}{
		{"https://reset.example.test", "__Host-aikagi_session", true},
		{"http://localhost:8080", "aikagi_session", false},
	} {
		t.Run(tc.baseURL, func(t *testing.T) {
			a := newTestAppEnv(t, "sqlite", map[string]string{"BASE_URL": tc.baseURL})
			newAccountWithPassword(t, a, "cookie02", "cookie02@example.jp", "ja", "cookie passphrase")
			b := newFakeBrowser(a)
			res := loginAs(t, b, "cookie02", "cookie passphrase")
			cookies := setCookies(res)
			if len(cookies) != 1 {
				t.Fatalf("Set-Cookie = %v, want one cookie", res.Header.Values("Set-Cookie"))
			}
			c := cookies[0]
			if c.Name != tc.name || len(c.Value) < 43 {
				t.Errorf("cookie %s=%q, want %s with a 256-bit value", c.Name, c.Value, tc.name)
			}
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure != tc.secure || c.Path != "/" || c.Domain != "" {
				t.Errorf("cookie attributes: HttpOnly=%v SameSite=%v Secure=%v Path=%q Domain=%q; want HttpOnly, Lax, Secure=%v, Path=/, no Domain",
					c.HttpOnly, c.SameSite, c.Secure, c.Path, c.Domain, tc.secure)
			}
			if want := testStart.Add(a.cfg.SessionTTL); !c.Expires.Equal(want) {
				t.Errorf("cookie expires %v, want %v", c.Expires, want)
			}
			if res := b.get(t, "/"); res.Status != http.StatusOK {
				t.Errorf("home with the cookie: status %d", res.Status)
			}
		})
	}
}

// TestLogout checks that logging out deletes the session itself, not only
// the cookie.
func TestLogout(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		a := newTestApp(t, dialect)
		newAccountWithPassword(t, a, "logout01", "logout01@example.jp", "ja", "logout passphrase")
		b := newFakeBrowser(a)
		loginAs(t, b, "logout01", "logout passphrase")
		id := b.jar["__Host-aikagi_session"]
		if id == "" {
			t.Fatal("no session cookie after login")
		}
		other := newFakeBrowser(a)
		loginAs(t, other, "logout01", "logout passphrase")

		res := b.post(t, "/logout", nil)
		if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/login?lang=ja" {
			t.Errorf("logout: status %d, Location %q", res.Status, res.Header.Get("Location"))
		}
		if _, ok := b.jar["__Host-aikagi_session"]; ok {
			t.Error("logout did not delete the cookie")
		}
		stolen := newFakeBrowser(a)
		stolen.jar["__Host-aikagi_session"] = id
		if res := stolen.get(t, "/"); res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/login?lang=ja" {
			t.Errorf("old cookie after logout: status %d, Location %q; want 303 to /login", res.Status, res.Header.Get("Location"))
		}
		if res := other.get(t, "/"); res.Status != http.StatusOK {
			t.Errorf("the account's other session ended too: status %d", res.Status)
		}
		if got := countWhere(t, a, "audit_events", "kind", db.AuditLogout); got != 1 {
			t.Errorf("logout events = %d, want 1", got)
		}

		// Logging out without a session, or cross-site, changes nothing.
		if res := newFakeBrowser(a).post(t, "/logout", nil); res.Status != http.StatusSeeOther {
			t.Errorf("logout without a session: status %d", res.Status)
		}
		res = other.post(t, "/logout", nil, withHeader("Sec-Fetch-Site", "cross-site"))
		if res.Status != http.StatusForbidden {
			t.Errorf("cross-site logout: status %d, want 403", res.Status)
		}
		if res := other.get(t, "/"); res.Status != http.StatusOK {
			t.Errorf("a cross-site logout ended the session: status %d", res.Status)
		}
	})
}

// TestHomeNeedsSession checks that / sends anyone without a live session to
// the login page, in their language.
func TestHomeNeedsSession(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	newAccountWithPassword(t, a, "home01", "home01@example.jp", "ja", "home passphrase")
	live := newFakeBrowser(a)
	loginAs(t, live, "home01", "home passphrase")

	garbage := newFakeBrowser(a)
	garbage.jar["__Host-aikagi_session"] = "not-a-session"
	token, _ := secret.NewToken()
	resetTokenAsSession := newFakeBrowser(a)
	resetTokenAsSession.jar["__Host-aikagi_session"] = issueToken(t, a, newAccount(t, a, "home02", "home02@example.jp", "ja"))
	unknown := newFakeBrowser(a)
	unknown.jar["__Host-aikagi_session"] = token

	for name, tc := range map[string]struct {
		b        *fakeBrowser
		target   string
		location string
	}{
		"no cookie":                {newFakeBrowser(a), "/", "/login?lang=ja"},
		"no cookie, English":       {newFakeBrowser(a), "/?lang=en", "/login?lang=en"},
		"garbage cookie":           {garbage, "/", "/login?lang=ja"},
		"unknown session":          {unknown, "/", "/login?lang=ja"},
		"reset token as a session": {resetTokenAsSession, "/", "/login?lang=ja"},
	} {
		res := tc.b.get(t, tc.target)
		if res.Status != http.StatusSeeOther || res.Header.Get("Location") != tc.location {
			t.Errorf("%s: status %d, Location %q; want 303 to %s", name, res.Status, res.Header.Get("Location"), tc.location)
		}
	}

	if res := live.get(t, "/"); res.Status != http.StatusOK {
		t.Fatalf("live session: status %d", res.Status)
	}
	advanceClock(a, a.cfg.SessionTTL)
	if res := live.get(t, "/"); res.Status != http.StatusSeeOther {
		t.Errorf("session after SESSION_TTL: status %d, want 303", res.Status)
	}
}

// TestLoginNeverFramed checks the login page's headers: it may not be
// framed even where the request journey may.
func TestLoginNeverFramed(t *testing.T) {
	t.Parallel()
	a := newTestAppEnv(t, "sqlite", map[string]string{"FRAME_ANCESTORS": "https://help.example.com"})
	for _, res := range []*response{
		get(t, a, "/login"),
		postForm(t, a, "/login", url.Values{"login_id": {"x"}, "password": {"y"}}),
		get(t, a, "/"),
	} {
		if got := cspDirective(res.Header.Get("Content-Security-Policy"), "frame-ancestors"); got != "'none'" {
			t.Errorf("status %d page: frame-ancestors %q, want 'none'", res.Status, got)
		}
	}
}

// TestCrossSiteLoginRefused checks login CSRF: another site cannot log the
// browser in to an account of its choosing.
func TestCrossSiteLoginRefused(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	newAccountWithPassword(t, a, "csrf01", "csrf01@example.jp", "ja", "csrf passphrase")
	res := loginAs(t, newFakeBrowser(a), "csrf01", "csrf passphrase", withHeader("Sec-Fetch-Site", "cross-site"))
	if res.Status != http.StatusForbidden || len(setCookies(res)) != 0 {
		t.Errorf("cross-site login: status %d, cookies %v; want 403 and none", res.Status, res.Header.Values("Set-Cookie"))
	}
}

// TestHashingBounded checks that the password hashes in flight stay within
// the memory budget: four of the app's own, or a single 64 MiB one from an
// old import, and that a waiting one gives up with its request.
func TestHashingBounded(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	var releases []func()
	for range 4 {
		release, err := a.hasher.Reserve(context.Background(), account.ArgonMemory)
		if err != nil {
			t.Fatal(err)
		}
		releases = append(releases, release)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := a.hasher.Hash(ctx, "one too many"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("hash beyond the bound: err %v, want to wait and give up", err)
	}
	if _, _, err := a.hasher.Verify(ctx, account.DummyHash(), "one too many"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("verify beyond the bound: err %v, want to wait and give up", err)
	}
	releases[0]()
	if _, err := a.hasher.Hash(context.Background(), "now there is room"); err != nil {
		t.Errorf("hash after a slot was freed: %v", err)
	}
	for _, release := range releases[1:] {
		release()
	}

	// A 64 MiB hash takes most of the budget: nothing else runs beside it.
	big := "$argon2id$v=19$m=65536,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"
	release, err := a.hasher.Reserve(context.Background(), account.HashMemory(big))
	if err != nil {
		t.Fatal(err)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if _, err := a.hasher.Hash(ctx2, "beside a big one"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("hash beside a 64 MiB one: err %v, want to wait", err)
	}
	release()
}

// A login whose password check overlaps a reset must not outlive the reset,
// nor write the old password back when it upgrades a bcrypt hash.
func TestLoginRacingAResetDoesNotSurviveIt(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect string) {
		a := newTestApp(t, dialect)
		const oldPassword, newPassword = "the old bcrypt passphrase", "a brand new long passphrase"
		for i := range 6 {
			acct := newAccount(t, a, fmt.Sprint("race", i), fmt.Sprint("race", i, "@example.jp"), "ja")
			old, err := bcrypt.GenerateFromPassword([]byte(oldPassword), 10) // slow enough to overlap
			if err != nil {
				t.Fatal(err)
			}
			if err := db.SetPassword(context.Background(), a.db, acct.ID, string(old), a.now(), false); err != nil {
				t.Fatal(err)
			}
			token := issueToken(t, a, acct)
			merchant, thief := newFakeBrowser(a), newFakeBrowser(a)
			merchant.get(t, resetLink(token, ""))

			done := make(chan struct{})
			go func() {
				defer close(done)
				thief.post(t, "/login", url.Values{"login_id": {acct.LoginID}, "password": {oldPassword}})
			}()
			time.Sleep(time.Duration(i) * 15 * time.Millisecond)
			merchant.setNewPassword(t, route.Reset, newPassword)
			<-done

			if res := thief.get(t, "/"); res.Status == http.StatusOK {
				t.Errorf("round %d: a session from the old password works after the reset", i)
			}
			ok, _, err := a.hasher.Verify(context.Background(), storedHash(t, a, acct.ID), newPassword)
			if err != nil || !ok {
				t.Errorf("round %d: the new password does not work (the login wrote the old one back?)", i)
			}
		}
	})
}
