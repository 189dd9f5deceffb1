package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"aikagi/app/account"
	"aikagi/app/problem"
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
