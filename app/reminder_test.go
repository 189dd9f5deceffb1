package app

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"aikagi/app/problem"
	"aikagi/db"
	"aikagi/views"
)

const (
	reminderEnter   = "/login-id-reminder/regist"
	reminderConfirm = "/login-id-reminder/confirm"
	reminderSend    = "/login-id-reminder/send"
)

// reminderState submits the reminder's step 1 and returns the signed state.
func reminderState(t testing.TB, a *App, email string) string {
	t.Helper()
	res := postFormOnly(t, a, reminderConfirm, url.Values{"email": {email}})
	if res.Status != http.StatusOK {
		t.Fatalf("confirm %q: status %d\n%s", email, res.Status, describe(res.Body))
	}
	state, _ := res.Doc(t).Find(`input[name=state]`).Attr("value")
	return state
}

func TestReminderSteps(t *testing.T) {
	a := newTestApp(t, "sqlite")
	ja := views.T(views.Ja)
	for _, htmx := range []bool{true, false} {
		var opts []reqOption
		check := func(res *response, status int, h1 string) {
			t.Helper()
			if res.Status != status {
				t.Fatalf("htmx=%v: status %d, want %d\n%s", htmx, res.Status, status, describe(res.Body))
			}
			if htmx {
				assertFragment(t, res, h1)
			} else {
				assertFullPage(t, res, "ja", h1)
			}
			if res.Header.Get("Set-Cookie") != "" {
				t.Errorf("the reminder set a cookie: %s", res.Header.Get("Set-Cookie"))
			}
		}
		if htmx {
			opts = append(opts, asHTMX)
		}
		check(get(t, a, reminderEnter, opts...), http.StatusOK, ja.ReminderTitle)

		bad := postForm(t, a, reminderConfirm, url.Values{"email": {"not an address"}}, opts...)
		check(bad, http.StatusUnprocessableEntity, ja.ReminderTitle)
		if bad.Doc(t).Find("#email-error").Length() != 1 || bad.Doc(t).Find("#login_id").Length() != 0 {
			t.Error("the reminder form should ask for the address only, with its error under it")
		}

		confirm := postForm(t, a, reminderConfirm, url.Values{"email": {"ＴＡＲＯ＠example.jp "}}, opts...)
		check(confirm, http.StatusOK, ja.ConfirmTitle)
		doc := confirm.Doc(t)
		if got := strings.TrimSpace(doc.Find("#confirm-email").Text()); got != "TARO@example.jp" {
			t.Errorf("confirm shows %q, want the normalised address", got)
		}
		state, _ := doc.Find(`input[name=state]`).Attr("value")

		edit := postForm(t, a, reminderEnter, url.Values{"state": {state}}, opts...)
		check(edit, http.StatusOK, ja.ReminderTitle)
		if v := inputValue(edit.Doc(t), "email"); v != "TARO@example.jp" {
			t.Errorf("修正する refilled %q", v)
		}
		check(postForm(t, a, reminderSend, url.Values{"state": {state}}, opts...), http.StatusOK, ja.SentTitle)
	}
}

// One address, three shops: one mail lists every login ID with its store,
// in the oldest account's language, with links to log in and to reset, and
// nothing secret.
func TestReminderMailListsEveryLoginID(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect string) {
		a := newTestApp(t, dialect)
		newAccount(t, a, "shop-a", "Owner@Example.jp", "en")
		newAccount(t, a, "shop-b", "owner@example.jp", "ja")
		newAccount(t, a, "shop-c", "OWNER@example.jp", "ja")
		newAccount(t, a, "other", "someone@example.jp", "ja")

		res := postForm(t, a, reminderSend, url.Values{"state": {reminderState(t, a, "owner@example.jp")}})
		if res.Status != http.StatusOK {
			t.Fatalf("send: %d", res.Status)
		}
		if _, err := a.outbox.DeliverDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		mails := a.mailbox.Messages()
		if len(mails) != 1 {
			t.Fatalf("%d mails, want one for the address", len(mails))
		}
		m, _ := a.mailbox.Find(mails[0].ID)
		if m.To != "Owner@Example.jp" {
			t.Errorf("sent to %q, want the oldest account's registered spelling", m.To)
		}
		if !strings.Contains(m.Subject, "Your login ID") {
			t.Errorf("subject %q: want English, the oldest account's language", m.Subject)
		}
		for _, part := range map[string]string{"text": m.Text, "html": m.HTML} {
			for _, want := range []string{"shop-a", "shop-b", "shop-c", "テスト商店 shop-b", "https://reset.example.test/login?lang=en", "https://reset.example.test/password-resetting/regist?lang=en"} {
				if !strings.Contains(part, want) {
					t.Errorf("mail part lacks %q:\n%s", want, part)
				}
			}
			for _, secret := range []string{"other", "token=", "$argon2id$"} {
				if strings.Contains(part, secret) {
					t.Errorf("mail part contains %q", secret)
				}
			}
		}
		if n := countRows(t, a.db, "reset_tokens"); n != 0 {
			t.Errorf("the reminder created %d reset tokens", n)
		}
		kinds := auditKinds(t, a.db)
		if !slices.Contains(kinds, db.AuditReminderRequested) || !slices.Contains(kinds, db.AuditMailSent) {
			t.Errorf("audit trail %v lacks the request or the mail", kinds)
		}
		// The operator finds both under the first login ID.
		events, err := db.ListAudit(context.Background(), a.db, "shop-a", 10)
		if err != nil {
			t.Fatal(err)
		}
		var got []db.AuditKind
		for _, e := range events {
			got = append(got, e.Kind)
		}
		if !slices.Contains(got, db.AuditReminderRequested) || !slices.Contains(got, db.AuditMailSent) {
			t.Errorf("audit list --login-id shop-a = %v", got)
		}
	})
}

