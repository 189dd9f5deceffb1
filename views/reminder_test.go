package views

import (
	"strings"
	"testing"

	"aikagi/app/route"
	"aikagi/views/viewtest"
)

func TestReminderSent(t *testing.T) {
	for _, lang := range Langs {
		t.Run(string(lang), func(t *testing.T) {
			text, w, q := T(lang), words[lang], "?lang="+string(lang)
			doc := viewtest.Render(t, ReminderSentView(text, "no-reply@example.com", Site{Name: "加盟店管理サイト"}))

			viewtest.WantText(t, doc, "[role=status] h1", w.sentTitle)
			viewtest.WantAttr(t, doc, "ol[aria-label]", "aria-label", w.stepOf3)
			body := viewtest.Text(t, doc, "body")
			for _, want := range []string{text.ReminderSentLead, text.SentFilter("no-reply@example.com"), text.ReminderNoMail} {
				if !strings.Contains(body, want) {
					t.Errorf("page does not say %q", want)
				}
			}
			// The reset's lead and expiry are about a link this journey
			// does not send.
			if strings.Contains(body, text.SentLead) {
				t.Error("the reminder's step 3 speaks of a reset link")
			}
			viewtest.WantAttr(t, doc, "#forgot-password", "href", route.Request+q)
		})
	}
}
