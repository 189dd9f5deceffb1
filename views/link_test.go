package views

import (
	"strings"
	"testing"
	"time"

	"aikagi/app/problem"
	"aikagi/app/route"
	"aikagi/views/viewtest"
)

// TestLinkProblemNextStep checks that each page about a link that cannot
// be used says why and has the next step as its one main button.
func TestLinkProblemNextStep(t *testing.T) {
	tests := []struct {
		p      problem.Problem
		token  string
		next   LinkNext
		button string // selector of the main button
	}{
		{problem.LinkExpired, "tok-1", NextNewLink, "#renew-link"},
		{problem.LinkRevoked, "tok-1", NextNewLink, "#renew-link"},
		{problem.LinkExpired, "", NextRequest, "#request-again"}, // no link to renew: start again
		{problem.LinkUsed, "", NextLogin, "#to-login"},
		{problem.LinkInvalid, "", NextRequest, "#request-again"},
		{problem.ReportLinkInactive, "", NextLogin, "#to-login"},
		{problem.ReportLinkUsed, "", NextRequest, "#request-again"},
	}
	labels := map[LinkNext]func(*Text) string{
		NextNewLink: func(t *Text) string { return t.Link.RenewButton },
		NextLogin:   func(t *Text) string { return t.ToLogin },
		NextRequest: func(t *Text) string { return t.Link.RequestAgain },
	}
	for _, lang := range Langs {
		text := T(lang)
		for _, tc := range tests {
			t.Run(string(lang)+" "+string(tc.p)+" "+tc.token, func(t *testing.T) {
				doc := viewtest.Render(t, LinkProblemView(LinkProblem{T: text, Problem: tc.p, Token: tc.token}))
				viewtest.WantAttr(t, doc, "#error-summary", "role", "alert")
				viewtest.WantText(t, doc, "#error-summary h1", text.ProblemTitle(tc.p))
				viewtest.WantText(t, doc, "#error-summary p", text.problems[tc.p])
				viewtest.WantAttr(t, doc, "#link-next", "data-next", string(tc.next))
				if n := doc.Find(".btn-primary").Length(); n != 1 {
					t.Fatalf("%d main buttons, want 1", n)
				}
				viewtest.WantText(t, doc, tc.button, labels[tc.next](text))
				if _, ok := doc.Find(tc.button).Attr("class"); !ok || !doc.Find(tc.button).HasClass("btn-primary") {
					t.Errorf("%s is not the main button", tc.button)
				}
				switch tc.next {
				case NextNewLink:
					viewtest.WantAttr(t, doc, "#link-next form", "action", route.RenewLink+"?lang="+string(lang))
					viewtest.WantAttr(t, doc, "#link-next form", "method", "post")
					viewtest.WantAttr(t, doc, "#link-next input[name=token]", "value", tc.token)
				case NextLogin:
					viewtest.WantAttr(t, doc, tc.button, "href", route.Login+"?lang="+string(lang))
				case NextRequest:
					viewtest.WantAttr(t, doc, tc.button, "href", route.Request+"?lang="+string(lang))
					viewtest.WantNone(t, doc, "input[name=token]")
				}
			})
		}
	}
}

func TestLinkRenewed(t *testing.T) {
	want := map[Lang]struct{ title, filter string }{
		Ja: {"新しいURLをお送りします", "「noreply@example.com」からのメールを受信できるように"},
		En: {"A new link is on its way", "allow email from “noreply@example.com”"},
	}
	for _, lang := range Langs {
		t.Run(string(lang), func(t *testing.T) {
			text := T(lang)
			doc := viewtest.Render(t, LinkRenewedView(LinkRenewed{T: text, From: "noreply@example.com", TTL: 30 * time.Minute}))
			viewtest.WantText(t, doc, "[role=status] h1", want[lang].title)
			body := viewtest.Text(t, doc, "body")
			for _, s := range []string{text.Link.RenewedLead, text.SentExpiry(30 * time.Minute), text.SentCheckSpam, want[lang].filter, text.Link.RenewedLimit} {
				if !strings.Contains(body, s) {
					t.Errorf("page does not say %q:\n%s", s, body)
				}
			}
			viewtest.WantAttr(t, doc, "#to-login", "href", route.Login+"?lang="+string(lang))
		})
	}
}

// TestNewPasswordKindness checks the hint's three short lines, the live
// match region and the hidden field that keeps the show/hide state.
func TestNewPasswordKindness(t *testing.T) {
	want := map[Lang]struct{ match, differ string }{
		Ja: {"2つのパスワードは一致しています", "2つのパスワードが一致していません"},
		En: {"The two passwords match", "The two passwords don’t match"},
	}
	for _, lang := range Langs {
		t.Run(string(lang), func(t *testing.T) {
			text := T(lang)
			f := NewPasswordForm{T: text, LoginID: "taro-01", StoreName: "山田商店", MinLength: 12}
			doc := viewtest.Render(t, NewPasswordFormView(f))
			lines := strings.Split(doc.Find("#password-hint").Text(), "\n")
			if len(lines) != 3 {
				t.Fatalf("hint has %d lines, want 3: %q", len(lines), lines)
			}
			for _, line := range lines {
				if n := len([]rune(line)); n == 0 || n > 80 {
					t.Errorf("hint line %q: %d characters, want a short line", line, n)
				}
			}
			if !strings.Contains(lines[0], "12") {
				t.Errorf("first hint line %q does not give the length", lines[0])
			}
			viewtest.WantAttr(t, doc, "#password-match", "aria-live", "polite")
			viewtest.WantAttr(t, doc, "#password-match", "data-msg-match", want[lang].match)
			viewtest.WantAttr(t, doc, "#password-match", "data-msg-differ", want[lang].differ)
			viewtest.WantAttr(t, doc, "input#password_confirm", "data-password-confirm", "true")
			viewtest.WantAttr(t, doc, "input[name=revealed]", "value", "0")

			f.Reveal, f.Password, f.Confirm = true, "violet kumo river", "violet kumo rivr"
			doc = viewtest.Render(t, NewPasswordFormView(f))
			viewtest.WantAttr(t, doc, "input[name=revealed]", "value", "1")
		})
	}
}
