package e2e

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"aikagi/app/route"
	"aikagi/views"
)

// helpCenter is the demo help center's article open in a tab, with the app's
// cross-site iframe in it.
type helpCenter struct {
	*tab
	frame *page
}

// openHelpCenter opens the demo help center (another site than the app)
// and attaches to the app's iframe. Chrome runs a cross-site frame in a
// process of its own, as a target of its own, so the test talks to it
// through that target, and to the parent page through the tab.
func (b *tab) openHelpCenter() *helpCenter {
	b.t.Helper()
	b.do(chromedp.Navigate(b.site.demo + "/"))
	h := &helpCenter{tab: b, frame: b.attachFrame()}
	h.frame.waitFor("the app in the frame", `document.readyState === "complete" && document.querySelector("#flow h1")`)
	h.fits("the first page") // until then, part of it may be cut off
	return h
}

// attachFrame finds the app's iframe target among this tab's browser
// context's targets and attaches to it, without closing it at the end.
func (b *tab) attachFrame() *page {
	b.t.Helper()
	bc := chromedp.FromContext(b.ctx).BrowserContextID
	deadline := time.Now().Add(waitTimeout)
	for {
		infos, err := chromedp.Targets(b.ctx)
		if err != nil {
			b.t.Fatalf("targets: %v", err)
		}
		for _, info := range infos {
			if info.Type == "iframe" && info.BrowserContextID == bc && strings.HasPrefix(info.URL, b.site.base+"/") {
				ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithTargetID(info.TargetID), chromedp.WithDetachOnCancel())
				b.t.Cleanup(cancel)
				f := &page{t: b.t, ctx: ctx, what: "frame"}
				f.do()
				return f
			}
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("no iframe of %s in the help center after %s", b.site.base, waitTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// frameElement is the iframe in the help center's article.
const frameElement = `document.querySelector("iframe[data-aikagi]")`

// press taps (or clicks) an element inside the frame. Input goes to the
// tab, at the element's place on screen, as a finger's would: the parent
// page is scrolled to bring it into view.
func (h *helpCenter) press(element string) {
	h.t.Helper()
	if !h.dev.touch {
		h.do(h.pressAt(h.inFrame(element)))
		return
	}
	for attempt := 1; ; attempt++ {
		if h.tapped(h.frame, h.inFrame(element), attempt) {
			return
		}
	}
}

// inFrame is the centre of the element of the frame, in the tab's
// viewport, which is scrolled to show it.
func (h *helpCenter) inFrame(element string) point {
	h.t.Helper()
	in := eval[*point](h.frame, `(() => { const e = `+element+`; if (!e) return null;
		const r = e.getClientRects()[0]; return {X: r.left + r.width / 2, Y: r.top + r.height / 2}; })()`)
	if in == nil {
		h.t.Fatalf("frame: nothing to press: %s (heading %q)", abbreviate(element), h.frame.heading())
	}
	pt := eval[point](&h.page, fmt.Sprintf(`(async () => { const f = %s; let b = f.getBoundingClientRect();
		const y = b.top + f.clientTop + %f;
		if (y < 60 || y > innerHeight - 60) { scrollBy(0, y - innerHeight / 2); %s b = f.getBoundingClientRect(); }
		return {X: b.left + f.clientLeft + %f, Y: b.top + f.clientTop + %f}; })()`, frameElement, in.Y, painted, in.X, in.Y))
	return pt
}

// fill taps a field in the frame and types into it.
func (h *helpCenter) fill(id, value string) {
	h.t.Helper()
	h.press(`document.getElementById(` + jsString(id) + `)`)
	h.frame.waitFor("focus on #"+id, `document.activeElement && document.activeElement.id === `+jsString(id))
	eval[bool](h.frame, `(document.activeElement.select(), true)`)
	h.do(chromedp.KeyEvent(value))
}

// swap presses a button in the frame and waits for the next step there.
func (h *helpCenter) swap(element, title string) {
	h.t.Helper()
	h.press(element)
	h.frame.waitFor("the step "+jsString(title)+" swapped in, with focus on its heading or error summary", swapped(title))
}

// fits waits until the iframe is exactly as high as the page in it, with
// nothing to scroll inside the frame, and returns that height.
func (h *helpCenter) fits(step string) float64 {
	h.t.Helper()
	var frameHeight, contentHeight float64
	var scrolls bool
	deadline := time.Now().Add(waitTimeout)
	for {
		frameHeight = eval[float64](&h.page, frameElement+`.getBoundingClientRect().height`)
		contentHeight = eval[float64](h.frame, `Math.ceil(document.body.getBoundingClientRect().height)`)
		scrolls = eval[bool](h.frame, `document.documentElement.scrollHeight > innerHeight + 1`)
		if math.Abs(frameHeight-math.Max(contentHeight, 200)) <= 1 && !scrolls {
			return frameHeight
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("%s: the frame is %.0f px high for %.0f px of content (scrolls inside: %v)", step, frameHeight, contentHeight, scrolls)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestHelpCenterFrame runs steps 1–3 inside the demo help center's
// cross-site iframe at phone size, with third-party cookies blocked: the
// frame follows its content's height as the steps change, focus follows
// the swaps, and the login link opens in the top window.
func TestHelpCenterFrame(t *testing.T) {
	b := openTab(t, phone, views.Ja)
	acct := b.site.newAccount(t, views.Ja, "")
	T := b.T

	// Control: at top level the app's origin may set and read a cookie.
	b.visit(route.Login)
	probe := `(document.cookie = "aikagi_probe=1; SameSite=None; Secure; Path=/", document.cookie.includes("aikagi_probe=1"))`
	if !eval[bool](&b.page, probe) {
		t.Fatal("control: a top-level page of the app cannot set a cookie; the third-party check below would prove nothing")
	}

	h := b.openHelpCenter()
	f := h.frame

	// Third-party cookies are blocked in this frame: the cookie set at top
	// level does not reach it, and it cannot set one of its own.
	if eval[bool](f, `document.cookie.includes("aikagi_probe")`) {
		t.Fatal("the frame sees the app's first-party cookie: third-party cookies are not blocked")
	}
	if eval[bool](f, `(document.cookie = "aikagi_frame_probe=1; SameSite=None; Secure; Path=/", document.cookie.includes("aikagi_frame_probe"))`) {
		t.Fatal("the frame could set a cookie: third-party cookies are not blocked")
	}
	if eval[bool](f, `document.hasStorageAccess()`) {
		t.Fatal("the frame has storage access: third-party cookies are not blocked")
	}

	if !eval[bool](f, `document.documentElement.classList.contains("is-framed") && getComputedStyle(document.querySelector("body > header")).display === "none"`) {
		t.Error("framed page still shows its own header")
	}
	if focused := eval[string](f, `document.activeElement.tagName`); focused != "BODY" {
		t.Errorf("focus on first load inside the frame is on %s, want nothing focused", focused)
	}
	f.markDocument()

	heights := map[string]float64{}
	heights["step 1"] = h.fits("step 1")
	b.screenshot("help-center-1-request")
	b.docScreenshot("help-center")
	axe(f, "help center: step 1")

	h.swap(byText(T.Confirm), T.RequestTitle)
	heights["step 1 with errors"] = h.fits("step 1 with errors")
	b.screenshot("help-center-2-errors")
	axe(f, "help center: step 1 with errors")

	h.fill("login_id", acct.LoginID)
	h.fill("email", acct.Email)
	h.swap(byText(T.Confirm), T.ConfirmTitle)
	heights["step 2"] = h.fits("step 2")
	b.screenshot("help-center-3-confirm")
	axe(f, "help center: step 2")

	before := b.site.lastMailID()
	h.swap(byText(T.Send), T.SentTitle)
	heights["step 3"] = h.fits("step 3")
	b.screenshot("help-center-4-sent")
	axe(f, "help center: step 3")
	t.Logf("frame heights: %v", heights)

	if heights["step 1 with errors"] <= heights["step 1"] {
		t.Errorf("the frame did not grow for the errors: %v", heights)
	}
	if heights["step 2"] >= heights["step 1 with errors"] {
		t.Errorf("the frame did not shrink from the errors to step 2: %v", heights)
	}
	if !f.sameDocument() {
		t.Error("steps 1–3 navigated inside the frame; they must be swapped in place")
	}
	b.site.waitMail(t, acct.Email, "", before)

	// The login page cannot be framed: its link opens in the top window.
	h.press(byText(T.ToLogin))
	b.waitFor("the login page in the top window", `location.href === `+jsString(b.site.base+T.Href(route.Login)))
	b.waitHeading(T.LoginTitle)
}

// TestReminderInHelpCenter is issue 8's path inside the help center at
// phone size: from step 1 of the reset in the frame, 「ログインIDをお忘れの方」
// leads to the reminder, whose three steps run in the frame, sized to
// each, with axe-core clean; the mail lists every login ID of the address.
func TestReminderInHelpCenter(t *testing.T) {
	b := openTab(t, phone, views.Ja)
	first := b.site.newAccount(t, views.Ja, "")
	second := b.site.newAccount(t, views.Ja, first.Email)
	T := b.T

	h := b.openHelpCenter()
	h.press(`document.getElementById("forgot-login-id")`)
	h.frame.waitHeading(T.ReminderTitle)
	h.frame.markDocument()
	h.fits("reminder step 1")
	b.screenshot("help-center-reminder-1-request")
	axe(h.frame, "help center: reminder step 1")

	h.swap(byText(T.Confirm), T.ReminderTitle)
	h.fits("reminder step 1 with errors")
	b.screenshot("help-center-reminder-2-errors")
	axe(h.frame, "help center: reminder step 1 with errors")

	h.fill("email", first.Email)
	h.swap(byText(T.Confirm), T.ConfirmTitle)
	h.fits("reminder step 2")
	b.screenshot("help-center-reminder-3-confirm")
	axe(h.frame, "help center: reminder step 2")

	before := b.site.lastMailID()
	h.swap(byText(T.Send), T.SentTitle)
	h.fits("reminder step 3")
	b.screenshot("help-center-reminder-4-sent")
	axe(h.frame, "help center: reminder step 3")
	if !h.frame.sameDocument() {
		t.Error("the reminder's steps navigated inside the frame; they must be swapped in place")
	}

	m := b.site.waitMail(t, first.Email, "", before)
	text := b.openMail(m)
	for _, acct := range []account{first, second} {
		if !strings.Contains(text, acct.LoginID) || !strings.Contains(text, acct.Store) {
			t.Errorf("the reminder mail does not list %s (%s):\n%s", acct.LoginID, acct.Store, text)
		}
	}
}

// TestHelpCenterScriptArrivesLate holds back the help center's /embed.js
// until the page in the frame has loaded and reported its height to nobody:
// the script must still get the frame to its content's height.
func TestHelpCenterScriptArrivesLate(t *testing.T) {
	b := openTab(t, phone, views.Ja)
	paused := chromedp.Events(b.ctx, fetch.RequestPaused)
	call(&b.page, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*/embed.js"}}})
	call(&b.page, cdppage.Navigate, cdppage.NavigateParams{URL: b.site.demo + "/"})
	var held *fetch.EventRequestPaused
	for ev, err := range paused {
		if err != nil {
			t.Fatalf("waiting for /embed.js: %v", err)
		}
		held = &ev
		break
	}

	f := b.attachFrame()
	f.waitFor("the framed page loaded and its script run", `document.readyState === "complete" && document.documentElement.classList.contains("is-framed")`)
	eval[bool](f, `(async () => { `+painted+` return true; })()`)
	if h := eval[float64](&b.page, frameElement+`.getBoundingClientRect().height`); h != 560 {
		t.Fatalf("the frame is %.0f px high before /embed.js arrived; the test expects the page's initial 560", h)
	}
	call(&b.page, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: held.RequestID})
	h := &helpCenter{tab: b, frame: f}
	h.fits("after /embed.js arrived late")
}
