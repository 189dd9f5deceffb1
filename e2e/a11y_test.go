package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"aikagi/app/problem"
	"aikagi/app/route"
	"aikagi/views"
)

// tour walks through every screen of the product in the tab's language,
// as a merchant meets them, and calls check on each with a numbered name:
// both journeys' steps (empty, with errors, confirmation, sent), the link
// page with and without errors, the done page, login with and without an
// error, home, a used and an unknown link, the choice between two links,
// the 「心当たりがない場合」 page and its outcome, and a missing page.
func tour(t *testing.T, b *tab, acct account, check func(name string)) {
	t.Helper()
	T := b.T

	b.visit(route.Request) // the language comes from Accept-Language
	b.waitHeading(T.RequestTitle)
	check("01-request")
	b.swap(byText(T.Confirm), T.RequestTitle)
	check("02-request-errors")
	b.fill("login_id", acct.LoginID)
	b.fill("email", acct.Email)
	b.swap(byText(T.Confirm), T.ConfirmTitle)
	check("03-confirm")
	before := b.site.lastMailID()
	b.swap(byText(T.Send), T.SentTitle)
	check("04-sent")

	link := b.resetLink(acct, before)
	b.visit(strings.TrimPrefix(link, b.site.base))
	b.waitHeading(T.NewPasswordTitle)
	check("05-new-password")
	b.fill("password", "short")
	b.fill("password_confirm", "different")
	b.press(byText(T.ChangePassword))
	b.waitFor("the new-password errors", `document.getElementById("error-summary") && document.readyState === "complete"`)
	check("06-new-password-errors")
	b.fill("password", newPassword[T.Lang])
	b.fill("password_confirm", newPassword[T.Lang])
	b.press(byText(T.ChangePassword))
	b.waitHeading(T.DoneTitle)
	check("07-done")

	b.press(byText(T.ToLogin))
	b.waitHeading(T.LoginTitle)
	check("08-login")
	b.fill("login_id", acct.LoginID)
	b.fill("password", "not the password at all")
	b.press(byText(T.LoginButton))
	b.waitFor("the login error", `document.getElementById("error-summary") && document.readyState === "complete"`)
	check("09-login-error")
	b.fill("password", newPassword[T.Lang])
	b.press(byText(T.LoginButton))
	b.waitHeading(T.HomeTitle)
	check("10-home")

	// The mail's link a second time: the page saying it was used.
	b.visit(strings.TrimPrefix(link, b.site.base))
	b.waitHeading(T.ProblemTitle(problem.LinkUsed))
	check("11-link-used")

	// A link that never was (mistyped, or cut short by a mail client).
	b.visit(T.Href(route.Reset) + "&token=" + strings.Repeat("A", 43))
	b.waitHeading(T.ProblemTitle(problem.LinkInvalid))
	check("12-link-invalid")

	// A link for another account, opened while this browser holds one: the
	// page asks which account to reset.
	held, _ := b.site.sendReset(t, acct)
	other := b.site.newAccount(t, T.Lang, "")
	next, report := b.site.sendReset(t, other)
	b.visit(held)
	b.waitHeading(T.NewPasswordTitle)
	b.visit(next)
	b.waitHeading(T.ChooseLinkTitle)
	check("13-choose-link")
	b.press(`document.getElementById("keep-link")`)
	b.waitHeading(T.NewPasswordTitle)

	// 「心当たりがない場合」 in the other account's mail.
	b.visit(report)
	b.waitHeading(T.ReportTitle)
	check("14-report")
	b.press(`document.getElementById("report-link")`)
	b.waitHeading(T.ReportDoneTitle)
	check("15-report-done")

	b.visit(T.Href(views.ReminderJourney.Enter))
	b.waitHeading(T.ReminderTitle)
	check("16-reminder")
	b.swap(byText(T.Confirm), T.ReminderTitle)
	check("17-reminder-errors")
	b.fill("email", acct.Email)
	b.swap(byText(T.Confirm), T.ConfirmTitle)
	check("18-reminder-confirm")
	b.swap(byText(T.Send), T.SentTitle)
	check("19-reminder-sent")

	b.visit(T.Href("/no-such-page"))
	b.waitHeading(T.ProblemTitle(problem.NotFound))
	check("20-not-found")
}

