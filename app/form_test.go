package app

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"aikagi/app/problem"
	"aikagi/views"
)

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
