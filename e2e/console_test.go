package e2e

import (
	"strings"
	"testing"

	"aikagi/app/route"
	"aikagi/db"
	"aikagi/views"
)

// TestConsoleJourney is a support member's first day: the password, TOTP
// enrolment from the key shown as text, the recovery codes, a search that
// answers as they type, the account, a reset link sent with a lifetime and
// a reason, the account page showing it in the timeline, the mail in the
// merchant's mailbox, logging out, and a second login that asks for the
// code and refuses the one already used.
func TestConsoleJourney(t *testing.T) {
	for _, tc := range []struct {
		dev  device
		lang views.Lang
	}{
		{phone, views.Ja},
		{desktop, views.En},
	} {
		t.Run(tc.dev.name+"-"+string(tc.lang), func(t *testing.T) {
			b := openConsole(t, tc.dev, tc.lang)
			C := b.C
			member := b.site.newStaff(t)
			acct := b.site.newAccount(t, tc.lang, "")

			// The first login leads to enrolment: a QR code and the key as text.
			b.logIn(member)
			b.waitHeading(C.EnrolTitle)
			if !eval[bool](&b.page, `(() => { const i = document.getElementById("enrol-qr"); return !!i && i.complete && i.naturalWidth > 0; })()`) {
				t.Error("the enrolment page's QR code is not shown")
			}
			used := b.enrol(&member)
			if n := eval[int](&b.page, `document.querySelectorAll("#recovery-codes li").length`); n != 10 {
				t.Errorf("the recovery codes page lists %d codes, want 10", n)
			}
			// 「保存しました」 is ticked before going on.
			b.press(`document.getElementById("codes-saved")`)
			b.press(byText(C.Continue))
			b.waitHeading(C.SearchTitle)
			if got := b.text("#staff-email"); !strings.Contains(got, member.Email) {
				t.Errorf("the header says %q, want the member %s", got, member.Email)
			}

			// The results follow the typing, in place.
			b.markDocument()
			eval[bool](&b.page, `(document.getElementById("q").focus(), true)`)
			b.key(acct.LoginID)
			row := `[...document.querySelectorAll("#results tr")].find(r => r.dataset.loginId === ` + jsString(acct.LoginID) + `)`
			b.waitFor("the account in the results", row)
			if !b.sameDocument() {
				t.Error("typing in the search box loaded another page; the results must follow in place")
			}
			b.press(row + `.querySelector("a")`)
			b.waitHeading(b.accountHeading(acct.LoginID))
			if got := b.text("#email"); got != acct.Email {
				t.Errorf("the account page shows the address %q, want %q", got, acct.Email)
			}

			// 「再設定リンクを送る」: a day's lifetime and a reason.
			b.press(`document.getElementById("send-reset")`)
			b.waitHeading(b.sendResetHeading(acct.LoginID))
			if got := b.text("#send-to"); got != acct.Email {
				t.Errorf("the confirmation sends to %q, want %q", got, acct.Email)
			}
			eval[bool](&b.page, `(() => { const s = document.getElementById("ttl"); s.value = "24h0m0s"; s.dispatchEvent(new Event("change", {bubbles: true})); return s.value === "24h0m0s"; })()`)
			reason := "電話で本人確認済み ticket 4711"
			b.fill("reason", reason)
			before := b.site.lastMailID()
			b.press(byText(C.SendReset))
			b.waitHeading(b.accountHeading(acct.LoginID))
			if got := b.text("#notice"); !strings.HasPrefix(got, C.ResetSent) {
				t.Errorf("the account page's notice says %q, want %q and the expiry", got, C.ResetSent)
			}
			if !eval[bool](&b.page, `document.getElementById("notice").getAttribute("role") === "status"`) {
				t.Error("the notice is not announced (role=status)")
			}
			sent := eval[[]string](&b.page, `[...document.querySelectorAll("#timeline tr[data-what=`+string(db.AuditResetByOperator)+`] td")].map(td => td.textContent.trim())`)
			if len(sent) != 5 || !strings.Contains(sent[2], reason) || !strings.Contains(sent[2], "24h0m0s") || sent[3] != member.Email {
				t.Errorf("the timeline's %s row is %q, want the reason, the lifetime and the member %s", db.AuditResetByOperator, sent, member.Email)
			}
			if !eval[bool](&b.page, `[...document.querySelectorAll("#timeline tr[data-what=mail_queued]")].some(r => r.textContent.includes(`+jsString(acct.Email)+`))`) {
				t.Errorf("the timeline shows no mail queued to %s", acct.Email)
			}

			// The merchant app's mail worker delivers what the console queued.
			m := b.site.waitMail(t, acct.Email, "", before)
			if text := b.openMail(m); !strings.Contains(text, b.site.base+route.Reset+"?") {
				t.Errorf("the mail to %s has no reset link:\n%s", acct.Email, text)
			}

			// Log out; the next login asks for the code.
			b.open("/")
			b.waitHeading(C.SearchTitle)
			b.press(byText(C.LogOut))
			b.waitHeading(C.LoginTitle)
			if status := b.open("/"); status != 200 || b.location() != b.site.console+"/login" {
				t.Errorf("after logging out / answers %d at %s, want the login page", status, b.location())
			}
			b.logIn(member)
			b.waitHeading(C.CodeTitle)
			b.fill("code", used) // the enrolment's: refused, whether a replay or too old
			b.press(byText(C.Verify))
			b.waitFor("the used code refused", `document.getElementById("form-error") && document.readyState === "complete"`)
			b.fill("code", totpCode(t, member.Secret, 1)) // the next step: the enrolment's is used
			b.press(byText(C.Verify))
			b.waitHeading(C.SearchTitle)
		})
	}
}
