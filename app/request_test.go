package app

import (
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"aikagi/app/problem"
	"aikagi/db"
	"aikagi/views"
)

const (
	h1Request = "パスワード再設定依頼"
	h1Confirm = "入力内容の確認"
	h1Sent    = "メール送信完了"
)

// TestStepsRenderFragmentOrPage checks each step of the journey as an htmx
// swap (a fragment for #flow) and as a plain form post with JavaScript off
// (the whole page), and that none of them keeps state in a cookie.
func TestStepsRenderFragmentOrPage(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	newAccount(t, a, "taro01", "taro@example.jp", "ja")
	state := confirmState(t, a, "taro01", "taro@example.jp")

	steps := []struct {
		name string
		h1   string
		do   func(t *testing.T, opts ...reqOption) *response
	}{
		{"step 1", h1Request, func(t *testing.T, opts ...reqOption) *response {
			return get(t, a, "/password-resetting/regist", opts...)
		}},
		{"step 2", h1Confirm, func(t *testing.T, opts ...reqOption) *response {
			return postForm(t, a, "/password-resetting/confirm", url.Values{"login_id": {"taro01"}, "email": {"taro@example.jp"}}, opts...)
		}},
		{"修正する", h1Request, func(t *testing.T, opts ...reqOption) *response {
			return postForm(t, a, "/password-resetting/regist", url.Values{"state": {state}}, opts...)
		}},
		{"step 3", h1Sent, func(t *testing.T, opts ...reqOption) *response {
			return postForm(t, a, "/password-resetting/send", url.Values{"state": {state}}, opts...)
		}},
	}
	modes := []struct {
		name     string
		opts     []reqOption
		fragment bool
	}{
		{"htmx", []reqOption{asHTMX}, true},
		{"plain form", nil, false},
		{"htmx boosted", []reqOption{asHTMX, withHeader("HX-Boosted", "true")}, false},
	}
	for _, step := range steps {
		for _, mode := range modes {
			t.Run(step.name+"/"+mode.name, func(t *testing.T) {
				res := step.do(t, mode.opts...)
				if res.Status != http.StatusOK {
					t.Fatalf("status = %d, want 200\n%s", res.Status, describe(res.Body))
				}
				if mode.fragment {
					assertFragment(t, res, step.h1)
				} else {
					assertFullPage(t, res, "ja", step.h1)
				}
				if !slices.Contains(res.Header.Values("Vary"), "HX-Request") {
					t.Errorf("Vary = %q, want it to include HX-Request", res.Header.Values("Vary"))
				}
				if got := res.Header.Get("Cache-Control"); got != "no-store" {
					t.Errorf("Cache-Control = %q, want no-store", got)
				}
				if got := res.Header.Values("Set-Cookie"); len(got) != 0 {
					t.Errorf("Set-Cookie = %q, want none: steps 1–3 must work where cookies are blocked", got)
				}
				if got := res.Header.Get("Content-Type"); got != "text/html; charset=utf-8" {
					t.Errorf("Content-Type = %q", got)
				}
			})
		}
	}
}

