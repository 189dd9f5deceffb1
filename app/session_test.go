package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"aikagi/app/account"
	"aikagi/app/route"
	"aikagi/app/secret"
	"aikagi/db"
)

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
