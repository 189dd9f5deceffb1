package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/gofiber/fiber/v2"
	"golang.org/x/crypto/bcrypt"

	"aikagi/app/account"
	"aikagi/app/problem"
	"aikagi/app/secret"
	"aikagi/db"
	"aikagi/db/dbtest"
	"aikagi/views"
)

// A fourth request for one account within the hour is answered exactly
// like any other, but sends nothing and keeps the third link valid.
func TestMailsPerAccountLimit(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect string) {
		a := newTestApp(t, dialect)
		newAccount(t, a, "limit01", "limit@example.jp", "ja")
		for i := range 3 {
			requestResetFlow(t, a, "limit01", "limit@example.jp")
			advanceClock(a, time.Minute)
			if n := countRows(t, a.db, "outbox"); n != i+1 {
				t.Fatalf("after request %d: %d outbox rows", i+1, n)
			}
		}
		tokensBefore := countRows(t, a.db, "reset_tokens")
		// At the same moment: step 3 names the time by which to use the link.
		unmatched := requestResetFlow(t, a, "nobody", "nobody@example.jp")
		limited := requestResetFlow(t, a, "limit01", "limit@example.jp")
		if got, want := withoutNonces(string(limited.Body)), withoutNonces(string(unmatched.Body)); got != want {
			t.Error("a limited request is answered differently from an unmatched one")
		}
		if limited.Status != unmatched.Status {
			t.Errorf("status %d, unmatched %d", limited.Status, unmatched.Status)
		}
		if n := countRows(t, a.db, "outbox"); n != 3 {
			t.Errorf("%d mails queued, want 3", n)
		}
		if n := countRows(t, a.db, "reset_tokens"); n != tokensBefore {
			t.Errorf("a limited request created a token")
		}
		if !slices.Contains(auditKinds(t, a.db), db.AuditResetLimited) {
			t.Errorf("no %s audit event: %v", db.AuditResetLimited, auditKinds(t, a.db))
		}
		// An hour later the account may ask again.
		advanceClock(a, time.Hour)
		requestResetFlow(t, a, "limit01", "limit@example.jp")
		if n := countRows(t, a.db, "outbox"); n != 4 {
			t.Errorf("after the window: %d mails, want 4", n)
		}
	})
}

// The per-IP limit on step 3 is shared by two instances on one database.
func TestSendsPerIPSharedAcrossInstances(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect string) {
		dsn := dbtest.Fresh(t, dialect)
		env := map[string]string{"LIMIT_SENDS_PER_IP": "3/1h"}
		one, two := newTestAppOn(t, dsn, env), newTestAppOn(t, dsn, env)
		for i, a := range []*App{one, two, one} {
			if res := postForm(t, a, "/password-resetting/send", url.Values{"state": {confirmState(t, a, "x", "x@example.jp")}}); res.Status != http.StatusOK {
				t.Fatalf("send %d: status %d", i+1, res.Status)
			}
		}
		for _, lang := range []string{"ja", "en"} {
			res := postForm(t, two, "/password-resetting/send?lang="+lang, url.Values{"state": {confirmState(t, two, "x", "x@example.jp")}})
			l, _ := views.ParseLang(lang)
			assertProblemPage(t, res, http.StatusTooManyRequests, lang, views.T(l).Support.TooManyRequests(time.Hour))
		}
		if !slices.Contains(auditKinds(t, one.db), db.AuditRateLimited) {
			t.Errorf("no %s audit event", db.AuditRateLimited)
		}
	})
}

// Many unknown links from one IP are refused, yet a real link still opens.
func TestLinkGuessingLimited(t *testing.T) {
	a := newTestAppEnv(t, "sqlite", map[string]string{"LIMIT_LINK_GUESSES_PER_IP": "5/15m"})
	acct := newAccount(t, a, "guess01", "guess@example.jp", "ja")
	token, hash := secret.NewToken()
	if _, err := db.CreateResetToken(context.Background(), a.db, acct.ID, hash, a.now(), 30*time.Minute, ""); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		guess, _ := secret.NewToken()
		if res := get(t, a, "/password-resetting/reset?token="+guess); res.Status != http.StatusNotFound {
			t.Fatalf("guess %d: status %d, want 404", i+1, res.Status)
		}
	}
	guess, _ := secret.NewToken()
	assertProblemPage(t, get(t, a, "/password-resetting/reset?token="+guess), http.StatusTooManyRequests, "ja", views.T(views.Ja).Support.TooManyRequests(15*time.Minute))
	if res := get(t, a, "/password-resetting/reset?token="+token); res.Status != http.StatusSeeOther {
		t.Fatalf("the owner's link after the guesses: status %d, want 303", res.Status)
	}
}