// TestRequestFormFields checks what step 1 offers the merchant: the two
// fields with the attributes phones need, a real form that works without
// JavaScript, and the 確認する button.
func TestRequestFormFields(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	doc := get(t, a, "/password-resetting/regist").Doc(t)

	form := doc.Find("#flow form")
	if got, _ := form.Attr("method"); got != "post" {
		t.Errorf("form method = %q, want post", got)
	}
	if got, _ := form.Attr("action"); got != "/password-resetting/confirm?lang=ja" {
		t.Errorf("form action = %q", got)
	}
	if got := strings.TrimSpace(form.Find("button[type=submit]").Text()); got != "確認する" {
		t.Errorf("button = %q, want 確認する", got)
	}
	wantAttrs := map[string]map[string]string{
		"login_id": {"name": "login_id", "type": "text", "autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
		"email":    {"name": "email", "type": "email", "autocomplete": "email"},
	}
	for id, attrs := range wantAttrs {
		input := doc.Find("input#" + id)
		if input.Length() != 1 {
			t.Errorf("input#%s: found %d", id, input.Length())
			continue
		}
		for name, want := range attrs {
			if got, _ := input.Attr(name); got != want {
				t.Errorf("input#%s %s = %q, want %q", id, name, got, want)
			}
		}
		if _, ok := input.Attr("aria-invalid"); ok {
			t.Errorf("input#%s is aria-invalid on an empty form", id)
		}
		if label := doc.Find(`label[for="` + id + `"]`); label.Length() != 1 {
			t.Errorf("input#%s has no label", id)
		}
	}
	if doc.Find("#error-summary").Length() != 0 {
		t.Error("an empty form shows an error summary")
	}
}

// TestConfirmValidation checks that bad input comes back as the same form
// with status 422, the problems under the fields and in a summary at the
// top, and the entered values kept.
func TestConfirmValidation(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	cases := []struct {
		name                  string
		lang                  string
		loginID, email        string
		wantLoginIDErr        string
		wantEmailErr          string
		wantLoginID, wantMail string // values refilled, normalised
	}{
		{
			name:           "both empty",
			wantLoginIDErr: "ログインIDを入力してください。",
			wantEmailErr:   "登録メールアドレスを入力してください。",
		},
		{
			name:    "only spaces",
			loginID: "\u3000 ", email: " \u3000\u200b",
			wantLoginIDErr: "ログインIDを入力してください。",
			wantEmailErr:   "登録メールアドレスを入力してください。",
		},
		{
			name:    "email without @",
			loginID: "ｔａｒｏ０１", email: "taro.example.jp",
			wantEmailErr: "登録メールアドレスを「name@example.com」の形で入力してください。",
			wantLoginID:  "taro01", wantMail: "taro.example.jp",
		},
		{
			name:    "login ID with a space inside",
			loginID: "taro 01", email: "taro@example.jp",
			wantLoginIDErr: "ログインIDに空白や改行は使えません。ログインIDだけを入力してください。",
			wantLoginID:    "taro 01", wantMail: "taro@example.jp",
		},
		{
			name:    "login ID too long",
			loginID: strings.Repeat("a", 65), email: "taro@example.jp",
			wantLoginIDErr: "ログインIDは64文字以内で入力してください。",
			wantLoginID:    strings.Repeat("a", 65), wantMail: "taro@example.jp",
		},
		{
			name: "English",
			lang: "en", loginID: "", email: "taro@example",
			wantLoginIDErr: "Enter your login ID.",
			wantEmailErr:   "Enter the e-mail address in the form name@example.com.",
			wantMail:       "taro@example",
		},
	}
	for _, tc := range cases {
		for _, htmx := range []bool{false, true} {
			name := tc.name
			var opts []reqOption
			if htmx {
				name += "/htmx"
				opts = append(opts, asHTMX)
			}
			t.Run(name, func(t *testing.T) {
				target := "/password-resetting/confirm"
				if tc.lang != "" {
					target += "?lang=" + tc.lang
				}
				res := postForm(t, a, target, url.Values{"login_id": {tc.loginID}, "email": {tc.email}}, opts...)
				if res.Status != http.StatusUnprocessableEntity {
					t.Fatalf("status = %d, want 422\n%s", res.Status, describe(res.Body))
				}
				doc := res.Doc(t)
				if htmx {
					assertFragment(t, res, views.T(langOr(tc.lang)).RequestTitle)
				} else {
					assertFullPage(t, res, string(langOr(tc.lang)), views.T(langOr(tc.lang)).RequestTitle)
				}
				for _, f := range []struct{ id, want, value string }{
					{"login_id", tc.wantLoginIDErr, tc.wantLoginID},
					{"email", tc.wantEmailErr, tc.wantMail},
				} {
					input := doc.Find("input#" + f.id)
					if got := inputValue(doc, f.id); got != f.value {
						t.Errorf("input#%s value = %q, want %q", f.id, got, f.value)
					}
					invalid, _ := input.Attr("aria-invalid")
					describedBy, _ := input.Attr("aria-describedby")
					under := doc.Find("#" + f.id + "-error")
					link := doc.Find(`#error-summary a[href="#` + f.id + `"]`)
					if f.want == "" {
						if invalid != "" || under.Length() != 0 || link.Length() != 0 {
							t.Errorf("%s has an error although it is fine: aria-invalid=%q, %d messages, %d summary links", f.id, invalid, under.Length(), link.Length())
						}
						continue
					}
					if invalid != "true" {
						t.Errorf("input#%s aria-invalid = %q, want true", f.id, invalid)
					}
					if !strings.Contains(describedBy, f.id+"-error") {
						t.Errorf("input#%s aria-describedby = %q, want it to name %s-error", f.id, describedBy, f.id)
					}
					if got := strings.TrimSpace(under.Find("span").Last().Text()); got != f.want {
						t.Errorf("#%s-error = %q, want %q", f.id, got, f.want)
					}
					if got := strings.TrimSpace(link.Text()); got != f.want {
						t.Errorf("summary link to #%s = %q, want %q", f.id, got, f.want)
					}
				}
				if doc.Find("#error-summary").Length() != 1 {
					t.Errorf("found %d #error-summary, want 1", doc.Find("#error-summary").Length())
				}
				if doc.Find(`input[name=state]`).Length() != 0 {
					t.Error("a form with errors carries a signed state")
				}
			})
		}
	}
	assertNothingWritten(t, a)
}

func langOr(s string) views.Lang {
	if s == "en" {
		return views.En
	}
	return views.Ja
}

// TestConfirmShowsNormalisedValues checks that step 2 shows (and signs) the
// values as the server normalised them, whatever the phone's keyboard typed.
func TestConfirmShowsNormalisedValues(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	cases := []struct {
		name, loginID, email, wantLoginID, wantEmail string
	}{
		{"full-width", "ｔａｒｏ０１", "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ", "taro01", "taro@example.jp"},
		{"spaces around", "\u3000taro01 ", " taro@example.jp\u3000", "taro01", "taro@example.jp"},
		{"dashes", "shop\u30fc01\u2212a\u2010b\u2015c\u301cd", "taro@example.jp", "shop-01-a-b-c-d", "taro@example.jp"},
		{"zero-width space pasted", "\u200btaro01\u200b", "taro@example.jp\u200b", "taro01", "taro@example.jp"},
		{"carrier address", "taro01", "taro..yamada@docomo.ne.jp", "taro01", "taro..yamada@docomo.ne.jp"},
		{"case kept", "Taro01", "Taro@Example.JP", "Taro01", "Taro@Example.JP"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := postForm(t, a, "/password-resetting/confirm", url.Values{"login_id": {tc.loginID}, "email": {tc.email}})
			if res.Status != http.StatusOK {
				t.Fatalf("status = %d, want 200\n%s", res.Status, describe(res.Body))
			}
			doc := res.Doc(t)
			if got := strings.TrimSpace(doc.Find("#confirm-login-id").Text()); got != tc.wantLoginID {
				t.Errorf("#confirm-login-id = %q, want %q", got, tc.wantLoginID)
			}
			if got := strings.TrimSpace(doc.Find("#confirm-email").Text()); got != tc.wantEmail {
				t.Errorf("#confirm-email = %q, want %q", got, tc.wantEmail)
			}
			state, _ := doc.Find("input[name=state]").Attr("value")
			st, err := a.reset.states.verify(state, a.now())
			if err != nil {
				t.Fatalf("state does not verify: %v", err)
			}
			if st.LoginID != tc.wantLoginID || st.Email != tc.wantEmail {
				t.Errorf("state carries %q %q, want %q %q", st.LoginID, st.Email, tc.wantLoginID, tc.wantEmail)
			}
		})
	}
}

