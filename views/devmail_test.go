package views

import (
	"slices"
	"testing"
	"time"

	"aikagi/views/viewtest"
)

func TestDevMail(t *testing.T) {
	mailTime := time.Date(2026, 4, 1, 6, 30, 0, 0, time.UTC)
	m := DevMail{ID: 7, At: mailTime, From: "Shop <no-reply@example.com>", To: "taro@example.com", Subject: "【加盟店管理サイト】パスワード再設定のご案内", Text: "line 1\nhttps://reset.example.com/x"}

	doc := viewtest.Render(t, DevMailList(T(Ja), []DevMail{m}))
	viewtest.WantText(t, doc, "h1", "開発用メールボックス")
	viewtest.WantText(t, doc, "#dev-mail-list li a", m.Subject)
	viewtest.WantAttr(t, doc, "#dev-mail-list li a", "href", "/_dev/mail/7")

	doc = viewtest.Render(t, DevMailList(T(En), nil))
	viewtest.WantText(t, doc, "h1", "Development mailbox")
	viewtest.WantNone(t, doc, "#dev-mail-list li")

	doc = viewtest.Render(t, DevMailShow(T(Ja), m))
	viewtest.WantText(t, doc, "#dev-mail-subject", m.Subject)
	viewtest.WantText(t, doc, "#dev-mail-to", m.To)
	if got := doc.Find("#dev-mail-text").Text(); got != m.Text {
		t.Errorf("#dev-mail-text = %q, want %q", got, m.Text)
	}
	viewtest.WantAttr(t, doc, "iframe[sandbox]", "src", "/_dev/mail/7/html")
	if got, want := viewtest.Texts(doc, "dd"), []string{m.From, m.To, mailTime.Format(time.RFC3339)}; !slices.Equal(got, want) {
		t.Errorf("headers = %q, want %q", got, want)
	}
}
