package views

import (
	"testing"

	"aikagi/app/problem"
	"aikagi/app/route"
)

func TestErrorPageSaysTheProblem(t *testing.T) {
	for _, lang := range Langs {
		text := T(lang)
		for _, p := range problem.All {
			if p == problem.PasswordTooShort {
				continue // a field error on the new-password page, never a page of its own
			}
			t.Run(string(lang)+" "+string(p), func(t *testing.T) {
				doc := renderDoc(t, ErrorPage(ErrorView{T: text, Problem: p}))
				wantAttr(t, doc, "#error-summary", "role", "alert")
				wantText(t, doc, "#error-summary h1", text.ProblemTitle(p))
				// The map, not Problem(p), which would fall back to the
				// server error and hide a missing message.
				wantText(t, doc, "#error-summary p", text.problems[p])
				wantAttr(t, doc, "a", "href", route.Request+"?lang="+string(lang))
				wantText(t, doc, "a", text.BackToStart)
			})
		}
	}
}

// TestErrorPageWords pins titles the help center and support quote.
func TestErrorPageWords(t *testing.T) {
	tests := []struct {
		lang  Lang
		p     problem.Problem
		title string
		text  string
	}{
		{Ja, problem.LinkExpired, "URLの有効期限切れ", "このURLは有効期限が切れています。お手数ですが、もう一度パスワード再設定依頼からお手続きください。"},
		{Ja, problem.NotFound, "ページが見つかりません", "お探しのページは見つかりませんでした。URLをご確認ください。"},
		{Ja, problem.ServerError, "エラーが発生しました", "一時的な問題が発生しました。しばらく待ってから、もう一度お試しください。"},
		{En, problem.LinkUsed, "Link already used", "This link has already been used and the password was changed. Log in with the new password, or request a new link if you need one."},
		{En, problem.BadForm, "Something went wrong", "We could not read what was sent. Please start again from the beginning."},
	}
	for _, tc := range tests {
		doc := renderDoc(t, ErrorPage(ErrorView{T: T(tc.lang), Problem: tc.p}))
		wantText(t, doc, "h1", tc.title)
		wantText(t, doc, "#error-summary p", tc.text)
	}
}