// TestConfirmPageButtons checks step 2's two buttons: 送信する posts to step
// 3 and 修正する back to step 1, both carrying the signed state, and both
// working without JavaScript.
func TestConfirmPageButtons(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	doc := postForm(t, a, "/password-resetting/confirm", url.Values{"login_id": {"taro01"}, "email": {"taro@example.jp"}}).Doc(t)
	form := doc.Find("#flow form")
	if got, _ := form.Attr("action"); got != "/password-resetting/send?lang=ja" {
		t.Errorf("form action = %q", got)
	}
	if got, _ := form.Attr("method"); got != "post" {
		t.Errorf("form method = %q", got)
	}
	var labels []string
	form.Find("button[type=submit]").Each(func(_ int, b *goquery.Selection) {
		labels = append(labels, strings.TrimSpace(b.Text()))
	})
	if !slices.Contains(labels, "送信する") || !slices.Contains(labels, "修正する") {
		t.Errorf("buttons = %q, want 送信する and 修正する", labels)
	}
	edit := form.Find("button").FilterFunction(func(_ int, b *goquery.Selection) bool {
		return strings.TrimSpace(b.Text()) == "修正する"
	})
	if got, _ := edit.Attr("formaction"); got != "/password-resetting/regist?lang=ja" {
		t.Errorf("修正する formaction = %q", got)
	}
}

