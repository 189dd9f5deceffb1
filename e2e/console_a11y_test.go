package e2e

import (
	"cmp"
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp/kb"

	"aikagi/db"
	"aikagi/views"
)

// consoleScreen is a console screen behind the login, as the tour reaches
// it: setup, if any, for data the screen needs, a GET of path, then act,
// if any, for a state only a user's action leads to (an error, a notice,
// results typed in).
type consoleScreen struct {
	name string // test-output/console/DEVICE-LANG-NAME.png and messages
	// path is opened after setup: {account} stands for the tour
	// merchant's account ID, {login} for its login ID, and other {names}
	// for what an earlier setup or act put in vars. It must answer
	// status, 200 when that is 0.
	path   string
	status int64
	setup  func(b *consoleTab, acct account, vars map[string]string) // nil: nothing to prepare
	act    func(b *consoleTab, acct account)                         // nil: the page as loaded
	doc    string                                                    // docs/screenshots/console-DOC[-desktop][-en].png, or ""
}

// consoleScreens are the console's screens for a signed-in admin, who may
// do everything, in the order the tour visits them (the tour merchant's
// state carries on from one to the next). Each gets axe-core, the page
// language, tap targets at phone size and a screenshot, in both
// languages, at phone and desktop size.
//
// Adding a screen is one line here: a name, a path and, for data a screen
// needs, a setup, or, for a state a GET does not reach, an act, e.g.
//
//	{name: "disable", path: "/accounts/{account}/disable", act: submitReason("…")},
//
// Screens before the login (the password, the code, enrolment and the
// recovery codes) follow the login itself, in consoleTour.
var consoleScreens = []consoleScreen{
	{name: "home", path: "/", doc: "overview"},
	{name: "search-typed", path: "/", act: typeSearch, doc: "search"},
	{name: "search", path: "/search?q={login}"},
	{name: "search-none", path: "/search?q=no-such-shop"},
	{name: "account", path: "/accounts/{account}"},
	{name: "send-reset", path: "/accounts/{account}/send-reset", doc: "send-reset"},
	{name: "send-reset-error", path: "/accounts/{account}/send-reset", act: submitReason("  ")}, // blank: the server refuses it
	{name: "account-sent", path: "/accounts/{account}/send-reset", act: submitReason("電話で本人確認済み / verified by phone"), doc: "account"},
	{name: "lift-pause", path: "/accounts/{account}/lift-pause", setup: pauseLogins},
	{name: "account-pause-lifted", path: "/accounts/{account}/lift-pause", act: submitReason("本人確認済み / verified")},
	{name: "requeue", path: "/accounts/{account}/mails/{mail}/requeue", setup: giveUpMail},
	{name: "change-email", path: "/accounts/{account}/change-email"},
	{name: "change-email-error", path: "/accounts/{account}/change-email", act: changeEmailTo("not an address")},
	{name: "disable", path: "/accounts/{account}/disable"},
	{name: "account-disabled", path: "/accounts/{account}/disable", act: submitReason("不正利用の疑い / suspected misuse")},
	{name: "enable", path: "/accounts/{account}/enable"},
	{name: "staff", path: "/staff", doc: "staff"},
	{name: "staff-invite", path: "/staff/invite"},
	{name: "staff-invite-error", path: "/staff/invite", act: inviteWithoutReason},
	{name: "staff-invited", path: "/staff/invite", setup: newMemberAddress, act: invite},
	{name: "staff-change", path: "/staff/{member}/role", setup: invitedMember},
	{name: "invitation", path: "{invitation}"},
	{name: "not-found", path: "/accounts/999999999", status: 404},
}

// pauseLogins fails the merchant's login until it pauses.
func pauseLogins(b *consoleTab, acct account, _ map[string]string) {
	b.t.Helper()
	for range 10 {
		if _, err := db.RecordLoginFailure(context.Background(), b.site.db, acct.LoginID, "192.0.2.1", time.Now()); err != nil {
			b.t.Fatal(err)
		}
	}
}