// docScreens are the tour's screens the README shows, by file name.
var docScreens = map[string]string{
	"01-request":      "step1-request",
	"03-confirm":      "step2-confirm",
	"04-sent":         "step3-sent",
	"05-new-password": "new-password",
	"07-done":         "done",
	"11-link-used":    "link-used",
	"12-link-invalid": "link-invalid",
}

// statusScreens announce an outcome: their heading sits in role=status.
var statusScreens = map[string]bool{"04-sent": true, "07-done": true, "15-report-done": true, "19-reminder-sent": true}

// TestAccessibility runs axe-core on every screen in both languages at
// phone size, and checks what axe cannot: the page language, fields with
// errors tied to their messages, an error summary linking to the fields,
// outcomes in a status region, and tap targets of at least 44×44 px. A screenshot of each screen goes
// to test-output/.
func TestAccessibility(t *testing.T) {
	for _, lang := range views.Langs {
		t.Run(string(lang), func(t *testing.T) {
			b := openTab(t, phone, lang)
			acct := b.site.readmeAccount(t) // the README's example, for docs/screenshots
			if lang != views.Ja {
				acct = b.site.newAccount(t, lang, "")
			}
			tour(t, b, acct, func(name string) {
				b.screenshot(string(lang) + "-" + name)
				if doc := docScreens[name]; doc != "" {
					if lang != views.Ja {
						doc += "-" + string(lang)
					}
					b.docScreenshot(doc)
				}
				screen := string(lang) + " " + name
				checkLanguage(b, screen)
				checkFieldErrors(b, screen)
				checkTapTargets(b, screen)
				if statusScreens[name] && !eval[bool](&b.page, `!!document.querySelector("#flow [role=status] h1")`) {
					t.Errorf("%s: the outcome's heading is not in a status region", screen)
				}
				axe(&b.page, screen)
			})
		})
	}
}

// TestReflowAt200PercentZoom walks every screen at 200 % zoom of a
// 640-px-wide window, that is 320 CSS px: nothing may need horizontal
// scrolling or stick out of the viewport.
func TestReflowAt200PercentZoom(t *testing.T) {
	for _, lang := range views.Langs {
		t.Run(string(lang), func(t *testing.T) {
			b := openTab(t, zoom200, lang)
			tour(t, b, b.site.newAccount(t, lang, ""), func(name string) {
				b.screenshot("zoom200/" + string(lang) + "-" + name)
				checkReflow(b, string(lang)+" "+name)
			})
		})
	}
}

func checkLanguage(b *tab, screen string) {
	b.t.Helper()
	if got := eval[string](&b.page, `document.documentElement.lang`); got != string(b.T.Lang) {
		b.t.Errorf("%s: <html lang=%q>, want %q", screen, got, b.T.Lang)
	}
}

// checkFieldErrors: every field marked invalid names its error message in
// aria-describedby, and every link of the error summary leads to a field.
func checkFieldErrors(b *tab, screen string) {
	b.t.Helper()
	problems := eval[[]string](&b.page, `(() => {
		const problems = [];
		for (const input of document.querySelectorAll("input, select, textarea")) {
			const error = document.getElementById(input.id + "-error");
			const describedBy = (input.getAttribute("aria-describedby") || "").split(/\s+/);
			if (error && input.getAttribute("aria-invalid") !== "true") problems.push("#" + input.id + " has an error but no aria-invalid");
			if (input.getAttribute("aria-invalid") === "true" && !(error && describedBy.includes(error.id))) problems.push("#" + input.id + " is invalid but its aria-describedby does not name its error");
			for (const id of describedBy.filter(Boolean)) if (!document.getElementById(id)) problems.push("#" + input.id + " is described by missing #" + id);
		}
		const summary = document.getElementById("error-summary");
		if (summary) {
			if (!["alert", "status"].includes(summary.getAttribute("role"))) problems.push("the error summary is not announced (role)");
			for (const a of summary.querySelectorAll("a")) {
				const target = document.getElementById(decodeURIComponent(a.hash.slice(1)));
				if (!target || !target.matches("input, select, textarea")) problems.push("summary link " + a.getAttribute("href") + " leads to no field");
			}
		}
		return problems;
	})()`)
	for _, p := range problems {
		b.t.Errorf("%s: %s", screen, p)
	}
}