// TestEditRefillsForm checks 「修正する」: step 1 again with both values.
func TestEditRefillsForm(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	state := confirmState(t, a, "ｔａｒｏ０１", "taro..yamada@docomo.ne.jp")
	for _, htmx := range []bool{false, true} {
		var opts []reqOption
		if htmx {
			opts = append(opts, asHTMX)
		}
		res := postForm(t, a, "/password-resetting/regist", url.Values{"state": {state}}, opts...)
		if res.Status != http.StatusOK {
			t.Fatalf("htmx=%v: status = %d, want 200\n%s", htmx, res.Status, describe(res.Body))
		}
		doc := res.Doc(t)
		if got := inputValue(doc, "login_id"); got != "taro01" {
			t.Errorf("htmx=%v: login_id = %q, want taro01", htmx, got)
		}
		if got := inputValue(doc, "email"); got != "taro..yamada@docomo.ne.jp" {
			t.Errorf("htmx=%v: email = %q", htmx, got)
		}
		if doc.Find("#error-summary").Length() != 0 {
			t.Errorf("htmx=%v: refilled form shows errors", htmx)
		}
	}
	assertNothingWritten(t, a)
}

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

// resetMailURL finds the reset link in a mail's text.
func resetMailURL(t *testing.T, text string) *url.URL {
	t.Helper()
	const prefix = "https://reset.example.test/password-resetting/reset?token="
	i := strings.Index(text, prefix)
	if i < 0 {
		t.Fatalf("mail text has no link starting with %s:\n%s", prefix, text)
	}
	raw, _, _ := strings.Cut(text[i:], "\n")
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		t.Fatalf("reset link %q: %v", raw, err)
	}
	return u
}

// TestResetMail follows a matching request to the mail: it goes to the
// registered address, carries a link built from BASE_URL whose token only
// the mail knows, and a newer request revokes the older link.
func TestResetMail(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		a := newTestApp(t, dialect)
		acct := newAccount(t, a, "taro01", "Taro@Example.jp", "ja")

		// The Host header must not leak into the link.
		req := func(t *testing.T) {
			state := confirmState(t, a, "taro01", "taro@example.jp")
			res := postForm(t, a, "/password-resetting/send", url.Values{"state": {state}}, func(r *http.Request) { r.Host = "evil.example" })
			if res.Status != http.StatusOK {
				t.Fatalf("send: status %d\n%s", res.Status, describe(res.Body))
			}
		}
		req(t)

		var sealed [][]byte
		if err := a.db.NewSelect().Table("outbox").Column("payload").Scan(ctx, &sealed); err != nil {
			t.Fatal(err)
		}
		if len(sealed) != 1 || len(sealed[0]) == 0 {
			t.Fatalf("outbox payloads = %d, want one sealed payload", len(sealed))
		}
		if len(a.mailbox.Messages()) != 0 {
			t.Fatal("mail was sent inline; it should only be queued")
		}

		if sent, err := a.outbox.DeliverDue(ctx); err != nil || sent != 1 {
			t.Fatalf("deliverDue = %d, %v; want 1 sent", sent, err)
		}
		mails := a.mailbox.Messages()
		if len(mails) != 1 {
			t.Fatalf("mailbox has %d mails, want 1", len(mails))
		}
		m := mails[0]
		if m.To != "Taro@Example.jp" {
			t.Errorf("To = %q, want the registered spelling Taro@Example.jp", m.To)
		}
		if m.From != "Shop Support <support@example.test>" {
			t.Errorf("From = %q", m.From)
		}
		if want := "【テスト加盟店管理サイト】パスワード再設定のご案内"; m.Subject != want {
			t.Errorf("Subject = %q, want %q", m.Subject, want)
		}
		for _, want := range []string{acct.StoreName + " ご担当者様", "2026年11月25日 10:30(日本時間)", "心当たりがない場合"} {
			if !strings.Contains(m.Text, want) {
				t.Errorf("mail text lacks %q:\n%s", want, m.Text)
			}
		}
		link := resetMailURL(t, m.Text)
		token := link.Query().Get("token")
		if len(token) < 43 {
			t.Errorf("token %q is shorter than 256 bits in base64url", token)
		}

		sum := sha256.Sum256([]byte(token))
		tok, err := db.LookupResetToken(ctx, a.db, sum[:])
		if err != nil || tok == nil {
			t.Fatalf("no reset token stored under the SHA-256 of the mailed token (err %v)", err)
		}
		if tok.AccountID != acct.ID || tok.State(a.now()) != db.TokenValid {
			t.Errorf("token: account %d state %v, want account %d valid", tok.AccountID, tok.State(a.now()), acct.ID)
		}
		if want := testStart.Add(30 * time.Minute); !tok.ExpiresAt.Equal(want) {
			t.Errorf("token expires at %v, want %v", tok.ExpiresAt, want)
		}
		if strings.Contains(string(sealed[0]), token) {
			t.Error("the outbox payload holds the raw token in clear")
		}
		if where := tablesContaining(t, a.db, token); len(where) != 0 {
			t.Errorf("the raw token is stored in %v", where)
		}

		var row db.OutboxMail
		if err := a.db.NewSelect().Model(&row).Limit(1).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		if row.Status != db.OutboxSent || row.Payload != nil || row.ToAddr != "Taro@Example.jp" {
			t.Errorf("outbox row after sending: status %q, payload %d bytes, to %q; want sent, cleared, Taro@Example.jp", row.Status, len(row.Payload), row.ToAddr)
		}
		if got := auditKinds(t, a.db); !slices.Equal(got, []db.AuditKind{db.AuditResetRequested, db.AuditMailSent}) {
			t.Errorf("audit kinds = %q", got)
		}

		// A second request revokes the first link.
		advanceClock(a, time.Minute)
		req(t)
		if sent, err := a.outbox.DeliverDue(ctx); err != nil || sent != 1 {
			t.Fatalf("second deliverDue = %d, %v; want 1 sent", sent, err)
		}
		mails = a.mailbox.Messages()
		if len(mails) != 2 {
			t.Fatalf("mailbox has %d mails, want 2", len(mails))
		}
		token2 := resetMailURL(t, mails[0].Text).Query().Get("token")
		if token2 == token {
			t.Fatal("the second mail carries the same token")
		}
		first, _ := db.LookupResetToken(ctx, a.db, sum[:])
		if got := first.State(a.now()); got != db.TokenRevoked {
			t.Errorf("first token state = %v, want revoked (%v)", got, db.TokenRevoked)
		}
		sum2 := sha256.Sum256([]byte(token2))
		second, _ := db.LookupResetToken(ctx, a.db, sum2[:])
		if got := second.State(a.now()); got != db.TokenValid {
			t.Errorf("second token state = %v, want valid", got)
		}

		// Nothing more to send.
		if sent, err := a.outbox.DeliverDue(ctx); err != nil || sent != 0 {
			t.Errorf("third deliverDue = %d, %v; want nothing", sent, err)
		}
	})
}

