package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"

	"aikagi/app/problem"
	"aikagi/app/route"
	"aikagi/views"
)

// expireLinks lets every reset link of acct expire, as half an hour would.
func (s *site) expireLinks(t *testing.T, acct account) {
	t.Helper()
	_, err := s.db.NewUpdate().Table("reset_tokens").
		Set("expires_at = ?", time.Now().Add(-time.Minute).UTC()).
		Where("account_id IN (SELECT id FROM accounts WHERE login_id = ?)", acct.LoginID).
		Exec(context.Background())
	if err != nil {
		t.Fatalf("expire links of %s: %v", acct.LoginID, err)
	}
}

// checkMainButton checks that the page's one main button is element, fits
// the window, is large enough to tap and has its label centred on every
// line.
func (b *tab) checkMainButton(element, label string) {
	b.t.Helper()
	got := eval[struct {
		Count         int
		Text          string
		Left, Right   float64
		Height, Width float64
		Overflow      bool
		Uncentred     []string // lines of the label not centred in the button
	}](&b.page, `(() => { const all = document.querySelectorAll("#flow .btn-primary"); const e = `+element+`;
		if (!e) return {Count: all.length};
		const r = e.getBoundingClientRect();
		const range = document.createRange(); range.selectNodeContents(e);
		const lines = [];
		for (const box of range.getClientRects()) {
			if (box.width === 0) continue;
			const line = lines.find(l => Math.abs(l.top - box.top) < box.height / 2);
			if (line) { line.left = Math.min(line.left, box.left); line.right = Math.max(line.right, box.right); }
			else lines.push({top: box.top, left: box.left, right: box.right});
		}
		const uncentred = lines.filter(l => Math.abs((l.left - r.left) - (r.right - l.right)) > 2)
			.map(l => Math.round(l.left - r.left) + " px on the left, " + Math.round(r.right - l.right) + " px on the right");
		return {Count: all.length, Text: e.textContent.trim(), Left: r.left, Right: r.right, Height: r.height, Width: r.width,
			Overflow: document.documentElement.scrollWidth > document.documentElement.clientWidth, Uncentred: uncentred}; })()`)
	if got.Count != 1 || got.Text != label {
		b.t.Fatalf("%s: %d main buttons, the one pressed says %q, want one saying %q", b.dev.name, got.Count, got.Text, label)
	}
	if got.Left < 0 || got.Right > float64(b.dev.width) || got.Overflow {
		b.t.Errorf("%s: the main button spans %.0f–%.0f px of %d, or the page scrolls sideways", b.dev.name, got.Left, got.Right, b.dev.width)
	}
	if got.Height < 44 || got.Width < 44 {
		b.t.Errorf("%s: the main button is %.0f×%.0f px, want at least 44×44", b.dev.name, got.Width, got.Height)
	}
	if len(got.Uncentred) > 0 {
		b.t.Errorf("%s: the main button's label is not centred: %q", b.dev.name, got.Uncentred)
	}
}

// TestLinkPagesLeadOn opens an expired link at 320, 390 and 1280 px and
// presses its one-tap button: a new mail comes, its link sets the
// password, the done page's button opens the login page with the login
// ID filled in. The spent link then leads to the login page, and an
// unknown one to step 1.
func TestLinkPagesLeadOn(t *testing.T) {
	for _, dev := range []device{zoom200, phone, desktop} {
		for _, lang := range []views.Lang{views.Ja, views.En} {
			if dev != phone && lang == views.En {
				continue // English once, on the phone
			}
			t.Run(dev.name+"/"+string(lang), func(t *testing.T) {
				b := openTab(t, dev, lang)
				T := b.T
				acct := b.site.newAccount(t, lang, "")
				link, _ := b.site.sendReset(t, acct)
				b.site.expireLinks(t, acct)

				b.visit(link)
				b.waitHeading(T.ProblemTitle(problem.LinkExpired))
				b.checkMainButton(`document.getElementById("renew-link")`, T.Link.RenewButton)
				b.screenshot("link-expired-" + dev.name + "-" + string(lang))
				if dev == phone {
					b.docScreenshot(map[views.Lang]string{views.Ja: "link-expired", views.En: "link-expired-en"}[lang])
				}
				after := b.site.lastMailID()
				b.expectPage(b.submit(`document.getElementById("renew-link")`), 200, route.RenewLink, T.Link.RenewedTitle)

				fresh := strings.TrimPrefix(b.resetLink(acct, after), b.site.base)
				b.visit(fresh)
				b.waitHeading(T.NewPasswordTitle)
				pw := newPassword[lang]
				b.fill("password", pw)
				b.fill("password_confirm", pw)
				b.press(byText(T.ChangePassword))
				b.waitHeading(T.DoneTitle)
				if got := b.text("#done-account"); !strings.Contains(got, acct.LoginID) || !strings.Contains(got, acct.Store) {
					t.Errorf("done page names %q, want %s and %s", got, acct.LoginID, acct.Store)
				}
				b.press(`document.getElementById("done-login")`)
				b.waitHeading(T.LoginTitle)
				if got := b.value("login_id"); got != acct.LoginID {
					t.Errorf("login page's ID field holds %q, want %q", got, acct.LoginID)
				}

				b.visit(fresh)
				b.waitHeading(T.ProblemTitle(problem.LinkUsed))
				b.checkMainButton(`document.getElementById("to-login")`, T.ToLogin)
				b.press(`document.getElementById("to-login")`)
				b.waitHeading(T.LoginTitle)

				b.visit(route.Reset + "?token=cut-off&lang=" + string(lang))
				b.waitHeading(T.ProblemTitle(problem.LinkInvalid))
				b.checkMainButton(`document.getElementById("request-again")`, T.Link.RequestAgain)
				b.press(`document.getElementById("request-again")`)
				b.waitHeading(T.RequestTitle)
			})
		}
	}
}

