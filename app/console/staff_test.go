package console

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/pquerna/otp/totp"

	"aikagi/db"
	"aikagi/db/dbtest"
)

// newAdminConsole is newTestConsole with sato an admin, signed in, and
// kato, a support member, enrolled and signed in too.
func newAdminConsole(t *testing.T, dialect string, env map[string]string) (c *testConsole, admin, support *browser) {
	c, admin, support, _ = newAdminConsoleKey(t, dialect, env)
	return c, admin, support
}

// newAdminConsoleKey is newAdminConsole and the admin's TOTP key.
func newAdminConsoleKey(t *testing.T, dialect string, env map[string]string) (c *testConsole, admin, support *browser, key string) {
	t.Helper()
	c = newTestConsole(t, dialect, env)
	ctx := context.Background()
	sato, _ := db.FindStaffByEmail(ctx, c.db, "sato@example.jp")
	if err := db.SetStaffRole(ctx, c.db, sato.ID, db.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	key, admin = enrol(t, c)
	if _, err := c.staff.Create(ctx, "kato@example.jp", db.RoleSupport, password, "test"); err != nil {
		t.Fatal(err)
	}
	_, support = enrolAs(t, c, "kato@example.jp", password)
	return c, admin, support, key
}

// enrolAs is enrol for any member whose password is known.
func enrolAs(t *testing.T, c *testConsole, email, pw string) (string, *browser) {
	t.Helper()
	c.clock.Advance(time.Minute)
	b := &browser{c: c}
	res := b.do(t, "POST", "/login", url.Values{"email": {email}, "password": {pw}})
	if res.Header.Get("Location") != "/login/enrol" {
		t.Fatalf("%s: password: %d %s", email, res.StatusCode, res.Header.Get("Location"))
	}
	return confirmEnrolment(t, c, b)
}

// confirmEnrolment completes the enrolment of a browser with a pending
// session and returns the TOTP key.
func confirmEnrolment(t *testing.T, c *testConsole, b *browser) (string, *browser) {
	t.Helper()
	key := page(t, b.do(t, "GET", "/login/enrol", nil)).Find("#enrol-secret").Text()
	code, _ := totp.GenerateCode(key, c.clock.Now())
	res := b.do(t, "POST", "/login/enrol", url.Values{"code": {code}})
	if res.StatusCode != http.StatusOK || page(t, res).Find("#recovery-codes li").Length() == 0 {
		t.Fatalf("enrolment: %d", res.StatusCode)
	}
	return key, b
}

func member(t *testing.T, c *testConsole, email string) *db.Staff {
	t.Helper()
	m, err := db.FindStaffByEmail(context.Background(), c.db, email)
	if err != nil || m == nil {
		t.Fatalf("member %s: %v", email, err)
	}
	return m
}

// row is a member's row in the staff list.
func row(doc *goquery.Document, email string) *goquery.Selection {
	return doc.Find(`#members tr[data-email="` + email + `"]`)
}

// staffEvents lists the audit events of kind.
func staffEvents(t *testing.T, c *testConsole, kind db.AuditKind) []db.AuditEvent {
	t.Helper()
	var events []db.AuditEvent
	if err := c.db.NewSelect().Model(&events).Where("kind = ?", kind).OrderExpr("id").Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	return events
}

func TestStaffListForAdminsOnly(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			c, admin, support := newAdminConsole(t, dialect, map[string]string{"LOGIN_LOCKOUT_THRESHOLD": "3"})
			ctx := context.Background()
			if _, err := c.staff.Create(ctx, "ito@example.jp", db.RoleSupport, password, "test"); err != nil {
				t.Fatal(err)
			}
			for range 3 {
				if _, err := db.RecordStaffLoginFailure(ctx, c.db, "ito@example.jp", "", c.clock.Now()); err != nil {
					t.Fatal(err)
				}
			}
			res := admin.do(t, "GET", "/staff", nil)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("staff list: %d", res.StatusCode)
			}
			doc := page(t, res)
			if doc.Find("#staff-link").Length() != 1 {
				t.Error("the header has no link to staff management for an admin")
			}
			if n := doc.Find("#members tbody tr").Length(); n != 3 {
				t.Errorf("%d members listed, want 3", n)
			}
			sato, ito := row(doc, "sato@example.jp"), row(doc, "ito@example.jp")
			if _, ok := sato.Attr("data-enrolled"); !ok || !strings.Contains(sato.Text(), "2026/12/01 18:00") { // 09:00 UTC
				t.Errorf("sato: enrolled and a last login expected: %q", sato.Text())
			}
			if _, ok := ito.Attr("data-enrolled"); ok || !strings.Contains(ito.Text(), "なし") {
				t.Errorf("ito: not enrolled and never logged in expected: %q", ito.Text())
			}
			if ito.Find("[data-paused-mark]").Length() != 1 || ito.Find(`a[data-action="lift-pause"]`).Length() != 1 {
				t.Errorf("ito's login pause is not shown: %q", ito.Text())
			}
			if sato.Find(`a[data-action="disable"], a[data-action="role"]`).Length() != 0 {
				t.Error("an admin is offered to disable or demote themselves")
			}
			// A support member: no link, and the server refuses every route.
			if page(t, support.do(t, "GET", "/", nil)).Find("#staff-link").Length() != 0 {
				t.Error("a support member sees the staff management link")
			}
			ito2 := member(t, c, "ito@example.jp")
			id := itoa(ito2.ID)
			for _, r := range []struct{ method, path string }{
				{"GET", "/staff"}, {"GET", "/staff/invite"}, {"POST", "/staff/invite"},
				{"GET", "/staff/" + id + "/disable"}, {"POST", "/staff/" + id + "/disable"}, {"POST", "/staff/" + id + "/lift-pause"},
			} {
				var form url.Values
				if r.method == "POST" {
					form = url.Values{"email": {"new@example.jp"}, "role": {"admin"}, "reason": {"because"}}
				}
				if res := support.do(t, r.method, r.path, form); res.StatusCode != http.StatusForbidden {
					t.Errorf("support %s %s: %d, want 403", r.method, r.path, res.StatusCode)
				}
			}
			if m, _ := db.FindStaffByEmail(ctx, c.db, "new@example.jp"); m != nil || member(t, c, "ito@example.jp").DisabledAt != nil {
				t.Error("a support member changed the staff")
			}
		})
	}
}