// TestResetMailInAccountLanguage checks that the mail follows the account's
// stored locale, not the language of the pages.
func TestResetMailInAccountLanguage(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	newAccount(t, a, "jane01", "jane@example.com", "en")
	newAccount(t, a, "taro01", "taro@example.jp", "ja")
	// Japanese pages, English account.
	requestResetFlow(t, a, "jane01", "jane@example.com")
	// English pages, Japanese account.
	state := confirmState(t, a, "taro01", "taro@example.jp")
	if res := postForm(t, a, "/password-resetting/send?lang=en", url.Values{"state": {state}}); res.Status != http.StatusOK {
		t.Fatalf("send in English: status %d", res.Status)
	}
	if sent, err := a.outbox.DeliverDue(context.Background()); err != nil || sent != 2 {
		t.Fatalf("deliverDue = %d, %v; want 2", sent, err)
	}
	byTo := map[string]views.DevMail{}
	for _, m := range a.mailbox.Messages() {
		byTo[m.To] = m
	}
	en := byTo["jane@example.com"]
	if en.Subject != "[テスト加盟店管理サイト] Reset your password" {
		t.Errorf("English subject = %q", en.Subject)
	}
	if !strings.Contains(en.Text, "The link works until 25 November 2026, 01:30 UTC.") {
		t.Errorf("English mail text:\n%s", en.Text)
	}
	if ja := byTo["taro@example.jp"]; !strings.Contains(ja.Subject, "パスワード再設定のご案内") {
		t.Errorf("Japanese subject = %q", ja.Subject)
	}
}

