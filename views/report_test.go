package views

import (
	"testing"

	"aikagi/app/route"
	"aikagi/views/viewtest"
)

func TestReport(t *testing.T) {
	tests := []struct {
		lang          Lang
		title, button string
	}{
		{Ja, "パスワード再設定に心当たりがない場合", "再設定用URLを無効にする"},
		{En, "Didn’t request a password reset?", "Disable the reset link"},
	}
	for _, tc := range tests {
		t.Run(string(tc.lang), func(t *testing.T) {
			doc := viewtest.Render(t, ReportView(ReportForm{T: T(tc.lang), Key: "report-key"}))
			viewtest.WantText(t, doc, "h1", tc.title)
			viewtest.WantAttr(t, doc, "form", "action", route.Report+"?lang="+string(tc.lang))
			viewtest.WantAttr(t, doc, "form", "method", "post")
			viewtest.WantAttr(t, doc, "input[name=token]", "value", "report-key")
			viewtest.WantText(t, doc, "#report-link", tc.button)
			viewtest.WantAttr(t, doc, "#report-link", "type", "submit")
		})
	}
}

func TestReportDone(t *testing.T) {
	for _, lang := range Langs {
		t.Run(string(lang), func(t *testing.T) {
			text := T(lang)
			doc := viewtest.Render(t, ReportDoneView(text))
			viewtest.WantText(t, doc, "[role=status] h1", map[Lang]string{Ja: "再設定用URLを無効にしました", En: "The reset link is disabled"}[lang])
			viewtest.WantText(t, doc, "p:not(:has(a))", text.ReportDoneLead)
			viewtest.WantText(t, doc, "a[target=_top]", text.ToLogin)
			viewtest.WantAttr(t, doc, "a[target=_top]", "href", route.Login+"?lang="+string(lang))
		})
	}
}