// TestPasswordMatchCheck types the two new passwords on a phone: the page
// says whether they match before anything is sent, and once a refused
// field changes, its old error goes.
func TestPasswordMatchCheck(t *testing.T) {
	b := openTab(t, phone, views.Ja)
	T := b.T
	acct := b.site.newAccount(t, views.Ja, "")
	link, _ := b.site.sendReset(t, acct)
	b.visit(link)
	b.waitHeading(T.NewPasswordTitle)
	if got := eval[string](&b.page, `document.getElementById("password-match").getAttribute("aria-live")`); got != "polite" {
		t.Errorf("match region aria-live = %q, want polite", got)
	}

	pw := newPassword[views.Ja]
	b.fill("password", pw)
	b.fill("password_confirm", pw[:4])
	if got := b.text("#password-match"); got != "" {
		t.Errorf("while the second is still shorter the page says %q, want nothing yet", got)
	}
	b.fill("password_confirm", pw[:len(pw)-1]+"x")
	b.waitFor("the mismatch said", `document.getElementById("password-match").textContent === `+jsString(T.Link.MatchNo))
	b.fill("password_confirm", pw)
	b.waitFor("the match said", `document.getElementById("password-match").textContent === `+jsString(T.Link.MatchOK))

	// A refusal from the server keeps both fields; typing again drops the
	// old message.
	b.fill("password_confirm", pw+"!")
	b.expectPage(b.submit(byText(T.ChangePassword)), 422, route.Reset, T.NewPasswordTitle)
	if b.value("password") != pw || b.value("password_confirm") != pw+"!" {
		t.Errorf("after the refusal the fields hold %q and %q, want what was typed", b.value("password"), b.value("password_confirm"))
	}
	if eval[int](&b.page, `document.querySelectorAll("#password_confirm-error, #error-summary").length`) != 2 {
		t.Fatal("the refusal shows no error under the field and in the summary")
	}
	// Correcting the first field to what the second holds also answers
	// the second's error.
	b.fill("password", pw+"!")
	b.waitFor("the old error under the second field gone", `!document.getElementById("password_confirm-error")`)
	b.fill("password", pw)
	b.fill("password_confirm", pw)
	b.waitFor("the old error gone", `!document.getElementById("password_confirm-error") && !document.getElementById("error-summary") &&
		!document.getElementById("password_confirm").hasAttribute("aria-invalid")`)
	b.waitFor("the match said", `document.getElementById("password-match").textContent === `+jsString(T.Link.MatchOK))
}

// TestPasswordMatchWithoutJavaScript submits two different passwords with
// scripts off, shown: the server refuses them and gives back both fields
// as typed, still shown.
func TestPasswordMatchWithoutJavaScript(t *testing.T) {
	b := openTab(t, phone, views.Ja)
	T := b.T
	acct := b.site.newAccount(t, views.Ja, "")
	link, _ := b.site.sendReset(t, acct)
	call(&b.page, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
	b.visit(link)
	b.waitHeading(T.NewPasswordTitle)

	pw := newPassword[views.Ja]
	b.fill("password", pw)
	b.fill("password_confirm", pw+"!")
	b.expectPage(b.submit(byText(T.ShowPassword)), 200, route.Reset, T.NewPasswordTitle)
	b.expectPage(b.submit(byText(T.ChangePassword)), 422, route.Reset, T.NewPasswordTitle)
	if b.value("password") != pw || b.value("password_confirm") != pw+"!" {
		t.Errorf("after the refusal the fields hold %q and %q, want what was typed", b.value("password"), b.value("password_confirm"))
	}
	if typ := eval[string](&b.page, `document.getElementById("password_confirm").type`); typ != "text" {
		t.Errorf("after the refusal the passwords are type=%s, want still shown", typ)
	}
	if got := b.text("#password_confirm-error"); !strings.Contains(got, T.Problem(problem.PasswordMismatch)) {
		t.Errorf("error under the field = %q", got)
	}
	b.fill("password_confirm", pw)
	b.expectPage(b.submit(byText(T.ChangePassword)), 200, route.ResetDone, T.DoneTitle)
}