func TestLoginsPerIPLimited(t *testing.T) {
	a := newTestAppEnv(t, "sqlite", map[string]string{"LIMIT_LOGINS_PER_IP": "4/15m"})
	for i := range 4 {
		res := postForm(t, a, "/login", url.Values{"login_id": {fmt.Sprint("user", i)}, "password": {"wrong password"}})
		if res.Status != http.StatusUnauthorized {
			t.Fatalf("login %d: status %d", i+1, res.Status)
		}
	}
	res := postForm(t, a, "/login?lang=en", url.Values{"login_id": {"user9"}, "password": {"wrong password"}})
	assertProblemPage(t, res, http.StatusTooManyRequests, "en", views.T(views.En).Support.TooManyRequests(15*time.Minute))
	if got := res.Doc(t).Find("#error-back").AttrOr("href", ""); got != "/login?lang=en" {
		t.Errorf("way back = %q, want the login page", got)
	}
}

// Markup typed into any field, or stored in an account, comes out as text
// on every screen and in both parts of the mail.
func TestMarkupIsInert(t *testing.T) {
	const payload = `"><script>alert(1)</script><img src=x onerror=alert(1)>`
	a := newTestApp(t, "sqlite")
	acct := newAccount(t, a, "xss01", "xss@example.jp", "en")
	if _, err := a.db.NewUpdate().Model(acct).Set("store_name = ?", "Shop "+payload).WherePK().Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	inert := func(name string, body []byte) {
		t.Helper()
		doc, err := goquery.NewDocumentFromReader(strings.NewReader(string(body)))
		if err != nil {
			t.Fatal(err)
		}
		doc.Find("script").Each(func(_ int, s *goquery.Selection) {
			if src, _ := s.Attr("src"); !strings.HasPrefix(src, "/assets/") {
				t.Errorf("%s: injected script element: %s", name, s.Text())
			}
		})
		if n := doc.Find("[onerror], img[src=x]").Length(); n > 0 {
			t.Errorf("%s: %d injected elements", name, n)
		}
	}
	for _, field := range []string{"login_id", "email"} {
		form := url.Values{"login_id": {"xss01"}, "email": {"xss@example.jp"}}
		form.Set(field, payload)
		inert("step 1 with "+field, postForm(t, a, "/password-resetting/confirm", form).Body)
	}
	// A login ID without spaces passes validation and reaches step 2 and 3.
	state := confirmState(t, a, `"><script>alert(1)</script>`, "xss@example.jp")
	inert("step 2", postForm(t, a, "/password-resetting/confirm", url.Values{"login_id": {`"><script>alert(1)</script>`}, "email": {"xss@example.jp"}}).Body)
	inert("step 3", postForm(t, a, "/password-resetting/send", url.Values{"state": {state}}).Body)
	inert("login", postForm(t, a, "/login", url.Values{"login_id": {`"><script>alert(1)</script>`}, "password": {"x"}}).Body)

	requestResetFlow(t, a, "xss01", "xss@example.jp")
	if _, err := a.outbox.DeliverDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	mails := a.mailbox.Messages()
	if len(mails) != 1 {
		t.Fatalf("%d mails", len(mails))
	}
	m, _ := a.mailbox.Find(mails[0].ID)
	inert("mail HTML", []byte(m.HTML))
	if !strings.Contains(m.Text, "Shop "+payload) {
		t.Errorf("the text part should carry the store name as typed (plain text is inert):\n%s", m.Text)
	}
	inert("dev mailbox page", get(t, a, fmt.Sprintf("/_dev/mail/%d", m.ID), onLocalhost).Body)
}

