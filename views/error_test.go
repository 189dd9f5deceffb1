package views

import (
	"testing"

	"aikagi/app/problem"
	"aikagi/app/route"
	"aikagi/views/viewtest"
)

func TestErrorPageSaysTheProblem(t *testing.T) {
	for _, lang := range Langs {
		text := T(lang)
		for _, p := range problem.All {
			if p == problem.PasswordTooShort {
				continue // a field error on the new-password page, never a page of its own
			}
			t.Run(string(lang)+" "+string(p), func(t *testing.T) {
				doc := viewtest.Render(t, ErrorPage(ErrorView{T: text, Problem: p}))
				viewtest.WantAttr(t, doc, "#error-summary", "role", "alert")
				viewtest.WantText(t, doc, "#error-summary h1", text.ProblemTitle(p))
				// The map, not Problem(p), which would fall back to the
				// server error and hide a missing message.
				viewtest.WantText(t, doc, "#error-summary p", text.problems[p])
				viewtest.WantAttr(t, doc, "a", "href", route.Request+"?lang="+string(lang))
				viewtest.WantText(t, doc, "a", text.BackToStart)
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
		{Ja, problem.LinkExpired, "URLの有効期限切れ", "このURLは有効期限が切れています。下のボタンを押すと、同じアカウントの新しいURLをメールでお送りします。"},
		{Ja, problem.NotFound, "ページが見つかりません", "お探しのページは見つかりませんでした。URLをご確認ください。"},
		{Ja, problem.ServerError, "エラーが発生しました", "一時的な問題が発生しました。しばらく待ってから、もう一度お試しください。"},
		{En, problem.LinkUsed, "Link already used", "This link has already been used, and the password was changed. Log in with your new password."},
		{En, problem.BadForm, "Something went wrong", "We couldn’t read what was sent. Please start again."},
	}
	for _, tc := range tests {
		doc := viewtest.Render(t, ErrorPage(ErrorView{T: T(tc.lang), Problem: tc.p}))
		viewtest.WantText(t, doc, "h1", tc.title)
		viewtest.WantText(t, doc, "#error-summary p", tc.text)
	}
}