func TestStaffInvitation(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			c, admin, _ := newAdminConsole(t, dialect, nil)
			ctx := context.Background()
			if doc := page(t, admin.do(t, "GET", "/staff/invite", nil)); doc.Find("#invite-form #reason").Length() != 1 {
				t.Fatal("no invitation form")
			}
			form := url.Values{"email": {"Suzuki@Example.jp"}, "role": {"support"}, "reason": {"  "}}
			if res := admin.do(t, "POST", "/staff/invite", form); res.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("no reason: %d", res.StatusCode)
			}
			if m, _ := db.FindStaffByEmail(ctx, c.db, "suzuki@example.jp"); m != nil {
				t.Fatal("a member was added without a reason")
			}
			if res := admin.do(t, "POST", "/staff/invite", url.Values{"email": {"kato@example.jp"}, "role": {"support"}, "reason": {"x"}}); res.StatusCode != http.StatusConflict {
				t.Errorf("a taken email: %d", res.StatusCode)
			}
			form.Set("reason", "joins the desk, ticket 77")
			res := admin.do(t, "POST", "/staff/invite", form)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("invite: %d", res.StatusCode)
			}
			link, _ := page(t, res).Find("#invite-link").Attr("value")
			u, err := url.Parse(link)
			if err != nil || !strings.HasPrefix(u.Path, "/invite/") || len(u.Path) < len("/invite/")+20 {
				t.Fatalf("invitation link %q", link)
			}
			invited := member(t, c, "suzuki@example.jp")
			if invited.PasswordHash != "" || invited.Role != db.RoleSupport {
				t.Errorf("invited member %+v: no password, support, expected", invited)
			}
			sato := member(t, c, "sato@example.jp")
			events := staffEvents(t, c, db.AuditStaffInvited)
			if len(events) != 1 || events[0].StaffID == nil || *events[0].StaffID != sato.ID ||
				!strings.Contains(events[0].Detail, "suzuki@example.jp") || !strings.Contains(events[0].Detail, "ticket 77") {
				t.Errorf("audit %+v: want the admin, the member and the reason", events)
			}
			var invites []db.StaffInvite
			if err := c.db.NewSelect().Model(&invites).Scan(ctx); err != nil || len(invites) != 1 ||
				strings.Contains(string(invites[0].TokenHash), strings.TrimPrefix(u.Path, "/invite/")) {
				t.Fatalf("invitations stored: %d %v", len(invites), err)
			}
			// Before the link is used, no password logs in.
			if res := (&browser{c: c}).do(t, "POST", "/login", url.Values{"email": {"suzuki@example.jp"}, "password": {""}}); res.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("login without a password: %d", res.StatusCode)
			}
			// The member opens the link, sets a password and enrols.
			b := &browser{c: c}
			doc := page(t, b.do(t, "GET", u.Path, nil))
			if doc.Find("#set-password-form").Length() != 1 || doc.Find("#invite-email").Text() != "suzuki@example.jp" {
				t.Fatal("no password form behind the link")
			}
			if res := b.do(t, "POST", u.Path, url.Values{"password": {"password"}, "password_confirm": {"password"}}); res.StatusCode != http.StatusUnprocessableEntity ||
				page(t, res).Find("#password-error").Length() != 1 {
				t.Errorf("a weak password: %d", res.StatusCode)
			}
			newPassword := "violet kettle under the stairs"
			res = b.do(t, "POST", u.Path, url.Values{"password": {newPassword}, "password_confirm": {newPassword}})
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login/enrol" || b.cookie == nil {
				t.Fatalf("set password: %d %s", res.StatusCode, res.Header.Get("Location"))
			}
			confirmEnrolment(t, c, b)
			if got := page(t, b.do(t, "GET", "/", nil)).Find("#staff-email").Text(); !strings.Contains(got, "suzuki@example.jp") {
				t.Errorf("after enrolment the header shows %q", got)
			}
			// The link works once.
			for _, method := range []string{"GET", "POST"} {
				var f url.Values
				if method == "POST" {
					f = url.Values{"password": {"another long passphrase"}, "password_confirm": {"another long passphrase"}}
				}
				res := (&browser{c: c}).do(t, method, u.Path, f)
				if res.StatusCode != http.StatusGone || page(t, res).Find("#invite-unusable").Length() != 1 {
					t.Errorf("used link %s: %d", method, res.StatusCode)
				}
			}
			if res := (&browser{c: c}).do(t, "GET", "/invite/no-such-token", nil); res.StatusCode != http.StatusNotFound {
				t.Errorf("unknown link: %d", res.StatusCode)
			}
			if len(staffEvents(t, c, db.AuditStaffInviteAccepted)) != 1 {
				t.Error("the accepted invitation is not audited")
			}
			// The password set by the member is theirs from now on.
			res = (&browser{c: c}).do(t, "POST", "/login", url.Values{"email": {"suzuki@example.jp"}, "password": {newPassword}})
			if res.Header.Get("Location") != "/login/code" {
				t.Errorf("login with the new password: %d %s", res.StatusCode, res.Header.Get("Location"))
			}
		})
	}
}