// checkTapTargets: every visible link, button and field is at least 44×44
// CSS px (WCAG 2.5.5), except a link inside a sentence.
func checkTapTargets(b *tab, screen string) {
	b.t.Helper()
	small := eval[[]string](&b.page, `[...document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea")]
		.filter(e => e.getClientRects().length > 0 && !e.closest(".sr-only") && getComputedStyle(e).visibility !== "hidden")
		.filter(e => !(e.matches("a") && e.parentElement.matches("p") && e.parentElement.textContent.trim() !== e.textContent.trim()))
		.map(e => [e, e.getBoundingClientRect()])
		.filter(([e, r]) => r.width < 44 || r.height < 44)
		.map(([e, r]) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + " " + JSON.stringify(e.textContent.trim().slice(0, 30)) + " " + Math.round(r.width) + "×" + Math.round(r.height))`)
	for _, s := range small {
		b.t.Errorf("%s: tap target smaller than 44×44 px: %s", screen, s)
	}
}

// checkReflow: no horizontal scrolling, and no visible element reaching
// past the viewport's right edge.
func checkReflow(b *tab, screen string) {
	b.t.Helper()
	over := eval[[]string](&b.page, `(() => {
		const width = document.documentElement.clientWidth, out = [];
		if (document.documentElement.scrollWidth > width) out.push("the page scrolls sideways: " + document.documentElement.scrollWidth + " px wide in " + width);
		for (const e of document.body.querySelectorAll("*")) {
			if (e.closest(".sr-only") || e.getClientRects().length === 0) continue;
			const r = e.getBoundingClientRect();
			if (r.right > width + 0.5 || r.left < -0.5) out.push(e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + " " + JSON.stringify(e.textContent.trim().slice(0, 30)) + " spans " + Math.round(r.left) + "–" + Math.round(r.right));
		}
		return out;
	})()`)
	for _, s := range over {
		b.t.Errorf("%s at 320 CSS px: %s", screen, s)
	}
}

// TestKeyboardOnly goes through steps 1–3 with the keyboard alone on a
// desktop: Tab reaches every control in order, each with a visible focus
// indicator; Enter submits; after each swap focus is on the error summary
// or the new step's heading, and the summary's links lead into the fields.
func TestKeyboardOnly(t *testing.T) {
	b := openTab(t, desktop, views.Ja)
	acct := b.site.newAccount(t, views.Ja, "")
	T := b.T
	b.visit(route.Request)
	b.waitHeading(T.RequestTitle)

	want := []string{
		"a " + T.SkipToContent,
		"a " + views.T(views.En).LangName,
		"input#login_id",
		"input#email",
		"button " + T.Confirm,
		// 「登録メールアドレスが使えない方」: the support desk (site_test.go's settings).
		"a 0120-000-000",
		"a " + T.Support.Link,
		"a#forgot-login-id " + T.ForgotLoginID,
		"a " + T.ToLogin,
	}
	var got []string
	for range want {
		b.key(kb.Tab)
		got = append(got, b.focused())
		b.checkFocusVisible()
	}
	if strings.Join(got, " | ") != strings.Join(want, " | ") {
		t.Errorf("Tab order on step 1:\n got %q\nwant %q", got, want)
	}

	// Back to the button, and Enter on the empty form: the error summary.
	for range 4 {
		b.shiftTab()
	}
	if f := b.focused(); f != "button "+T.Confirm {
		t.Fatalf("Shift+Tab twice from the last link lands on %q", f)
	}
	b.enter()
	b.waitFor("the error summary focused", swapped(T.RequestTitle))

	// Its first link leads into the login ID field.
	b.key(kb.Tab)
	if f := b.focused(); !strings.HasPrefix(f, "a ") {
		t.Fatalf("Tab from the error summary lands on %q, want its first link", f)
	}
	b.checkFocusVisible()
	b.enter()
	b.waitFor("focus in the login ID field", `document.activeElement.id === "login_id"`)
	b.key(acct.LoginID)
	b.key(kb.Tab)
	if f := b.focused(); f != "input#email" {
		t.Fatalf("Tab from the login ID lands on %q", f)
	}
	b.key(acct.Email)
	b.enter() // submits the form from the field
	b.waitFor("step 2 with focus on its heading", swapped(T.ConfirmTitle))

	b.key(kb.Tab)
	if f := b.focused(); f != "button "+T.Send {
		t.Fatalf("Tab on step 2 lands on %q, want %s first", f, T.Send)
	}
	b.checkFocusVisible()
	b.key(kb.Tab)
	if f := b.focused(); f != "button "+T.Edit {
		t.Fatalf("second Tab on step 2 lands on %q, want %s", f, T.Edit)
	}
	b.shiftTab()
	b.enter()
	b.waitFor("step 3 with focus on its heading", swapped(T.SentTitle))

	// Step 3's links, and the login page in the same window.
	for b.focused() != "a "+T.ToLogin {
		b.key(kb.Tab)
		if !strings.HasPrefix(b.focused(), "a") {
			t.Fatalf("Tab on step 3 reached %q before %s", b.focused(), T.ToLogin)
		}
		b.checkFocusVisible()
	}
	b.enter()
	b.waitHeading(T.LoginTitle)
}

