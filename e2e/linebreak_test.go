package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"aikagi/app/problem"
	"aikagi/app/route"
	"aikagi/views"
)

// phoneWidths are the CSS widths of the phones merchants use, from the
// smallest still sold to the largest.
var phoneWidths = []int64{320, 360, 375, 390, 414, 430}

// TestLineBreaks looks at how text wraps on every phone width, in both
// languages, on steps 1–3 (step 1 also with its errors), the new-password
// and done pages, an expired link and its renewal, the login page (also
// locked after failed logins) and two error pages. No heading, button, label,
// step pill or other text broken into phrases leaves one character alone
// on a line; no Japanese paragraph, list item or description leaves a line
// of one or two characters; no line of any text starts with a character that kinsoku
// forbids there (、。」ー small kana…) or ends with an opening bracket.
// Lines are read from the browser's own layout: each character's box,
// grouped by line. Nothing may rely on word-break: auto-phrase, which only
// Chromium has: the server marks the phrases up (views/phrase) so that
// Safari breaks where Chromium does.
func TestLineBreaks(t *testing.T) {
	for _, lang := range views.Langs {
		t.Run(string(lang), func(t *testing.T) {
			b := openTab(t, phone, lang)
			acct := b.site.newAccount(t, lang, "")
			T := b.T
			check := func(screen string) { b.checkLineBreaks(string(lang) + " " + screen) }

			b.visit(T.Href(route.Request))
			b.waitHeading(T.RequestTitle)
			check("step 1")
			b.swap(byText(T.Confirm), T.RequestTitle)
			check("step 1 with errors")
			b.fill("login_id", acct.LoginID)
			b.fill("email", acct.Email)
			b.swap(byText(T.Confirm), T.ConfirmTitle)
			check("step 2")
			b.swap(byText(T.Send), T.SentTitle)
			check("step 3")

			// An account of its own, so that step 3's mail cannot stand in
			// for the support desk's.
			link, _ := b.site.sendReset(t, b.site.newAccount(t, lang, ""))
			b.visit(link)
			b.waitHeading(T.NewPasswordTitle)
			check("new password")
			b.fill("password", newPassword[lang])
			b.fill("password_confirm", newPassword[lang])
			b.press(byText(T.ChangePassword))
			b.waitHeading(T.DoneTitle)
			check("done")

			expired := b.site.newAccount(t, lang, "")
			link, _ = b.site.sendReset(t, expired)
			b.site.expireLinks(t, expired)
			b.visit(link)
			b.waitHeading(T.ProblemTitle(problem.LinkExpired))
			check("expired link")
			b.expectPage(b.submit(`document.getElementById("renew-link")`), 200, route.RenewLink, T.Link.RenewedTitle)
			check("link renewed")

			b.visit(T.Href(route.Login))
			b.waitHeading(T.LoginTitle)
			check("login")
			locked := b.site.newAccount(t, lang, "")
			for i := 0; ; i++ {
				b.fill("login_id", locked.LoginID)
				b.fill("password", "not the password at all")
				if b.submit(byText(T.LoginButton)) == http.StatusTooManyRequests {
					break
				}
				if i == 20 {
					t.Fatalf("%s is not locked out after %d failed logins", locked.LoginID, i+1)
				}
			}
			b.waitFor("the lockout notice", `document.getElementById("error-summary") && document.readyState === "complete"`)
			check("login locked")

			b.visit(T.Href(route.Reset) + "&token=" + strings.Repeat("A", 43))
			b.waitHeading(T.ProblemTitle(problem.LinkInvalid))
			check("invalid link")
			b.visit(T.Href("/no-such-page"))
			b.waitHeading(T.ProblemTitle(problem.NotFound))
			check("not found")
		})
	}
}

// checkLineBreaks lays the page out at each phone width and reports every
// badly broken line, with a screenshot of the width where it happened.
func (b *tab) checkLineBreaks(screen string) {
	b.t.Helper()
	defer b.do(chromedp.EmulateViewport(b.dev.width, b.dev.height, chromedp.EmulateScale(b.dev.scale), chromedp.EmulateMobile, chromedp.EmulateTouch))
	for _, width := range phoneWidths {
		b.do(chromedp.EmulateViewport(width, 800, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch))
		b.waitFor(fmt.Sprintf("a layout %d px wide", width), fmt.Sprintf(`innerWidth === %d && document.documentElement.clientWidth === %d`, width, width))
		problems := eval[[]string](&b.page, lineBreakProblems)
		for _, p := range problems {
			b.t.Errorf("%s at %d px: %s", screen, width, p)
		}
		if len(problems) > 0 {
			b.screenshot(fmt.Sprintf("linebreaks/%s-%d", safeName(screen), width))
		}
	}
}