func TestStaffInvitationExpires(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			c, admin, _, key := newAdminConsoleKey(t, dialect, nil)
			res := admin.do(t, "POST", "/staff/invite", url.Values{"email": {"mori@example.jp"}, "role": {"admin"}, "reason": {"new lead"}})
			link, _ := page(t, res).Find("#invite-link").Attr("value")
			u, _ := url.Parse(link)
			c.clock.Advance(72 * time.Hour)
			b := &browser{c: c}
			if res := b.do(t, "GET", u.Path, nil); res.StatusCode != http.StatusGone {
				t.Errorf("expired link: %d", res.StatusCode)
			}
			res = b.do(t, "POST", u.Path, url.Values{"password": {"violet kettle under the stairs"}, "password_confirm": {"violet kettle under the stairs"}})
			if res.StatusCode != http.StatusGone || b.cookie != nil || member(t, c, "mori@example.jp").PasswordHash != "" {
				t.Errorf("expired link accepted a password: %d", res.StatusCode)
			}
			// An admin issues a new link; it works, and the old one stays dead.
			admin = signInAgain(t, c, "sato@example.jp", key)
			mori := member(t, c, "mori@example.jp")
			path := "/staff/" + itoa(mori.ID) + "/reinvite"
			res = admin.do(t, "POST", path, url.Values{"reason": {"the first link expired"}})
			link2, _ := page(t, res).Find("#invite-link").Attr("value")
			u2, _ := url.Parse(link2)
			if res.StatusCode != http.StatusOK || u2 == nil || u2.Path == u.Path {
				t.Fatalf("new link: %d %q", res.StatusCode, link2)
			}
			if res := b.do(t, "GET", u2.Path, nil); res.StatusCode != http.StatusOK {
				t.Errorf("the new link: %d", res.StatusCode)
			}
			if len(staffEvents(t, c, db.AuditStaffReinvited)) != 1 {
				t.Error("the new link is not audited")
			}
		})
	}
}

