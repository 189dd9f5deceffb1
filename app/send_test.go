package app

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"aikagi/db"
)

// tamperings are ways a state field can be forged or broken.
func tamperings(t *testing.T, state string) map[string]string {
	t.Helper()
	payload, sig, ok := strings.Cut(state, ".")
	if !ok {
		t.Fatalf("state %q has no signature", state)
	}
	other := newTestAppEnv(t, "sqlite", map[string]string{"SECRET_KEY": strings.Repeat("ab", 32)})
	forged := other.reset.states.sign(requestState{LoginID: "taro01", Email: "taro@example.jp", IssuedAt: testStart.Unix()})
	return map[string]string{
		"signature flipped": payload + "." + flip(sig, len(sig)/2),
		"payload flipped":   flip(payload, len(payload)/2) + "." + sig,
		"signature cut":     payload + "." + sig[:len(sig)-4],
		"no signature":      payload,
		"garbage":           "not-a-state",
		"empty":             "",
		"other key":         forged,
		"too long":          payload + strings.Repeat("A", 5000) + "." + sig,
	}
}

// flip changes the character at i to another base64url character.
func flip(s string, i int) string {
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}

// TestTamperedStateRefused checks that a forged or broken state gets a
// clear 400 page on 送信する and 修正する, and changes nothing.
func TestTamperedStateRefused(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	newAccount(t, a, "taro01", "taro@example.jp", "ja")
	state := confirmState(t, a, "taro01", "taro@example.jp")
	for name, bad := range tamperings(t, state) {
		for _, path := range []string{"/password-resetting/send", "/password-resetting/regist"} {
			t.Run(name+path, func(t *testing.T) {
				res := postForm(t, a, path, url.Values{"state": {bad}})
				assertProblemPage(t, res, http.StatusBadRequest, "ja", "フォームの内容を確認できませんでした。お手数ですが、最初から入力し直してください。")
				if got := res.Doc(t).Find("#flow a[href='/password-resetting/regist?lang=ja']").Length(); got != 1 {
					t.Errorf("no link back to step 1")
				}
			})
		}
	}
	assertNothingWritten(t, a)
}

// TestStateWithInvalidValuesRefused checks that a correctly signed state
// whose values would not pass validation (a leaked key, an old release)
// creates nothing.
func TestStateWithInvalidValuesRefused(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	for _, st := range []requestState{
		{LoginID: "", Email: "taro@example.jp"},
		{LoginID: "taro01", Email: "not an address"},
	} {
		st.IssuedAt = a.now().Unix()
		res := postForm(t, a, "/password-resetting/send", url.Values{"state": {a.reset.states.sign(st)}})
		if res.Status != http.StatusBadRequest {
			t.Errorf("%+v: status = %d, want 400", st, res.Status)
		}
	}
	assertNothingWritten(t, a)
}

// TestStaleState checks a confirmation page left open too long: 送信する
// sends nothing and shows the form again, refilled, with a notice;
// 修正する still refills the form.
func TestStaleState(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	newAccount(t, a, "taro01", "taro@example.jp", "ja")
	state := confirmState(t, a, "taro01", "taro@example.jp")
	advanceClock(a, a.cfg.StateTTL+time.Second)

	res := postForm(t, a, "/password-resetting/send", url.Values{"state": {state}})
	if res.Status < 400 || res.Status >= 500 {
		t.Fatalf("send with a stale state: status = %d, want 4xx\n%s", res.Status, describe(res.Body))
	}
	doc := res.Doc(t)
	if got := strings.TrimSpace(doc.Find("#flow h1").Text()); got != h1Request {
		t.Errorf("h1 = %q, want the request form", got)
	}
	if got := inputValue(doc, "login_id"); got != "taro01" {
		t.Errorf("login_id = %q, want taro01", got)
	}
	if got := inputValue(doc, "email"); got != "taro@example.jp" {
		t.Errorf("email = %q, want taro@example.jp", got)
	}
	want := "確認画面を開いてから時間が経ったため、送信できませんでした。入力内容を確かめて、もう一度「確認する」を押してください。"
	if got := strings.TrimSpace(doc.Find("#error-summary li").Text()); got != want {
		t.Errorf("notice = %q, want %q", got, want)
	}
	assertNothingWritten(t, a)

	res = postForm(t, a, "/password-resetting/regist", url.Values{"state": {state}})
	if res.Status != http.StatusOK {
		t.Fatalf("修正する with a stale state: status = %d, want 200", res.Status)
	}
	doc = res.Doc(t)
	if inputValue(doc, "login_id") != "taro01" || inputValue(doc, "email") != "taro@example.jp" {
		t.Errorf("修正する with a stale state did not refill the form")
	}
	assertNothingWritten(t, a)

	// Still within the TTL a minute before it runs out: sends.
	setClock(a, testStart.Add(a.cfg.StateTTL-time.Minute))
	if res := postForm(t, a, "/password-resetting/send", url.Values{"state": {state}}); res.Status != http.StatusOK {
		t.Errorf("send within the TTL: status = %d, want 200", res.Status)
	}
}

// comparableHeaders drops what differs between any two responses.
func comparableHeaders(h http.Header) http.Header {
	c := h.Clone()
	c.Del("X-Request-Id")
	c.Del("Date")
	c.Set("Content-Security-Policy", withoutNonces(c.Get("Content-Security-Policy")))
	return c
}