// giveUpMail puts a mail to the merchant in the outbox as given up after
// its last try; vars["{mail}"] is its ID.
func giveUpMail(b *consoleTab, acct account, vars map[string]string) {
	b.t.Helper()
	ctx := context.Background()
	found, err := db.FindAccountByLoginID(ctx, b.site.db, acct.LoginID)
	if err != nil || found == nil {
		b.t.Fatalf("the merchant %s: %v", acct.LoginID, err)
	}
	now := time.Now()
	m := &db.OutboxMail{ID: "e2e-dead-" + strconv.FormatInt(now.UnixNano(), 36), Kind: "password_changed", AccountID: &found.ID,
		ToAddr: found.Email, Payload: []byte("sealed"), Status: db.OutboxDead, Attempts: 8, LastError: "550 5.1.1 mailbox unavailable",
		CreatedAt: now, NextAttemptAt: now, DeadAt: &now}
	if _, err := b.site.db.NewInsert().Model(m).Exec(ctx); err != nil {
		b.t.Fatal(err)
	}
	vars["{mail}"] = m.ID
}

// changeEmailTo types addr and a reason into the change-address form and
// submits it.
func changeEmailTo(addr string) func(b *consoleTab, acct account) {
	return func(b *consoleTab, acct account) {
		b.t.Helper()
		b.fill("email", addr)
		submitReason("問い合わせ 1234 / ticket 1234")(b, acct)
	}
}

// newMemberAddress picks the address the tour invites.
func newMemberAddress(b *consoleTab, _ account, vars map[string]string) {
	vars["{new-member}"] = "invited-" + strconv.FormatInt(time.Now().UnixNano(), 36) + "@support.example.com"
}

// invite fills the invitation form and submits it; the page that answers
// shows the link once, which the tour keeps in vars for "invitation".
func invite(b *consoleTab, _ account) {
	b.t.Helper()
	b.fill("email", b.vars["{new-member}"])
	b.fill("reason", "新しいメンバー / new member")
	b.press(`document.getElementById("reason").form.querySelector("button[type=submit]")`)
	b.waitFor("the invitation link", `document.getElementById("invite-link") && document.readyState === "complete"`)
	link, err := url.Parse(eval[string](&b.page, `document.getElementById("invite-link").value`))
	if err != nil || link.Path == "" {
		b.t.Fatalf("invitation link %v: %v", link, err)
	}
	b.vars["{invitation}"] = link.RequestURI()
}

// inviteWithoutReason submits an invitation whose reason is only blanks,
// which the console refuses with the form's error.
func inviteWithoutReason(b *consoleTab, acct account) {
	b.t.Helper()
	b.fill("email", "refused-"+strconv.FormatInt(time.Now().UnixNano(), 36)+"@support.example.com")
	submitReason("  ")(b, acct)
}

// invitedMember is the member the tour invited, for a change of theirs.
func invitedMember(b *consoleTab, _ account, vars map[string]string) {
	b.t.Helper()
	m, err := db.FindStaffByEmail(context.Background(), b.site.db, vars["{new-member}"])
	if err != nil || m == nil {
		b.t.Fatalf("the invited member %s: %v", vars["{new-member}"], err)
	}
	vars["{member}"] = strconv.FormatInt(m.ID, 10)
}

// typeSearch types the merchant's login ID into the search box and waits
// for the results htmx puts under it.
func typeSearch(b *consoleTab, acct account) {
	b.t.Helper()
	eval[bool](&b.page, `(document.getElementById("q").focus(), true)`)
	b.key(acct.LoginID)
	b.waitFor("the results of "+acct.LoginID, `[...document.querySelectorAll("#results tr")].some(r => r.dataset.loginId === `+jsString(acct.LoginID)+`) && !document.querySelector(".htmx-request, .htmx-settling, .htmx-swapping")`)
}