// Registered, unregistered and over-the-limit addresses get the same page.
func TestReminderDoesNotRevealAddresses(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect string) {
		a := newTestApp(t, dialect)
		newAccount(t, a, "known", "known@example.jp", "ja")
		send := func(email string) *response {
			return postForm(t, a, reminderSend, url.Values{"state": {reminderState(t, a, email)}})
		}
		unknown := send("unknown@example.jp")
		var known []*response
		for range 4 { // the fourth is over the per-address limit of 3/h
			known = append(known, send("known@example.jp"))
		}
		for i, res := range known {
			if res.Status != unknown.Status || withoutNonces(string(res.Body)) != withoutNonces(string(unknown.Body)) {
				t.Errorf("response %d for a registered address differs from an unregistered one", i+1)
			}
			for _, h := range []string{"Content-Type", "Cache-Control", "Vary", "Set-Cookie", "Content-Length"} {
				if res.Header.Get(h) != unknown.Header.Get(h) {
					t.Errorf("response %d: header %s %q vs %q", i+1, h, res.Header.Get(h), unknown.Header.Get(h))
				}
			}
		}
		if n := countRows(t, a.db, "outbox"); n != 3 {
			t.Errorf("%d reminder mails queued, want 3 (then the per-address limit)", n)
		}
		kinds := auditKinds(t, a.db)
		if !slices.Contains(kinds, db.AuditReminderUnmatched) || !slices.Contains(kinds, db.AuditReminderLimited) {
			t.Errorf("audit trail %v lacks the unmatched or the limited request", kinds)
		}
	})
}

// The per-IP limit on step 3 covers both journeys together.
func TestReminderSharesPerIPLimit(t *testing.T) {
	a := newTestAppEnv(t, "sqlite", map[string]string{"LIMIT_SENDS_PER_IP": "2/1h"})
	requestResetFlow(t, a, "x", "x@example.jp")
	if res := postForm(t, a, reminderSend, url.Values{"state": {reminderState(t, a, "x@example.jp")}}); res.Status != http.StatusOK {
		t.Fatalf("second send: %d", res.Status)
	}
	res := postForm(t, a, reminderSend, url.Values{"state": {reminderState(t, a, "x@example.jp")}})
	// The clock stands at the start of the limit's hour: the whole hour
	// is left, and the way back is the journey the merchant was on.
	assertProblemPage(t, res, http.StatusTooManyRequests, "ja", views.T(views.Ja).Support.TooManyRequests(time.Hour))
	if got := res.Doc(t).Find("#error-back").AttrOr("href", ""); got != reminderEnter+"?lang=ja" {
		t.Errorf("way back = %q, want the reminder's step 1", got)
	}
	if got := res.Header.Get("Retry-After"); got != "3600" {
		t.Errorf("Retry-After = %q, want 3600", got)
	}
}

// A state signed for one journey is refused by the other.
func TestJourneyStatesDoNotCross(t *testing.T) {
	a := newTestApp(t, "sqlite")
	newAccount(t, a, "cross01", "cross@example.jp", "ja")
	resetState := confirmState(t, a, "cross01", "cross@example.jp")
	res := postForm(t, a, reminderSend, url.Values{"state": {resetState}})
	assertProblemPage(t, res, http.StatusBadRequest, "ja", views.T(views.Ja).Problem(problem.FormTampered))
	res = postForm(t, a, "/password-resetting/send", url.Values{"state": {reminderState(t, a, "cross@example.jp")}})
	assertProblemPage(t, res, http.StatusBadRequest, "ja", views.T(views.Ja).Problem(problem.FormTampered))
	if n := countRows(t, a.db, "outbox"); n != 0 {
		t.Errorf("%d mails queued by crossed states", n)
	}
}

// The reminder is reachable from step 1 of the reset and from the login
// page, and leads back to the reset.
func TestReminderLinks(t *testing.T) {
	a := newTestApp(t, "sqlite")
	for _, page := range []string{"/password-resetting/regist", "/login"} {
		href, ok := get(t, a, page).Doc(t).Find("#forgot-login-id").Attr("href")
		if !ok || !strings.HasPrefix(href, reminderEnter) {
			t.Errorf("%s: ログインIDをお忘れの方 links to %q", page, href)
		}
	}
	doc := get(t, a, reminderEnter+"?lang=en").Doc(t)
	if href, _ := doc.Find("#forgot-password").Attr("href"); href != "/password-resetting/regist?lang=en" {
		t.Errorf("the reminder links to the reset at %q", href)
	}
	if action, _ := doc.Find("form").Attr("action"); action != reminderConfirm+"?lang=en" {
		t.Errorf("form action %q keeps no language", action)
	}
	res := get(t, a, reminderEnter)
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(cspDirective(csp, "frame-ancestors"), "'self'") {
		t.Errorf("the reminder is not framable: %s", csp)
	}
	if !bytes.Contains(res.Body, []byte(views.T(views.Ja).ReminderTitle)) {
		t.Error("no title")
	}
}
