package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"aikagi/app/mail"
	"aikagi/app/route"
	"aikagi/views"
)

// newPassword is a passphrase the policy accepts, in the merchant's language.
var newPassword = map[views.Lang]string{
	views.Ja: "さくらの木の下で緑茶を飲む午後",
	views.En: "green tea under the cherry tree",
}

// fullWidth writes ASCII as a Japanese keyboard in full-width mode does:
// ｅ２ｅ－ｓｈｏｐ. The server normalises it (NFKC).
func fullWidth(s string) string {
	return strings.Map(func(r rune) rune {
		if r > ' ' && r <= '~' {
			return r + 0xFEE0
		}
		return r
	}, s)
}

// TestJourneyWithJavaScript is the whole reset as a merchant does it:
// request, confirm, 修正する, confirm again, send, the mail in /_dev/mail,
// the link, a new password, and a login that shows the store. Steps 1–3
// are swapped in place by htmx: the document never changes, and focus
// moves to each new step's heading.
func TestJourneyWithJavaScript(t *testing.T) {
	for _, tc := range []struct {
		dev  device
		lang views.Lang
	}{
		{phone, views.Ja},
		{desktop, views.En},
	} {
		t.Run(tc.dev.name+"-"+string(tc.lang), func(t *testing.T) {
			b := openTab(t, tc.dev, tc.lang)
			acct := b.site.newAccount(t, tc.lang, "")
			T := b.T

			// Step 1, in the language the browser asks for.
			b.visit(route.Request)
			b.waitHeading(T.RequestTitle)
			if lang := eval[string](&b.page, `document.documentElement.lang`); lang != string(tc.lang) {
				t.Errorf("<html lang=%q>, want %q", lang, tc.lang)
			}
			b.markDocument()
			if focused := eval[string](&b.page, `document.activeElement.tagName`); focused != "BODY" {
				t.Errorf("focus on first load is on %s, want nothing focused", focused)
			}

			// Full-width input, as typed with a Japanese keyboard.
			b.fill("login_id", fullWidth(acct.LoginID))
			b.fill("email", strings.Replace(acct.Email, "@", "＠", 1))
			b.swap(byText(T.Confirm), T.ConfirmTitle)
			if got := b.text("#confirm-login-id"); got != acct.LoginID {
				t.Errorf("step 2 shows login ID %q, want the normalised %q", got, acct.LoginID)
			}
			if got := b.text("#confirm-email"); got != acct.Email {
				t.Errorf("step 2 shows e-mail %q, want the normalised %q", got, acct.Email)
			}

			// 修正する: back to step 1 with the values kept.
			b.swap(byText(T.Edit), T.RequestTitle)
			if got := b.value("login_id"); got != acct.LoginID {
				t.Errorf("after %s the login ID field holds %q, want %q", T.Edit, got, acct.LoginID)
			}
			if got := b.value("email"); got != acct.Email {
				t.Errorf("after %s the e-mail field holds %q, want %q", T.Edit, got, acct.Email)
			}
			b.swap(byText(T.Confirm), T.ConfirmTitle)
			before := b.site.lastMailID()
			b.swap(byText(T.Send), T.SentTitle)
			if !eval[bool](&b.page, `!!document.querySelector("#flow [role=status] h1")`) {
				t.Error("step 3's heading is not in a status region")
			}
			if !b.sameDocument() {
				t.Fatal("steps 1–3 navigated: the document changed; they must be swapped in place")
			}
			if path := eval[string](&b.page, `location.pathname + location.search`); path != route.Request {
				t.Errorf("address bar shows %s after step 3, want %s (no hx-push-url)", path, route.Request)
			}

			link := b.resetLink(acct, before)
			setNewPasswordAndLogIn(t, b, acct, link)
		})
	}
}

