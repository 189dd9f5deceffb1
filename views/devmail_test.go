package views

import (
	"slices"
	"testing"
	"time"
)

func TestDevMail(t *testing.T) {
	m := DevMail{ID: 7, At: mailTime, From: "Shop <no-reply@example.com>", To: "taro@example.com", Subject: "【加盟店管理サイト】パスワード再設定のご案内", Text: "line 1\nhttps://reset.example.com/x"}

	doc := renderDoc(t, DevMailList(T(Ja), []DevMail{m}))
	wantText(t, doc, "h1", "開発用メールボックス")
	wantText(t, doc, "#dev-mail-list li a", m.Subject)
	wantAttr(t, doc, "#dev-mail-list li a", "href", "/_dev/mail/7")

	doc = renderDoc(t, DevMailList(T(En), nil))
	wantText(t, doc, "h1", "Development mailbox")
	wantNone(t, doc, "#dev-mail-list li")

	doc = renderDoc(t, DevMailShow(T(Ja), m))
	wantText(t, doc, "#dev-mail-subject", m.Subject)
	wantText(t, doc, "#dev-mail-to", m.To)
	if got := doc.Find("#dev-mail-text").Text(); got != m.Text {
		t.Errorf("#dev-mail-text = %q, want %q", got, m.Text)
	}
	wantAttr(t, doc, "iframe[sandbox]", "src", "/_dev/mail/7/html")
	if got, want := texts(doc, "dd"), []string{m.From, m.To, mailTime.Format(time.RFC3339)}; !slices.Equal(got, want) {
		t.Errorf("headers = %q, want %q", got, want)
	}
}