// TestBadInputGetsClearPage sends what no form of ours sends and expects a
// 4xx page in the chosen language, never a 5xx, and nothing written.
func TestBadInputGetsClearPage(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	newAccount(t, a, "taro01", "taro@example.jp", "ja")
	form := "application/x-www-form-urlencoded"
	cases := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        string
		status      int
		problem     problem.Problem
	}{
		{"text/plain", "POST", "/password-resetting/confirm", "text/plain", "login_id=taro01&email=taro@example.jp", 415, problem.UnsupportedMedia},
		{"multipart", "POST", "/password-resetting/confirm", "multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"login_id\"\r\n\r\ntaro01\r\n--x--\r\n", 415, problem.UnsupportedMedia},
		{"JSON", "POST", "/password-resetting/confirm", "application/json", `{"login_id":"taro01","email":"taro@example.jp"}`, 415, problem.UnsupportedMedia},
		{"no content type", "POST", "/password-resetting/confirm", "", "login_id=taro01&email=taro@example.jp", 415, problem.UnsupportedMedia},
		{"Shift_JIS", "POST", "/password-resetting/confirm", form + "; charset=Shift_JIS", "login_id=taro01&email=taro@example.jp", 415, problem.UnsupportedMedia},
		{"missing email", "POST", "/password-resetting/confirm", form, "login_id=taro01", 400, problem.BadForm},
		{"empty body", "POST", "/password-resetting/confirm", form, "", 400, problem.BadForm},
		{"login_id twice", "POST", "/password-resetting/confirm", form, "login_id=taro01&login_id=jiro02&email=taro@example.jp", 400, problem.BadForm},
		{"invalid UTF-8", "POST", "/password-resetting/confirm", form, "login_id=%FF&email=taro@example.jp", 400, problem.BadForm},
		{"bad percent-encoding", "POST", "/password-resetting/confirm", form, "login_id=%zz&email=taro@example.jp", 400, problem.BadForm},
		{"send without state", "POST", "/password-resetting/send", form, "login_id=taro01", 400, problem.BadForm},
		{"state twice", "POST", "/password-resetting/send", form, "state=a.b&state=c.d", 400, problem.BadForm},
		{"修正する without state", "POST", "/password-resetting/regist", form, "", 400, problem.BadForm},
		{"unknown route", "GET", "/password-resetting/nope", "", "", 404, problem.NotFound},
		{"unknown route POST", "POST", "/password-resetting/nope", form, "a=b", 404, problem.NotFound},
		{"PUT on confirm", "PUT", "/password-resetting/confirm", form, "login_id=taro01&email=taro@example.jp", 405, problem.MethodNotAllowed},
		{"DELETE on send", "DELETE", "/password-resetting/send", "", "", 405, problem.MethodNotAllowed},
		{"GET on send", "GET", "/password-resetting/send", "", "", 405, problem.MethodNotAllowed},
	}
	for _, tc := range cases {
		for _, lang := range []views.Lang{views.Ja, views.En} {
			t.Run(tc.name+"/"+string(lang), func(t *testing.T) {
				target := tc.path
				if lang == views.En {
					target += "?lang=en"
				}
				req := httptest.NewRequest(tc.method, target, strings.NewReader(tc.body))
				if tc.contentType != "" {
					req.Header.Set("Content-Type", tc.contentType)
				}
				req.Header.Set("Sec-Fetch-Site", "same-origin")
				res := send(t, a, req)
				text := views.T(lang)
				assertProblemPage(t, res, tc.status, string(lang), text.Problem(tc.problem))
				if got := strings.TrimSpace(res.Doc(t).Find("title").Text()); !strings.HasPrefix(got, text.ProblemTitle(tc.problem)) {
					t.Errorf("title = %q, want it to start with %q", got, text.ProblemTitle(tc.problem))
				}
				if tc.status == 405 && res.Header.Get("Allow") == "" {
					t.Error("405 without an Allow header")
				}
			})
		}
	}
	// An htmx request gets the same problem as a fragment for #flow.
	res := postRaw(t, a, "/password-resetting/confirm", "application/json", "{}", asHTMX)
	if res.Status != 415 {
		t.Errorf("htmx JSON: status = %d, want 415", res.Status)
	}
	assertFragment(t, res, views.T(views.Ja).ErrorTitle)
	assertNothingWritten(t, a)
}

// TestOversizedBody posts more than the 16 KiB limit through a real server
// (Fiber's app.Test cannot show the response) and expects a 413 page.
func TestOversizedBody(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	base := serve(t, a)
	body := "login_id=taro01&email=" + strings.Repeat("a", 17<<10)
	for _, lang := range []views.Lang{views.Ja, views.En} {
		target := base + "/password-resetting/confirm"
		if lang == views.En {
			target += "?lang=en"
		}
		req, _ := http.NewRequest(http.MethodPost, target, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		assertProblemPage(t, &response{Status: res.StatusCode, Header: res.Header, Body: b}, http.StatusRequestEntityTooLarge,
			string(lang), views.T(lang).Problem(problem.BodyTooLarge))
		if res.Header.Get("Content-Security-Policy") == "" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: 413 lacks the security headers: %v", lang, res.Header)
		}
	}
	// Just under the limit is an ordinary (invalid) form.
	under := "login_id=taro01&email=" + strings.Repeat("a", 16<<10-len("login_id=taro01&email="))
	req, _ := http.NewRequest(http.MethodPost, base+"/password-resetting/confirm", strings.NewReader(under))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("body of exactly 16 KiB: status = %d, want 422", res.StatusCode)
	}
	assertNothingWritten(t, a)
}

