// The support console in the test site: its listener, its clock, its staff
// and a tab that speaks its wording.

package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"aikagi/app/cli"
	"aikagi/app/console"
	"aikagi/app/service"
	"aikagi/views"
	vc "aikagi/views/console"
)

// startConsole serves the console on ln as serve does on ADMIN_ADDR, on
// the merchant app's services. Its clock is the real
// one: the merchant app's mail worker delivers what the console queues by
// the time the console gave it, so the two must agree. A test that needs
// the next TOTP step asks totpCode for it rather than waiting for it.
func (s *site) startConsole(svc *service.Services, ln net.Listener) {
	c := console.New(svc)
	s.consoleApp = c.Handler()
	go func() { _ = s.consoleApp.Listener(ln) }()
}

// staffPassword is every test member's password.
const staffPassword = "the support desk's test passphrase"

// staffMember is a member of the support desk created for one test; Secret
// is their TOTP key once enrolled.
type staffMember struct {
	Email, Password, Secret string
}

// newStaff adds a support member of its own for the calling test with
// "aikagi staff create", as an administrator would; they enrol TOTP at
// their first login.
func (s *site) newStaff(t *testing.T) staffMember {
	t.Helper()
	return s.newStaffAs(t, "support")
}

// newStaffAs adds a member with role (support or admin), as newStaff.
func (s *site) newStaffAs(t *testing.T, role string) staffMember {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.staffCount++
	m := staffMember{Email: fmt.Sprintf("staff%02d@support.example.com", s.staffCount), Password: staffPassword}
	var stderr strings.Builder
	env := cli.Env{Getenv: s.getenv, Stdin: strings.NewReader(m.Password + "\n"), Stdout: io.Discard, Stderr: &stderr}
	if err := cli.StaffCommand(context.Background(), env, []string{"create", "--email", m.Email, "--role", role, "--password-stdin"}); err != nil {
		t.Fatalf("staff create: %v\n%s", err, stderr.String())
	}
	return m
}

// totpCode is the code an authenticator app shows for secret now, or
// steps periods of 30 s later: the console accepts the next step's code
// (for a clock a little off), and a login right after enrolment needs it,
// since the current step's code is refused as a replay.
func totpCode(t *testing.T, secret string, steps int) string {
	t.Helper()
	at := time.Now().Add(time.Duration(steps) * 30 * time.Second)
	code, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatalf("totp code of %q: %v", secret, err)
	}
	return code
}

// consoleTab is a tab on the support console; C is the console's wording
// in the tab's language.
type consoleTab struct {
	*tab
	C    *vc.Text
	vars map[string]string // what a tour's steps found, for later paths
}

// openConsole opens a tab for the console whose browser asks for lang.
func openConsole(t *testing.T, dev device, lang views.Lang) *consoleTab {
	t.Helper()
	return &consoleTab{tab: openTab(t, dev, lang), C: vc.T(lang)}
}

// open loads a path of the console and returns the response status.
func (b *consoleTab) open(path string) int64 {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Navigate(b.site.console+path))
	if err != nil {
		b.t.Fatalf("tab: open console %s: %v", path, err)
	}
	return resp.Status
}

// logIn fills the login form with m's address and password and presses
// ログイン; the caller waits for what follows.
func (b *consoleTab) logIn(m staffMember) {
	b.t.Helper()
	b.open("/login")
	b.waitHeading(b.C.LoginTitle)
	b.fill("email", m.Email)
	b.fill("password", m.Password)
	b.press(byText(b.C.LogIn))
}

// enrol reads the key off the enrolment page, as a member types it into an
// app that cannot scan, and confirms it with the app's code; it ends on the
// recovery codes. It returns the code it used.
func (b *consoleTab) enrol(m *staffMember) string {
	b.t.Helper()
	b.waitHeading(b.C.EnrolTitle)
	m.Secret = b.text("#enrol-secret")
	if m.Secret == "" {
		b.t.Fatal("the enrolment page shows no key")
	}
	code := totpCode(b.t, m.Secret, 0)
	b.fill("code", code)
	b.press(byText(b.C.EnrolConfirm))
	b.waitHeading(b.C.RecoveryTitle)
	return code
}

// accountHeading is the account page's heading for loginID.
func (b *consoleTab) accountHeading(loginID string) string {
	return b.C.AccountTitle + ": " + loginID
}

// sendResetHeading is the send-reset page's heading for loginID.
func (b *consoleTab) sendResetHeading(loginID string) string {
	return b.C.SendResetTitle + ": " + loginID
}