// signIn logs an enrolled member in with their password and TOTP code.
func signInAgain(t *testing.T, c *testConsole, email, key string) *browser {
	t.Helper()
	c.clock.Advance(time.Minute)
	b := &browser{c: c}
	if res := b.do(t, "POST", "/login", url.Values{"email": {email}, "password": {password}}); res.Header.Get("Location") != "/login/code" {
		t.Fatalf("%s: password: %d", email, res.StatusCode)
	}
	code, _ := totp.GenerateCode(key, c.clock.Now())
	if res := b.do(t, "POST", "/login/code", url.Values{"code": {code}}); res.Header.Get("Location") != "/" {
		t.Fatalf("%s: code: %d", email, res.StatusCode)
	}
	return b
}

func TestStaffChanges(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			c, admin, support := newAdminConsole(t, dialect, map[string]string{"LOGIN_LOCKOUT_THRESHOLD": "3"})
			ctx := context.Background()
			kato := member(t, c, "kato@example.jp")
			sato := member(t, c, "sato@example.jp")
			base := "/staff/" + itoa(kato.ID) + "/"
			for _, tc := range []struct {
				change string
				kind   db.AuditKind
				before func()
				check  func() string
			}{
				{"role", db.AuditStaffRoleChanged, nil, func() string {
					if m := member(t, c, "kato@example.jp"); m.Role != db.RoleAdmin {
						return "still " + string(m.Role)
					}
					return ""
				}},
				{"disable", db.AuditStaffDisabled, nil, func() string {
					if member(t, c, "kato@example.jp").DisabledAt == nil {
						return "not disabled"
					}
					if res := support.do(t, "GET", "/", nil); res.StatusCode != http.StatusSeeOther {
						return "the disabled member's session still works"
					}
					if res := (&browser{c: c}).do(t, "POST", "/login", url.Values{"email": {"kato@example.jp"}, "password": {password}}); res.StatusCode != http.StatusUnprocessableEntity {
						return "the disabled member can log in"
					}
					return ""
				}},
				{"enable", db.AuditStaffEnabled, nil, func() string {
					if member(t, c, "kato@example.jp").DisabledAt != nil {
						return "still disabled"
					}
					return ""
				}},
				{"reset-2fa", db.AuditStaffFactorReset, nil, func() string {
					if m := member(t, c, "kato@example.jp"); m.EnrolledAt != nil || m.TOTPSealed != nil {
						return "still enrolled"
					}
					if n, _ := c.db.NewSelect().Model((*db.StaffRecoveryCode)(nil)).Where("staff_id = ?", kato.ID).Where("used_at IS NULL").Count(ctx); n != 0 {
						return "recovery codes kept"
					}
					c.clock.Advance(time.Minute)
					res := (&browser{c: c}).do(t, "POST", "/login", url.Values{"email": {"kato@example.jp"}, "password": {password}})
					if res.Header.Get("Location") != "/login/enrol" {
						return "the next login does not lead to enrolment: " + res.Header.Get("Location")
					}
					return ""
				}},
				{"lift-pause", db.AuditStaffPauseLifted, func() {
					for range 3 {
						if _, err := db.RecordStaffLoginFailure(ctx, c.db, "kato@example.jp", "", c.clock.Now()); err != nil {
							t.Fatal(err)
						}
					}
				}, func() string {
					if n, _ := db.CountStaffLoginFailures(ctx, c.db, "kato@example.jp", c.clock.Now().Add(-time.Hour)); n != 0 {
						return "the failures are still counted"
					}
					return ""
				}},
			} {
				if tc.before != nil {
					tc.before()
				}
				doc := page(t, admin.do(t, "GET", base+tc.change, nil))
				if doc.Find("#change-form #reason").Length() != 1 || doc.Find("#member-email").Text() != "kato@example.jp" {
					t.Fatalf("%s: no confirmation", tc.change)
				}
				form := url.Values{"reason": {""}}
				if tc.change == "role" {
					form.Set("role", doc.Find(`#change-form input[name="role"]`).AttrOr("value", ""))
				}
				if res := admin.do(t, "POST", base+tc.change, form); res.StatusCode != http.StatusUnprocessableEntity {
					t.Errorf("%s without a reason: %d", tc.change, res.StatusCode)
				}
				if len(staffEvents(t, c, tc.kind)) != 0 {
					t.Fatalf("%s happened without a reason", tc.change)
				}
				form.Set("reason", "asked by the desk lead, ticket "+tc.change)
				res := admin.do(t, "POST", base+tc.change, form)
				if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/staff?done="+tc.change {
					t.Fatalf("%s: %d %s", tc.change, res.StatusCode, res.Header.Get("Location"))
				}
				if msg := tc.check(); msg != "" {
					t.Errorf("%s: %s", tc.change, msg)
				}
				events := staffEvents(t, c, tc.kind)
				if len(events) != 1 || events[0].StaffID == nil || *events[0].StaffID != sato.ID ||
					!strings.Contains(events[0].Detail, "kato@example.jp") || !strings.Contains(events[0].Detail, "ticket "+tc.change) {
					t.Errorf("%s: audit %+v", tc.change, events)
				}
				if page(t, admin.do(t, "GET", "/staff?done="+tc.change, nil)).Find("#notice").Length() != 1 {
					t.Errorf("%s: no notice", tc.change)
				}
			}
			long := strings.Repeat("長", 501)
			if res := admin.do(t, "POST", base+"disable", url.Values{"reason": {long}}); res.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("a reason of 501 characters: %d", res.StatusCode)
			}
		})
	}
}