// A handler that panics costs one request a 500 page, not the process.
func TestPanicBecomesErrorPage(t *testing.T) {
	a := newTestApp(t, "sqlite")
	a.fiber.Get("/test-panic", func(c *fiber.Ctx) error { panic("boom") })
	assertProblemPage(t, get(t, a, "/test-panic"), http.StatusInternalServerError, "ja", views.T(views.Ja).Problem(problem.ServerError))
	if res := get(t, a, "/password-resetting/regist"); res.Status != http.StatusOK {
		t.Errorf("after a panic: status %d", res.Status)
	}
}

// One merchant replaying step 3 gets no more than the per-account limit of
// mail, and holds back no one else's: another merchant's mail is queued,
// and as a first mail it is served before the replays' repeats. The retired
// LIMIT_MAILS_GLOBAL, set low, drops nothing.
func TestReplaysOfOneAccountHoldBackNoOne(t *testing.T) {
	a := newTestAppEnv(t, "sqlite", map[string]string{"LIMIT_MAILS_GLOBAL": "1/1m", "LIMIT_SENDS_PER_IP": "1000/1h"})
	newAccount(t, a, "noisy01", "noisy@example.jp", "ja")
	newAccount(t, a, "quiet01", "quiet@example.jp", "ja")
	state := confirmState(t, a, "noisy01", "noisy@example.jp")
	for range 20 {
		postForm(t, a, "/password-resetting/send", url.Values{"state": {state}})
	}
	if n := countRows(t, a.db, "outbox"); n != 3 {
		t.Fatalf("%d mails for the noisy account, want 3", n)
	}
	requestResetFlow(t, a, "quiet01", "quiet@example.jp")
	var rows []db.OutboxMail
	if err := a.db.NewSelect().Model(&rows).Order("id").Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 {
		t.Fatalf("another merchant's mail was refused after one account's replays (%d mails)", len(rows))
	}
	for i, row := range rows {
		if want := i == 1 || i == 2; row.IsRepeat != want {
			t.Errorf("mail %d to %s: repeat %v, want %v", i, row.ToAddr, row.IsRepeat, want)
		}
	}
}

// Failed logins take at least LOGIN_FAILURE_MIN_DURATION, so a slow bcrypt
// check of an imported account does not stand out from an unknown ID; a
// successful login reveals nothing new and is not held back. The floor is
// observed where the handler applies it, not by timing the answer.
func TestFailedLoginFloor(t *testing.T) {
	// Not parallel: padFailure is shared by every login of the package.
	var holds []time.Time
	padFailure = func(_ context.Context, start time.Time, floor time.Duration) {
		holds = append(holds, start.Add(floor))
	}
	t.Cleanup(func() { padFailure = padTo })
	a := newTestAppEnv(t, "sqlite", map[string]string{"LOGIN_FAILURE_MIN_DURATION": "150ms"})
	slowest, err := bcrypt.GenerateFromPassword([]byte("cost twelve password"), account.MaxImportBcryptCost)
	if err != nil {
		t.Fatal(err)
	}
	imported := &db.Account{LoginID: "slow01", Email: "slow01@example.jp", StoreName: "輸入店", Locale: "ja", PasswordHash: string(slowest)}
	if err := db.CreateAccount(context.Background(), a.db, imported, a.now()); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, loginID, password string
		status                  int
		held                    bool
	}{
		{"unknown login ID", "nobody-here", "wrong password", http.StatusUnauthorized, true},
		{"login ID no account can have", "nobody here", "wrong password", http.StatusUnauthorized, true},
		{"imported bcrypt hash, wrong password", "slow01", "wrong password", http.StatusUnauthorized, true},
		{"imported bcrypt hash, right password", "slow01", "cost twelve password", http.StatusSeeOther, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			holds = nil
			sent := time.Now()
			res := postForm(t, a, "/login", url.Values{"login_id": {tc.loginID}, "password": {tc.password}})
			if res.Status != tc.status {
				t.Fatalf("status %d, want %d", res.Status, tc.status)
			}
			if !tc.held {
				if len(holds) != 0 {
					t.Errorf("the login was held back %d times, want none", len(holds))
				}
				return
			}
			if len(holds) != 1 {
				t.Fatalf("the failed login was held back %d times, want once", len(holds))
			}
			if floor := sent.Add(150 * time.Millisecond); holds[0].Before(floor) {
				t.Errorf("the failed login was held until %v after it was sent, before the floor", holds[0].Sub(sent))
			}
		})
	}
}