// TestSendDoesNotRevealAccounts checks that step 3 answers a matching and
// a non-matching request with the same status, headers and body, while only
// the matching one creates a token and a mail.
func TestSendDoesNotRevealAccounts(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		for _, htmx := range []bool{false, true} {
			a := newTestApp(t, dialect)
			newAccount(t, a, "taro01", "taro@example.jp", "ja")
			var opts []reqOption
			if htmx {
				opts = append(opts, asHTMX)
			}
			matching := requestResetFlow(t, a, "taro01", "taro@example.jp", opts...)
			if got := rowCounts(t, a.db); got["reset_tokens"] != 1 || got["outbox"] != 1 || got["audit_events"] != 1 {
				t.Fatalf("htmx=%v: after a matching request rows = %v, want 1 token, 1 mail, 1 audit event", htmx, got)
			}
			wrongEmail := requestResetFlow(t, a, "taro01", "hanako@example.jp", opts...)
			unknownID := requestResetFlow(t, a, "jiro02", "taro@example.jp", opts...)
			if got := rowCounts(t, a.db); got["reset_tokens"] != 1 || got["outbox"] != 1 || got["audit_events"] != 3 {
				t.Errorf("htmx=%v: after two non-matching requests rows = %v, want still 1 token and 1 mail, 3 audit events", htmx, got)
			}
			want := []db.AuditKind{db.AuditResetRequested, db.AuditResetUnmatched, db.AuditResetUnmatched}
			if got := auditKinds(t, a.db); !slices.Equal(got, want) {
				t.Errorf("htmx=%v: audit kinds = %q, want %q", htmx, got, want)
			}
			for name, other := range map[string]*response{"wrong email": wrongEmail, "unknown login ID": unknownID} {
				if other.Status != matching.Status {
					t.Errorf("htmx=%v %s: status %d, matching %d", htmx, name, other.Status, matching.Status)
				}
				if got, want := comparableHeaders(other.Header), comparableHeaders(matching.Header); !reflect.DeepEqual(got, want) {
					t.Errorf("htmx=%v %s: headers differ\n got %v\nwant %v", htmx, name, got, want)
				}
				if got, want := withoutNonces(string(other.Body)), withoutNonces(string(matching.Body)); got != want {
					t.Errorf("htmx=%v %s: body differs\n got %s\nwant %s", htmx, name, got, want)
				}
			}
		}
	})
}

// TestSentPage checks what step 3 tells the merchant: check the spam
// folder and domain filtering, and the exact sender address to allow.
func TestSentPage(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	doc := requestResetFlow(t, a, "taro01", "taro@example.jp").Doc(t)
	text := doc.Find("#flow").Text()
	for _, want := range []string{"迷惑メール", "ドメイン指定受信", "「support@example.test」", "30分"} {
		if !strings.Contains(text, want) {
			t.Errorf("step 3 does not mention %q:\n%s", want, text)
		}
	}
	if got, _ := doc.Find(`#flow a[target="_top"]`).Attr("href"); got != "/login?lang=ja" {
		t.Errorf("login link = %q, want /login?lang=ja opening in the top window", got)
	}
}

// TestAuditRecordsClient checks that the audit trail and the token keep
// the client's address (from X-Forwarded-For behind a trusted proxy) and
// user agent.
func TestAuditRecordsClient(t *testing.T) {
	t.Parallel()
	// Fiber's app.Test connects from 0.0.0.0: make that the trusted proxy.
	a := newTestAppEnv(t, "sqlite", map[string]string{"TRUSTED_PROXIES": "0.0.0.0/32"})
	newAccount(t, a, "taro01", "taro@example.jp", "ja")
	requestResetFlow(t, a, "taro01", "taro@example.jp",
		withHeader("X-Forwarded-For", "198.51.100.9, 203.0.113.7"), withHeader("User-Agent", "Mozilla/5.0 (iPhone)"))
	requestResetFlow(t, a, "taro01", "nobody@example.jp", withHeader("User-Agent", "curl/8"))

	var events []db.AuditEvent
	if err := a.db.NewSelect().Model(&events).Order("id").Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 {
		t.Fatalf("audit events = %d, want 2", len(events))
	}
	want := []struct {
		kind          db.AuditKind
		ip, ua, login string
	}{
		{db.AuditResetRequested, "203.0.113.7", "Mozilla/5.0 (iPhone)", "taro01"},
		{db.AuditResetUnmatched, "0.0.0.0", "curl/8", "taro01"},
	}
	for i, w := range want {
		e := events[i]
		if e.Kind != w.kind || e.IP != w.ip || e.UserAgent != w.ua || e.LoginID != w.login || !e.At.Equal(testStart) {
			t.Errorf("event %d = %s ip=%s ua=%q login=%s at=%v; want %s ip=%s ua=%q login=%s at=%v",
				i, e.Kind, e.IP, e.UserAgent, e.LoginID, e.At, w.kind, w.ip, w.ua, w.login, testStart)
		}
	}
	var tok db.ResetToken
	if err := a.db.NewSelect().Model(&tok).Limit(1).Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	if tok.RequestedIP != "203.0.113.7" {
		t.Errorf("token requested_ip = %q, want 203.0.113.7", tok.RequestedIP)
	}
}
