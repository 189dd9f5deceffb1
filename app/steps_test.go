package app

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

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
			wantEmailErr:   "Enter an email address in the correct format, like name@example.com.",
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
