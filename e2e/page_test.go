// Driving a page as a user would: evaluating, waiting, typing, pressing
// and taking screenshots.

package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
)

// call sends one protocol command to the page's target.
func call[P, R any](p *page, cmd cdp.Command[P, R], params P) R {
	p.t.Helper()
	r, err := chromedp.Call(p.ctx, cmd, params)
	if err != nil {
		p.t.Fatalf("%s: %s: %v", p.what, cmd.Method, err)
	}
	return r
}

func (p *page) do(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, steps...); err != nil {
		p.t.Fatalf("%s: %v", p.what, err)
	}
}

// eval evaluates a JavaScript expression in p (awaiting a promise) and
// decodes its value. CDP evaluation is not subject to the page's CSP.
func eval[T any](p *page, expr string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("%s: evaluate %s: %v", p.what, abbreviate(expr), err)
	}
	return v
}

func abbreviate(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}

// jsString quotes s for JavaScript.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// waitFor waits until the expression is truthy. It polls from Go, so it
// carries on across navigations of the page.
func (p *page) waitFor(what, expr string) {
	p.t.Helper()
	if err := p.poll(expr, waitTimeout); err != nil {
		p.t.Fatalf("%s: waiting for %s: %v (at %s, heading %q)", p.what, what, err, p.location(), p.heading())
	}
}

func (p *page) poll(expr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+expr+")"))
		cancel()
		if err == nil && ok {
			return nil
		}
		if p.ctx.Err() != nil {
			return p.ctx.Err()
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = errors.New("still false after " + timeout.String())
			}
			return err
		}
		time.Sleep(40 * time.Millisecond)
	}
}

func (p *page) location() string {
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`location.href`))
	if err != nil {
		return "?"
	}
	return v
}

// heading is the text of the page's h1.
func (p *page) heading() string {
	v, _ := chromedp.Run(p.ctx, chromedp.Evaluate[string](`(document.querySelector("h1") || {textContent: ""}).textContent.trim()`))
	return v
}

// waitHeading waits until the h1 says text.
func (p *page) waitHeading(text string) {
	p.t.Helper()
	p.waitFor("the heading "+jsString(text),
		`document.readyState === "complete" && document.querySelector("h1") && document.querySelector("h1").textContent.trim() === `+jsString(text))
}

// fill types value into the field with this id, replacing what it holds.
// It focuses and selects the field first, as a user would.
func (p *page) fill(id, value string) {
	p.t.Helper()
	eval[bool](p, `(() => { const e = document.getElementById(`+jsString(id)+`); e.focus(); e.select(); return true; })()`)
	p.do(chromedp.KeyEvent(value))
}

// value is the current value of the field with this id.
func (p *page) value(id string) string {
	p.t.Helper()
	return eval[string](p, `document.getElementById(`+jsString(id)+`).value`)
}

// text is the trimmed text of the first element matching the CSS selector.
func (p *page) text(selector string) string {
	p.t.Helper()
	return eval[string](p, `(document.querySelector(`+jsString(selector)+`) || {textContent: ""}).textContent.trim()`)
}

// markDocument leaves a value in the current document; sameDocument tells
// whether it is still there, that is, whether no navigation happened.
func (p *page) markDocument() {
	p.t.Helper()
	eval[bool](p, `(window.__aikagiE2E = "still here", true)`)
}

func (p *page) sameDocument() bool {
	p.t.Helper()
	return eval[bool](p, `window.__aikagiE2E === "still here"`)
}

// byText is a JavaScript expression for the first visible button or link
// whose text is label.
func byText(label string) string {
	return `[...document.querySelectorAll("button, a")].find(e => e.textContent.trim() === ` + jsString(label) + ` && e.getClientRects().length > 0 && !e.closest("[aria-hidden=true]"))`
}

// painted is a JavaScript statement for an async function: it waits until
// the page has been painted after a scroll, so that a tap on a cross-site
// frame lands where the frame now is. It needs the page's scripts on.
const painted = `await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));`

// point is a position in a page's viewport, in CSS pixels.
type point struct{ X, Y float64 }

// centre scrolls the element to the middle of the viewport and returns the
// centre of its first box (a link broken over two lines has two), or fails
// the test when there is no such element.
func (b *tab) centre(element string) point {
	b.t.Helper()
	pt := eval[*point](&b.page, `(() => { const e = `+element+`; if (!e) return null;
		e.scrollIntoView({block: "center"}); const r = e.getClientRects()[0];
		return {X: r.left + r.width / 2, Y: r.top + r.height / 2}; })()`)
	if pt == nil {
		b.t.Fatalf("tab: nothing to press: %s (at %s, heading %q)", abbreviate(element), b.location(), b.heading())
	}
	return *pt
}