// key types keys (or a kb constant) into whatever has focus.
func (b *tab) key(keys string) {
	b.t.Helper()
	b.do(chromedp.KeyEvent(keys))
}

// enter presses Enter as a real keyboard does: a raw key down, the char
// "\r" and the key up. kb.Enter's keyDown event carries the key's default
// action already, so its char event would act a second time on whatever
// the first one focused (a fragment link's field submits its form).
func (b *tab) enter() {
	b.t.Helper()
	b.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for _, ev := range []input.DispatchKeyEventParams{
			{Type: input.DispatchKeyEventTypeRawKeyDown, Key: "Enter", Code: "Enter", WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13},
			{Type: input.DispatchKeyEventTypeChar, Key: "Enter", Code: "Enter", Text: "\r", UnmodifiedText: "\r", WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13},
			{Type: input.DispatchKeyEventTypeKeyUp, Key: "Enter", Code: "Enter", WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13},
		} {
			if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, ev); err != nil {
				return err
			}
		}
		return nil
	}))
}

func (b *tab) shiftTab() {
	b.t.Helper()
	b.do(chromedp.KeyEvent(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift)))
}

// focused describes the focused element: tag, id, and the text of a link or
// button.
func (b *tab) focused() string {
	b.t.Helper()
	return eval[string](&b.page, `(() => { const e = document.activeElement; if (!e || e === document.body) return "body";
		let s = e.tagName.toLowerCase() + (e.id ? "#" + e.id : "");
		if (e.matches("a, button")) s += " " + e.textContent.trim();
		return s; })()`)
}

// checkFocusVisible: the focused control shows a focus indicator, an
// outline or a ring (box-shadow) of at least 2 px whose colour has a
// contrast of at least 3:1 with the background around it (WCAG 2.4.7 and
// 1.4.11), and it is on screen.
func (b *tab) checkFocusVisible() {
	b.t.Helper()
	problem := eval[string](&b.page, `(() => {
		const e = document.activeElement, s = getComputedStyle(e), r = e.getBoundingClientRect();
		if (r.width < 1 || r.height < 1 || r.bottom < 0 || r.top > innerHeight) return "is not on screen";
		const rgb = c => (c.match(/[\d.]+/g) || []).map(Number);
		const lum = c => { const v = rgb(c).slice(0, 3).map(x => { x /= 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; }); return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
		const contrast = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
		let bg = "rgb(255, 255, 255)";
		for (let p = e.parentElement; p; p = p.parentElement) { const c = getComputedStyle(p).backgroundColor; if (rgb(c).length === 3 || rgb(c)[3] === 1) { bg = c; break; } }
		const colours = [], opaque = c => rgb(c).length === 3 || rgb(c)[3] > 0.5;
		if (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2) colours.push(s.outlineColor);
		for (const m of s.boxShadow.matchAll(/(rgba?\([^)]*\))[^,]*?(\d+(?:\.\d+)?)px(?:,|$)/g)) if (parseFloat(m[2]) >= 2 && !/inset/.test(m[0])) colours.push(m[1]);
		colours.splice(0, colours.length, ...colours.filter(opaque));
		if (colours.length === 0) return "has no visible focus indicator (outline " + s.outlineStyle + " " + s.outlineWidth + ", box-shadow " + s.boxShadow + ")";
		const best = Math.max(...colours.map(c => contrast(c, bg)));
		return best >= 3 ? "" : "has a focus indicator of contrast " + best.toFixed(2) + ":1 against " + bg + " (" + colours.join(", ") + ")";
	})()`)
	if problem != "" {
		b.t.Errorf("focused %s %s", b.focused(), problem)
	}
}