// submitReason types reason into a form's reason field and submits it;
// the result is the page that follows, with a notice or with an error.
func submitReason(reason string) func(b *consoleTab, acct account) {
	return func(b *consoleTab, acct account) {
		b.t.Helper()
		b.fill("reason", reason)
		before := b.location()
		b.press(`document.getElementById("reason").form.querySelector("button[type=submit]")`)
		b.waitFor("the answer to the form", `(location.href !== `+jsString(before)+` || document.getElementById("form-error")) && document.readyState === "complete"`)
	}
}

// consoleTour signs a new member in, enrols them and visits every console
// screen, calling check on each: the login with and without an error, the
// enrolment with and without one, the recovery codes, consoleScreens, and
// at a second login the code with and without an error.
func consoleTour(t *testing.T, b *consoleTab, check func(name, doc string)) {
	t.Helper()
	C := b.C
	member := b.site.newStaffAs(t, "admin")
	acct := b.site.newAccount(t, C.Lang, "")

	b.open("/login")
	b.waitHeading(C.LoginTitle)
	check("login", "login")
	b.fill("email", member.Email)
	b.fill("password", "not the password at all")
	b.press(byText(C.LogIn))
	b.waitFor("the login error", `document.getElementById("form-error") && document.readyState === "complete"`)
	check("login-error", "")
	b.logIn(member)
	b.waitHeading(C.EnrolTitle)
	check("enrol", "enrol")
	b.fill("code", "000000")
	b.press(byText(C.EnrolConfirm))
	b.waitFor("the enrolment error", `document.getElementById("form-error") && document.readyState === "complete"`)
	check("enrol-error", "")
	b.enrol(&member)
	check("recovery-codes", "")

	found, err := db.FindAccountByLoginID(context.Background(), b.site.db, acct.LoginID)
	if err != nil || found == nil {
		t.Fatalf("the tour's merchant %s: %v", acct.LoginID, err)
	}
	b.vars = map[string]string{"{account}": strconv.FormatInt(found.ID, 10), "{login}": url.QueryEscape(acct.LoginID)}
	for _, s := range consoleScreens {
		if s.setup != nil {
			s.setup(b, acct, b.vars)
		}
		path := s.path
		for k, v := range b.vars {
			path = strings.ReplaceAll(path, k, v)
		}
		want := cmp.Or(s.status, 200)
		if status := b.open(path); status != want {
			t.Errorf("%s: %s answered %d, want %d", s.name, path, status, want)
		}
		b.waitFor(s.name+" loaded", `document.readyState === "complete" && document.querySelector("h1")`)
		if s.act != nil {
			s.act(b, acct)
		}
		check(s.name, s.doc)
	}

	b.open("/")
	b.waitHeading(C.SearchTitle)
	b.press(byText(C.LogOut))
	b.waitHeading(C.LoginTitle)
	b.logIn(member)
	b.waitHeading(C.CodeTitle)
	check("code", "")
	b.fill("code", "000000")
	b.press(byText(C.Verify))
	b.waitFor("the code error", `document.getElementById("form-error") && document.readyState === "complete"`)
	check("code-error", "")
	b.fill("code", totpCode(t, member.Secret, 1)) // the next step: the enrolment's is used
	b.press(byText(C.Verify))
	b.waitHeading(C.SearchTitle)
}

// TestConsoleAccessibility runs axe-core on every console screen in both
// languages at phone and desktop size, and checks the page language and,
// on a phone, tap targets of at least 44×44 px and a page that does not
// scroll sideways (a wide table scrolls in a region of its own). Screenshots go to
// test-output/console/; with UPDATE_SCREENSHOTS=1 the README's are
// rewritten in docs/screenshots/console-*.png.
func TestConsoleAccessibility(t *testing.T) {
	for _, dev := range []device{phone, desktop} {
		for _, lang := range views.Langs {
			t.Run(dev.name+"-"+string(lang), func(t *testing.T) {
				b := openConsole(t, dev, lang)
				consoleTour(t, b, func(name, doc string) {
					b.screenshot("console/" + dev.name + "-" + string(lang) + "-" + name)
					if doc != "" {
						b.docScreenshot(consoleDocName(doc, dev, lang))
					}
					screen := "console " + dev.name + " " + string(lang) + " " + name
					checkLanguage(b.tab, screen)
					checkFieldErrors(b.tab, screen)
					if dev.touch {
						checkTapTargets(b.tab, screen)
						checkNoSidewaysScroll(b, screen)
					}
					if eval[bool](&b.page, `!!document.getElementById("form-error") && document.getElementById("form-error").getAttribute("role") !== "alert"`) {
						t.Errorf("%s: the form's error is not announced (role=alert)", screen)
					}
					axeStrict(&b.page, screen)
				})
			})
		}
	}
}