// press taps (on a phone) or clicks the element, as a user would. Nothing
// waits for what follows but the click itself, on a phone (tapped).
func (b *tab) press(element string) {
	b.t.Helper()
	if !b.dev.touch {
		b.do(b.pressAt(b.centre(element)))
		return
	}
	for attempt := 1; ; attempt++ {
		if b.tapped(&b.page, b.centre(element), attempt) {
			return
		}
	}
}

// tapsTried is how many times a tap that brought no click is tried.
const tapsTried = 3

// tapped taps at pt (in the tab's viewport) and tells whether the document
// of in, the page or a frame of it, saw a click from it, or was replaced.
// A busy machine can lose a tap: its start and end are two messages, and
// held apart long enough they make a long press; and a frame that has
// just moved may not yet be where the browser looks for it. A user taps
// again, and so does this, up to tapsTried times; a tap that did click is
// never repeated.
func (b *tab) tapped(in *page, pt point, attempt int) bool {
	b.t.Helper()
	mark := jsString(strconv.FormatInt(time.Now().UnixNano(), 36))
	before := eval[int](in, `(() => { if (!window.__clicks) { window.__clicks = {n: 0};
		addEventListener("click", () => window.__clicks.n++, true); }
		window.__tapMark = `+mark+`; return window.__clicks.n; })()`)
	b.do(chromedp.TapXY(pt.X, pt.Y))
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		n, err := chromedp.Run(in.ctx, chromedp.Evaluate[int](`window.__tapMark === `+mark+` ? window.__clicks.n : -1`))
		if err != nil || n < 0 || n > before {
			return true
		}
	}
	if attempt >= tapsTried {
		b.t.Fatalf("%s: %d taps at (%.0f, %.0f) brought no click (heading %q)", in.what, attempt, pt.X, pt.Y, in.heading())
	}
	b.t.Logf("%s: a tap at (%.0f, %.0f) brought no click; tapping again", in.what, pt.X, pt.Y)
	return false
}

func (b *tab) pressAt(pt point) chromedp.Action[chromedp.Void] {
	if b.dev.touch {
		return chromedp.TapXY(pt.X, pt.Y)
	}
	return chromedp.MouseClickXY(pt.X, pt.Y)
}

// visit opens a path of the app and waits for the page to load.
func (b *tab) visit(path string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.site.base + path))
}

// swap presses a button of steps 1–3 and waits for htmx to put the next
// screen in place: heading says title, and focus is on the heading or on
// the error summary.
func (b *tab) swap(element, title string) {
	b.t.Helper()
	b.press(element)
	b.waitFor("the step "+jsString(title)+" swapped in, with focus on its heading or error summary", swapped(title))
}

// swapped is true once htmx has settled the step titled title in #flow and
// focus moved to its error summary or heading.
func swapped(title string) string {
	return `(() => { const flow = document.getElementById("flow"); const h1 = flow && flow.querySelector("h1");
		if (!h1 || h1.textContent.trim() !== ` + jsString(title) + ` || document.querySelector(".htmx-request, .htmx-settling, .htmx-swapping")) return false;
		const target = flow.querySelector("#error-summary") || h1;
		return document.activeElement === target; })()`
}

// submit presses a button that posts a whole page and waits for the next
// page to load; it returns the response status.
func (b *tab) submit(element string) int64 {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, b.pressAt(b.centre(element)))
	if err != nil {
		b.t.Fatalf("tab: submit %s: %v", abbreviate(element), err)
	}
	return resp.Status
}

// screenshot saves the whole page to test-output/NAME.png.
func (b *tab) screenshot(name string) {
	b.t.Helper()
	b.saveScreenshot(filepath.Join(outputDir, name+".png"))
}

// docScreenshot also writes the page to docs/screenshots/NAME.png, only
// when UPDATE_SCREENSHOTS=1: the committed images change only on purpose.
func (b *tab) docScreenshot(name string) {
	b.t.Helper()
	if os.Getenv("UPDATE_SCREENSHOTS") == "1" {
		b.saveScreenshot(filepath.Join(docsDir, name+".png"))
	}
}

func (b *tab) saveScreenshot(path string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Errorf("screenshot %s: %v", path, err)
		return
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		b.t.Errorf("screenshot: %v", err)
		return
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Errorf("screenshot: %v", err)
	}
}