// TestLanguage checks how the page language is chosen and that the choice
// survives every step.
func TestLanguage(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	cases := []struct {
		name, query, acceptLanguage string
		want                        views.Lang
	}{
		{"default", "", "", views.Ja},
		{"?lang=en", "?lang=en", "", views.En},
		{"?lang=ja beats Accept-Language", "?lang=ja", "en-US,en", views.Ja},
		{"Accept-Language en-US", "", "en-US,en;q=0.9", views.En},
		{"Accept-Language fr", "", "fr-FR,fr;q=0.9", views.Ja},
		{"Accept-Language fr then en", "", "fr, en;q=0.5", views.En},
		{"Accept-Language ja", "", "ja-JP", views.Ja},
		{"unknown ?lang falls back to Accept-Language", "?lang=de", "en", views.En},
		{"garbage Accept-Language", "", ";;;", views.Ja},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := get(t, a, "/password-resetting/regist"+tc.query, withHeader("Accept-Language", tc.acceptLanguage))
			assertFullPage(t, res, string(tc.want), views.T(tc.want).RequestTitle)
		})
	}

	// The journey in English with ?lang=en only in the first URL.
	doc := get(t, a, "/password-resetting/regist?lang=en").Doc(t)
	action, _ := doc.Find("#flow form").Attr("action")
	hxPost, _ := doc.Find("#flow form").Attr("hx-post")
	if action != "/password-resetting/confirm?lang=en" || hxPost != action {
		t.Fatalf("step 1 form action %q, hx-post %q; want both with ?lang=en", action, hxPost)
	}
	res := postForm(t, a, action, url.Values{"login_id": {"taro01"}, "email": {"taro@example.jp"}})
	assertFullPage(t, res, "en", "Check your entries")
	doc = res.Doc(t)
	action, _ = doc.Find("#flow form").Attr("action")
	if action != "/password-resetting/send?lang=en" {
		t.Fatalf("step 2 form action = %q", action)
	}
	edit := doc.Find(`#flow button[formaction]`)
	if got, _ := edit.Attr("formaction"); got != "/password-resetting/regist?lang=en" {
		t.Errorf("修正する formaction = %q", got)
	}
	state, _ := doc.Find("input[name=state]").Attr("value")
	assertFullPage(t, postForm(t, a, action, url.Values{"state": {state}}), "en", "E-mail sent")
	assertFullPage(t, postForm(t, a, "/password-resetting/regist?lang=en", url.Values{"state": {state}}), "en", "Request a password reset")
}

// TestCrossSiteRequestsRefused checks the CSRF defence: POSTs that the
// browser marks as coming from another site are refused, without cookies.
func TestCrossSiteRequestsRefused(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	newAccount(t, a, "taro01", "taro@example.jp", "ja")
	state := confirmState(t, a, "taro01", "taro@example.jp")
	cases := []struct {
		name          string
		secFetchSite  string
		origin        string
		wantForbidden bool
	}{
		{"Sec-Fetch-Site cross-site", "cross-site", "", true},
		{"Sec-Fetch-Site same-site", "same-site", "https://help.example.test", true},
		{"Origin of another site, old browser", "", "https://evil.example", true},
		{"Sec-Fetch-Site same-origin", "same-origin", "", false},
		{"Sec-Fetch-Site none (typed or bookmarked)", "none", "", false},
		{"Origin is BASE_URL behind a proxy", "", "https://reset.example.test", false},
		{"no browser headers (curl)", "", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/password-resetting/send", strings.NewReader(url.Values{"state": {state}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tc.secFetchSite != "" {
				req.Header.Set("Sec-Fetch-Site", tc.secFetchSite)
			}
			if tc.origin != "" {
				req.Header.Set("Origin", tc.origin)
			}
			before := rowCounts(t, a.db)
			res := send(t, a, req)
			after := rowCounts(t, a.db)
			if tc.wantForbidden {
				assertProblemPage(t, res, http.StatusForbidden, "ja", "別のサイトからの送信は受け付けていません。このページのフォームから送信してください。")
				if !reflect.DeepEqual(before, after) {
					t.Errorf("a refused request wrote rows: %v → %v", before, after)
				}
			} else if res.Status != http.StatusOK {
				t.Errorf("status = %d, want 200\n%s", res.Status, describe(res.Body))
			}
		})
	}
	t.Run("GET from another site", func(t *testing.T) {
		res := get(t, a, "/password-resetting/regist", withHeader("Sec-Fetch-Site", "cross-site"), withHeader("Origin", "https://evil.example"))
		if res.Status != http.StatusOK {
			t.Errorf("status = %d, want 200: links from other sites (the help center) must work", res.Status)
		}
	})
}

