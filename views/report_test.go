package views

import (
	"testing"

	"aikagi/app/route"
)

func TestReport(t *testing.T) {
	tests := []struct {
		lang          Lang
		title, button string
	}{
		{Ja, "パスワード再設定に心当たりがない場合", "再設定用URLを無効にする"},
		{En, "Did not ask for a password reset?", "Disable the reset link"},
	}
	for _, tc := range tests {
		t.Run(string(tc.lang), func(t *testing.T) {
			doc := renderDoc(t, ReportView(ReportForm{T: T(tc.lang), Key: "report-key"}))
			wantText(t, doc, "h1", tc.title)
			wantAttr(t, doc, "form", "action", route.Report+"?lang="+string(tc.lang))
			wantAttr(t, doc, "form", "method", "post")
			wantAttr(t, doc, "input[name=token]", "value", "report-key")
			wantText(t, doc, "#report-link", tc.button)
			wantAttr(t, doc, "#report-link", "type", "submit")
		})
	}
}

func TestReportDone(t *testing.T) {
	for _, lang := range Langs {
		t.Run(string(lang), func(t *testing.T) {
			text := T(lang)
			doc := renderDoc(t, ReportDoneView(text))
			wantText(t, doc, "[role=status] h1", map[Lang]string{Ja: "再設定用URLを無効にしました", En: "The reset link is disabled"}[lang])
			wantText(t, doc, "p:not(:has(a))", text.ReportDoneLead)
			wantText(t, doc, "a[target=_top]", text.ToLogin)
			wantAttr(t, doc, "a[target=_top]", "href", route.Login+"?lang="+string(lang))
		})
	}
}