// checkNoSidewaysScroll: the page is no wider than the viewport.
func checkNoSidewaysScroll(b *consoleTab, screen string) {
	b.t.Helper()
	if w := eval[[]int](&b.page, `[document.documentElement.scrollWidth, document.documentElement.clientWidth]`); w[0] > w[1] {
		b.t.Errorf("%s: the page scrolls sideways: %d px wide in %d", screen, w[0], w[1])
	}
}

// consoleDocName is the README screenshot's name: console-DOC, with
// -desktop and -en when so.
func consoleDocName(doc string, dev device, lang views.Lang) string {
	name := "console-" + doc
	if !dev.touch {
		name += "-" + dev.name
	}
	if lang != views.Ja {
		name += "-" + string(lang)
	}
	return name
}

// TestConsoleKeyboard completes the login form and the send-reset form
// with the keyboard alone on a desktop: Tab reaches every control in
// order, each with a visible focus indicator, and Enter submits.
func TestConsoleKeyboard(t *testing.T) {
	b := openConsole(t, desktop, views.Ja)
	C := b.C
	member := b.site.newStaff(t)
	acct := b.site.newAccount(t, views.Ja, "")

	b.open("/login")
	b.waitHeading(C.LoginTitle)
	b.tabThrough("the login page", []string{"a " + C.SkipToContent, "a " + C.Console, "input#email"})
	b.key(member.Email)
	b.tabThrough("the login page", []string{"input#password"})
	b.key(member.Password)
	b.tabThrough("the login page", []string{"button " + C.LogIn})
	b.enter()
	b.enrol(&member)

	found, err := db.FindAccountByLoginID(context.Background(), b.site.db, acct.LoginID)
	if err != nil || found == nil {
		t.Fatalf("the merchant %s: %v", acct.LoginID, err)
	}
	b.open("/accounts/" + strconv.FormatInt(found.ID, 10) + "/send-reset")
	b.waitHeading(b.sendResetHeading(acct.LoginID))
	b.tabThrough("the send-reset page", []string{"a " + C.SkipToContent, "a " + C.Console, "button " + C.LogOut, "select#ttl"})
	first := b.value("ttl")
	b.key(kb.ArrowDown)
	if b.value("ttl") == first {
		t.Errorf("the down arrow leaves the lifetime at %s", first)
	}
	b.tabThrough("the send-reset page", []string{"textarea#reason"})
	b.key("電話で本人確認済み")
	b.tabThrough("the send-reset page", []string{"button " + C.SendReset, "a " + C.Cancel})
	b.shiftTab()
	b.enter()
	b.waitHeading(b.accountHeading(acct.LoginID))
	if got := b.text("#notice"); !strings.HasPrefix(got, C.ResetSent) {
		t.Errorf("after Enter on %s the account page's notice says %q", C.SendReset, got)
	}
}

// tabThrough presses Tab once for each of want and checks that focus lands
// there, visibly.
func (b *consoleTab) tabThrough(where string, want []string) {
	b.t.Helper()
	for _, w := range want {
		b.key(kb.Tab)
		if got := b.focused(); got != w {
			b.t.Fatalf("Tab on %s lands on %q, want %q", where, got, w)
		}
		b.checkFocusVisible()
	}
}