func TestStaffGuards(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			c, admin, _ := newAdminConsole(t, dialect, nil)
			sato := member(t, c, "sato@example.jp")
			self := "/staff/" + itoa(sato.ID) + "/"
			for _, tc := range []struct {
				change string
				form   url.Values
			}{
				{"disable", url.Values{"reason": {"leaving"}}},
				{"role", url.Values{"reason": {"stepping down"}, "role": {"support"}}},
			} {
				res := admin.do(t, "POST", self+tc.change, tc.form)
				if res.StatusCode != http.StatusConflict || page(t, res).Find("#form-error").Length() != 1 {
					t.Errorf("self %s: %d", tc.change, res.StatusCode)
				}
			}
			if m := member(t, c, "sato@example.jp"); m.Role != db.RoleAdmin || m.DisabledAt != nil {
				t.Errorf("the admin changed themselves: %+v", m)
			}
			if res := admin.do(t, "GET", "/staff", nil); res.StatusCode != http.StatusOK {
				t.Errorf("the admin lost the console: %d", res.StatusCode)
			}
			if res := admin.do(t, "POST", "/staff/999999/disable", url.Values{"reason": {"x"}}); res.StatusCode != http.StatusNotFound {
				t.Errorf("unknown member: %d", res.StatusCode)
			}
			if res := admin.do(t, "GET", self+"nonsense", nil); res.StatusCode != http.StatusNotFound {
				t.Errorf("unknown change: %d", res.StatusCode)
			}
		})
	}
}

// Staff changes refuse requests from another site.
func TestStaffCrossSiteRefused(t *testing.T) {
	c, admin, _ := newAdminConsole(t, "sqlite", nil)
	kato := member(t, c, "kato@example.jp")
	for _, path := range []string{"/staff/invite", "/staff/" + itoa(kato.ID) + "/disable"} {
		form := url.Values{"email": {"evil@example.jp"}, "role": {"admin"}, "reason": {"x"}}
		req := httptest.NewRequest("POST", "http://127.0.0.1:8082"+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.AddCookie(admin.cookie)
		res, err := c.Handler().Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site %s: %d", path, res.StatusCode)
		}
	}
	if m, _ := db.FindStaffByEmail(context.Background(), c.db, "evil@example.jp"); m != nil || member(t, c, "kato@example.jp").DisabledAt != nil {
		t.Error("a cross-site request changed the staff")
	}
}

// The console answers only to CONSOLE_URL's host, and builds invitation
// links from CONSOLE_URL whatever Host or X-Forwarded-Host a request
// carries: a forged header cannot make an admin hand out a link to
// another site, and a page on another name resolving here finds nothing.
func TestConsoleHostAndInvitationLinks(t *testing.T) {
	t.Parallel()
	c, admin, _ := newAdminConsole(t, "sqlite", map[string]string{"CONSOLE_URL": "https://console.example.test"})
	for _, host := range []string{"evil.example", "console.example.test.evil.example", "127.0.0.1:8082"} {
		req := httptest.NewRequest("GET", "http://"+host+"/login", nil)
		if res, err := c.Handler().Test(req, -1); err != nil || res.StatusCode != http.StatusNotFound {
			t.Errorf("Host %s: %v, %v; want 404", host, res.StatusCode, err)
		}
	}
	form := url.Values{"email": {"suzuki@example.jp"}, "role": {"support"}, "reason": {"joins the desk"}}
	res := admin.doWith(t, "POST", "/staff/invite", form, map[string]string{"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("invite: %d", res.StatusCode)
	}
	link, _ := page(t, res).Find("#invite-link").Attr("value")
	if !strings.HasPrefix(link, "https://console.example.test/invite/") {
		t.Errorf("invitation link %q, want one on CONSOLE_URL", link)
	}
}
