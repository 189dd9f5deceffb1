package views

import (
	"strings"
	"testing"

	"aikagi/app/route"
	"aikagi/views/viewtest"
)

func TestDemoHelpCenter(t *testing.T) {
	for _, lang := range Langs {
		doc := viewtest.Render(t, DemoHelpCenter(T(lang), "https://reset.example.com"))
		viewtest.WantAttr(t, doc, "iframe[data-aikagi]", "src", "https://reset.example.com"+route.Request+"?lang="+string(lang))
		viewtest.WantAttr(t, doc, "iframe[data-aikagi]", "title", T(lang).RequestTitle)
		viewtest.WantAttr(t, doc, "script", "src", "https://reset.example.com/embed.js")
	}

	// The article quotes the Japanese screens word for word.
	ja := T(Ja)
	steps := viewtest.Text(t, viewtest.Render(t, DemoHelpCenter(ja, "")), "article ol")
	for _, quoted := range []string{ja.RequestTitle, ja.Confirm, ja.ConfirmTitle, ja.Send} {
		if !strings.Contains(steps, "「"+quoted+"」") {
			t.Errorf("the article does not quote 「%s」 as the screens say it", quoted)
		}
	}
}
