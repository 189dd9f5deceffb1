package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"

	"aikagi/app/route"
	"aikagi/views"
)

// TestStepsDomainSuggestion types an address at a mistyped carrier domain,
// as merchants do: step 2 asks 「もしかして」 and breaks the addresses only
// where a reader would, and its button brings step 1 back with the domain
// corrected and the login ID kept, swapped in place by htmx and, without
// JavaScript, as a page of its own.
func TestStepsDomainSuggestion(t *testing.T) {
	for _, script := range []bool{true, false} {
		name := map[bool]string{true: "javascript", false: "no-javascript"}[script]
		t.Run(name, func(t *testing.T) {
			b := openTab(t, phone, views.Ja)
			acct := b.site.newAccount(t, views.Ja, "")
			T := b.T
			local, _, _ := strings.Cut(acct.Email, "@")
			typed, suggested := local+"@docomo.co.jp", local+"@docomo.ne.jp"
			if !script {
				call(&b.page, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
			}

			b.visit(T.Href(route.Request))
			b.waitHeading(T.RequestTitle)
			b.fill("login_id", acct.LoginID)
			b.fill("email", typed)
			if script {
				b.swap(byText(T.Confirm), T.ConfirmTitle)
			} else {
				b.expectPage(b.submit(byText(T.Confirm)), 200, route.Confirm, T.ConfirmTitle)
			}
			if got := b.text("#suggested-email"); got != suggested {
				t.Fatalf("step 2 suggests %q, want %q", got, suggested)
			}
			b.checkLineBreaks("step 2 with 「もしかして」 (" + name + ")")

			fix := byText(T.Suggest.Fix("docomo.ne.jp"))
			if script {
				b.swap(fix, T.RequestTitle)
			} else {
				b.expectPage(b.submit(fix), 200, route.Request, T.RequestTitle)
			}
			if got := b.value("email"); got != suggested {
				t.Errorf("step 1 after the fix holds the address %q, want %q", got, suggested)
			}
			if got := b.value("login_id"); got != acct.LoginID {
				t.Errorf("step 1 after the fix holds the login ID %q, want it kept", got)
			}
		})
	}
}
