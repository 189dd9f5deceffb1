package views

import (
	"bytes"
	"context"
	"testing"

	"aikagi/views/viewtest"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
)

func TestLayout(t *testing.T) {
	for _, lang := range Langs {
		t.Run(string(lang), func(t *testing.T) {
			text := T(lang)
			page := Page{T: text, Title: text.RequestTitle, Site: Site{Name: "加盟店管理サイト"}, FrameOrigins: "https://help.example.com"}
			ctx := templ.WithChildren(templ.WithNonce(context.Background(), "nonce-1"), ReportDoneView(text))
			var buf bytes.Buffer
			if err := Layout(page).Render(ctx, &buf); err != nil {
				t.Fatal(err)
			}
			doc, err := goquery.NewDocumentFromReader(&buf)
			if err != nil {
				t.Fatal(err)
			}

			viewtest.WantAttr(t, doc, "html", "lang", string(lang))
			viewtest.WantText(t, doc, "title", text.RequestTitle+" | 加盟店管理サイト")
			viewtest.WantAttr(t, doc, "meta[name=description]", "content", text.MetaDescription)
			viewtest.WantAttr(t, doc, "a.skip-link", "href", "#main")
			viewtest.WantText(t, doc, "a.skip-link", text.SkipToContent)
			viewtest.WantAttr(t, doc, "body", "data-frame-origins", "https://help.example.com")
			viewtest.WantAttr(t, doc, "main#main #flow", "hx-target", "this")
			viewtest.WantText(t, doc, "#flow [role=status] h1", text.ReportDoneTitle)
			for _, s := range doc.Find("script").EachIter() {
				if s.AttrOr("nonce", "") != "nonce-1" {
					t.Errorf("script %s has no nonce", s.AttrOr("src", ""))
				}
			}
		})
	}
}

func TestFragmentTitle(t *testing.T) {
	doc := viewtest.Render(t, FragmentTitle(Page{T: T(Ja), Title: "入力内容の確認", Site: Site{Name: "加盟店管理サイト"}}))
	viewtest.WantText(t, doc, "title", "入力内容の確認 | 加盟店管理サイト")
}