// TestSecurityHeaders checks the CSP nonce, framing and the other headers.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	a := newTestAppEnv(t, "sqlite", map[string]string{"FRAME_ANCESTORS": "https://help.example.com, https://support.example.org"})
	state := confirmState(t, a, "taro01", "taro@example.jp")
	framed := "'self' https://help.example.com https://support.example.org"
	cases := []struct {
		name           string
		do             func(t *testing.T) *response
		frameAncestors string
	}{
		{"step 1", func(t *testing.T) *response { return get(t, a, "/password-resetting/regist") }, framed},
		{"step 2", func(t *testing.T) *response {
			return postForm(t, a, "/password-resetting/confirm", url.Values{"login_id": {"taro01"}, "email": {"taro@example.jp"}})
		}, framed},
		{"step 2 with errors", func(t *testing.T) *response {
			return postForm(t, a, "/password-resetting/confirm", url.Values{"login_id": {""}, "email": {""}})
		}, framed},
		{"修正する", func(t *testing.T) *response {
			return postForm(t, a, "/password-resetting/regist", url.Values{"state": {state}})
		}, framed},
		{"step 3", func(t *testing.T) *response {
			return postForm(t, a, "/password-resetting/send", url.Values{"state": {state}})
		}, framed},
		{"development mailbox", func(t *testing.T) *response { return get(t, a, "/_dev/mail", onLocalhost) }, "'none'"},
		{"404", func(t *testing.T) *response { return get(t, a, "/nope") }, "'none'"},
		{"405", func(t *testing.T) *response {
			return send(t, a, httptest.NewRequest(http.MethodPut, "/password-resetting/confirm", nil))
		}, "'none'"},
		{"cross-site 403", func(t *testing.T) *response {
			return postForm(t, a, "/password-resetting/confirm", url.Values{}, withHeader("Sec-Fetch-Site", "cross-site"))
		}, "'none'"},
	}
	seen := map[string]bool{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.do(t)
			csp := res.Header.Get("Content-Security-Policy")
			if csp == "" {
				t.Fatal("no Content-Security-Policy")
			}
			if got := cspDirective(csp, "frame-ancestors"); got != tc.frameAncestors {
				t.Errorf("frame-ancestors = %q, want %q", got, tc.frameAncestors)
			}
			for directive, want := range map[string]string{"default-src": "'none'", "base-uri": "'none'", "form-action": "'self'"} {
				if got := cspDirective(csp, directive); got != want {
					t.Errorf("%s = %q, want %q", directive, got, want)
				}
			}
			nonce := cspNonce(t, csp)
			if len(nonce) < 16 {
				t.Errorf("nonce %q is short", nonce)
			}
			if seen[nonce] {
				t.Errorf("nonce %q was used before", nonce)
			}
			seen[nonce] = true
			if got := cspDirective(csp, "script-src"); strings.Contains(got, "unsafe-inline") || strings.Contains(got, "http") {
				t.Errorf("script-src = %q allows inline or third-party scripts", got)
			}
			scripts := res.Doc(t).Find("script")
			if scripts.Length() == 0 {
				t.Error("page has no script tags; expected htmx")
			}
			scripts.Each(func(i int, s *goquery.Selection) {
				if got, _ := s.Attr("nonce"); got != nonce {
					t.Errorf("script %d nonce = %q, want the CSP's %q", i, got, nonce)
				}
			})
			for name, want := range map[string]string{
				"X-Content-Type-Options":    "nosniff",
				"Referrer-Policy":           "no-referrer",
				"Strict-Transport-Security": "max-age=63072000; includeSubDomains",
			} {
				if got := res.Header.Get(name); got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
		})
	}

	t.Run("no HSTS over plain HTTP", func(t *testing.T) {
		plain := newTestAppEnv(t, "sqlite", map[string]string{"BASE_URL": "http://localhost:8080"})
		res := get(t, plain, "/password-resetting/regist")
		if got := res.Header.Get("Strict-Transport-Security"); got != "" {
			t.Errorf("HSTS = %q over http", got)
		}
		if got := cspDirective(res.Header.Get("Content-Security-Policy"), "frame-ancestors"); got != "'self'" {
			t.Errorf("frame-ancestors without FRAME_ANCESTORS = %q, want 'self'", got)
		}
	})
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