// TestJourneyWithoutJavaScript is the same journey with script execution
// disabled: every step is a full-page form post, including the 422 of an
// empty form and the no-JavaScript show-password button.
func TestJourneyWithoutJavaScript(t *testing.T) {
	b := openTab(t, phone, views.Ja)
	acct := b.site.newAccount(t, views.Ja, "")
	T := b.T
	call(&b.page, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})

	b.visit(route.Request)
	b.waitHeading(T.RequestTitle)
	if loaded := eval[bool](&b.page, `typeof window.htmx !== "undefined"`); loaded {
		t.Fatal("htmx ran although JavaScript is disabled")
	}

	status := b.submit(byText(T.Confirm))
	b.expectPage(status, 422, route.Confirm, T.RequestTitle)
	if n := eval[int](&b.page, `document.querySelectorAll("#error-summary li").length`); n != 2 {
		t.Errorf("error summary lists %d problems, want 2", n)
	}

	b.fill("login_id", acct.LoginID)
	b.fill("email", acct.Email)
	b.expectPage(b.submit(byText(T.Confirm)), 200, route.Confirm, T.ConfirmTitle)
	b.expectPage(b.submit(byText(T.Edit)), 200, route.Request, T.RequestTitle)
	if got := b.value("login_id"); got != acct.LoginID {
		t.Errorf("after %s the login ID field holds %q, want %q", T.Edit, got, acct.LoginID)
	}
	b.expectPage(b.submit(byText(T.Confirm)), 200, route.Confirm, T.ConfirmTitle)
	before := b.site.lastMailID()
	b.expectPage(b.submit(byText(T.Send)), 200, route.Send, T.SentTitle)

	link := b.resetLink(acct, before)
	b.visit(strings.TrimPrefix(link, b.site.base))
	b.waitHeading(T.NewPasswordTitle)
	b.fill("password", newPassword[views.Ja])
	b.fill("password_confirm", newPassword[views.Ja])
	// Without JavaScript, 「表示」 asks the server for the form with the
	// passwords shown, keeping what was typed.
	b.expectPage(b.submit(byText(T.ShowPassword)), 200, route.Reset, T.NewPasswordTitle)
	if typ := eval[string](&b.page, `document.getElementById("password").type`); typ != "text" || b.value("password") != newPassword[views.Ja] {
		t.Errorf("after %s the password field is type=%s holding %q", T.ShowPassword, typ, b.value("password"))
	}
	b.expectPage(b.submit(byText(T.ChangePassword)), 200, route.ResetDone, T.DoneTitle)
	// A reload shows the done page again (POST, redirect, GET), not the
	// page asking for cookies.
	b.do(chromedp.Reload())
	b.waitHeading(T.DoneTitle)
	b.expectPage(b.submit(byText(T.ToLogin)), 200, route.Login, T.LoginTitle)
	b.fill("login_id", acct.LoginID)
	b.fill("password", newPassword[views.Ja])
	b.expectPage(b.submit(byText(T.LoginButton)), 200, route.Home, T.HomeTitle)
	if got := b.text("#home-store"); !strings.Contains(got, acct.Store) {
		t.Errorf("home page says %q, want the store %q", got, acct.Store)
	}
}

// expectPage checks that a full-page response loaded: its status, its path
// and its heading.
func (b *tab) expectPage(status, wantStatus int64, wantPath, title string) {
	b.t.Helper()
	b.waitHeading(title)
	if status != wantStatus {
		b.t.Errorf("%s answered %d, want %d", wantPath, status, wantStatus)
	}
	if path := eval[string](&b.page, `location.pathname`); path != wantPath {
		b.t.Errorf("page %q is at %s, want %s", title, path, wantPath)
	}
}

// resetLink waits for the reset mail to acct, opens it in the development
// mailbox as a merchant opens a mail, and returns its link.
func (b *tab) resetLink(acct account, after int) string {
	b.t.Helper()
	m := b.site.waitMail(b.t, acct.Email, "", after)
	text := b.openMail(m)
	link := regexp.MustCompile(regexp.QuoteMeta(b.site.base+route.Reset) + `\?\S+`).FindString(text)
	if link == "" {
		b.t.Fatalf("no reset link to %s in the mail:\n%s", b.site.base, text)
	}
	return link
}

// openMail opens message m from the list at /_dev/mail and returns its
// text part.
func (b *tab) openMail(m mail.DevMessage) string {
	b.t.Helper()
	b.visit("/_dev/mail")
	href := fmt.Sprintf("/_dev/mail/%d", m.ID)
	b.press(`document.querySelector('a[href="` + href + `"]')`)
	b.waitFor("the mail "+href, `location.pathname === "`+href+`" && document.readyState === "complete" && document.getElementById("dev-mail-text")`)
	return b.text("#dev-mail-text")
}

// setNewPasswordAndLogIn follows the mail's link (steps 5 and 6), sets the
// new password and logs in with it.
func setNewPasswordAndLogIn(t *testing.T, b *tab, acct account, link string) {
	t.Helper()
	T := b.T
	b.visit(strings.TrimPrefix(link, b.site.base))
	b.waitHeading(T.NewPasswordTitle)
	if loc := b.location(); strings.Contains(loc, "token=") {
		t.Errorf("the token stays in the address bar: %s", loc)
	}
	if user := eval[string](&b.page, `document.querySelector("input[autocomplete=username]").value`); user != acct.LoginID {
		t.Errorf("hidden username for password managers is %q, want %q", user, acct.LoginID)
	}
	if got := b.text("#reset-account"); !strings.Contains(got, acct.LoginID) || !strings.Contains(got, acct.Store) {
		t.Errorf("the page names the account as %q, want %s and %s", got, acct.LoginID, acct.Store)
	}
	pw := newPassword[acct.Lang]
	b.fill("password", pw)
	b.fill("password_confirm", pw)
	// Enter in the field, as a phone's Go key does: it must change the
	// password, not press the show/hide button.
	b.enter()
	b.waitHeading(T.DoneTitle)

	b.press(byText(T.ToLogin))
	b.waitHeading(T.LoginTitle)
	b.fill("login_id", acct.LoginID)
	b.fill("password", pw)
	b.press(byText(T.LoginButton))
	b.waitHeading(T.HomeTitle)
	if got := b.text("#home-store"); !strings.Contains(got, acct.Store) {
		t.Errorf("home page says %q, want the store %q", got, acct.Store)
	}
}