// lineBreakProblems is a JavaScript expression listing the badly broken
// lines in #main. A line is the run of visible characters whose boxes sit
// at one height: a character whose middle lies below the line's bottom
// starts the next one (a smaller badge on a label's line stays on it).
const lineBreakProblems = `(() => {
	const noStart = ")]}）］｝〕〉》」』】〙〗〟’”｠»、。，．,.：；:;？！?!・…‥ヽヾゝゞ々〻ー゠〜～ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶ%％‰℃°′″";
	const noEnd = "([{（［｛〔〈《「『【〘〖〝‘“｟«";
	const visible = e => e.getClientRects().length > 0 && !e.closest(".sr-only");
	const lines = e => {
		const out = [], range = document.createRange();
		const walker = document.createTreeWalker(e, NodeFilter.SHOW_TEXT);
		let line = null;
		for (let node; (node = walker.nextNode()); ) {
			if (!visible(node.parentElement)) continue;
			for (let i = 0; i < node.data.length; ) {
				const ch = String.fromCodePoint(node.data.codePointAt(i));
				range.setStart(node, i);
				range.setEnd(node, i + ch.length);
				i += ch.length;
				if (/\s/.test(ch)) continue;
				const r = range.getBoundingClientRect();
				if (r.width === 0 && r.height === 0) continue;
				if (!line || (r.top + r.bottom) / 2 > line.bottom) {
					line = {text: "", bottom: r.bottom};
					out.push(line);
				}
				line.text += ch;
				line.bottom = Math.max(line.bottom, r.bottom);
			}
		}
		return out.map(l => l.text);
	};
	const name = e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + " " + JSON.stringify(e.textContent.trim().replace(/\s+/g, " ").slice(0, 40));
	const problems = [];
	const main = document.getElementById("main");
	const phrased = new Set([...main.querySelectorAll(".phrase")].map(e => e.parentElement));
	for (const e of new Set([...main.querySelectorAll("h1, h2, button, label, a.btn-primary, a.btn-secondary, ol > li"), ...phrased])) {
		if (!visible(e)) continue;
		const ls = lines(e);
		if (ls.length > 1 && ls.some(l => [...l].length === 1)) problems.push(name(e) + " leaves one character alone on a line: " + JSON.stringify(ls));
	}
	// Body text: a Japanese paragraph, list item or description broken
	// over lines leaves no line of one or two characters (「い。」, 「た。」).
	// Every such line counts, digits and punctuation too: a lone 「15」 or
	// 「分。」 reads as badly as a lone syllable, and kinsoku already keeps
	// a line from being punctuation alone. A flex row (the support desk's
	// label and phone number) wraps its items, not its text, and is left out.
	const japanese = /[\u3040-\u30ff\u3400-\u9fff]/;
	for (const e of main.querySelectorAll("p, li, dd")) {
		if (!visible(e) || !japanese.test(e.textContent) || getComputedStyle(e).display.includes("flex")) continue;
		const ls = lines(e);
		if (ls.length > 1 && ls.some(l => [...l].length <= 2)) problems.push(name(e) + " leaves a line of one or two characters: " + JSON.stringify(ls));
	}
	for (const e of main.querySelectorAll("h1, h2, p, li, dt, dd, label, button, a")) {
		if (!visible(e)) continue;
		const ls = lines(e);
		ls.forEach((l, k) => {
			if (k > 0 && noStart.includes([...l][0])) problems.push(name(e) + " starts a line with " + [...l][0] + ": " + JSON.stringify(ls));
			if (k < ls.length - 1 && noEnd.includes([...l].pop())) problems.push(name(e) + " ends a line with " + [...l].pop() + ": " + JSON.stringify(ls));
		});
	}
	// Safari has no word-break: auto-phrase: what Chromium shows with it
	// is not what an iPhone shows.
	const autoPhrase = [...main.querySelectorAll("*")].find(e => getComputedStyle(e).wordBreak === "auto-phrase");
	if (autoPhrase) problems.push(name(autoPhrase) + " (and maybe more) relies on word-break: auto-phrase, which Safari lacks");
	return [...new Set(problems)];
})()`
