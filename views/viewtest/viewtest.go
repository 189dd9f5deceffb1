// Package viewtest renders templ components in tests and reads the result
// as a browser would: by element ids, texts and attributes.
package viewtest

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
)

// Render renders c as the browser would receive it and parses it.
func Render(t testing.TB, c templ.Component) *goquery.Document {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatalf("render: %v", err)
	}
	doc, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return doc
}

// Text is the text of the elements sel finds, with runs of white space
// made one space; it fails when sel finds nothing.
func Text(t testing.TB, doc *goquery.Document, sel string) string {
	t.Helper()
	s := doc.Find(sel)
	if s.Length() == 0 {
		t.Fatalf("no %s in the page", sel)
	}
	return strings.Join(strings.Fields(s.Text()), " ")
}

// Attr is the attribute name of the one element sel finds.
func Attr(t testing.TB, doc *goquery.Document, sel, name string) string {
	t.Helper()
	s := doc.Find(sel)
	if s.Length() != 1 {
		t.Fatalf("%d elements match %s, want 1", s.Length(), sel)
	}
	v, ok := s.Attr(name)
	if !ok {
		t.Fatalf("%s has no %s attribute", sel, name)
	}
	return v
}

// WantText fails unless the text of sel is want.
func WantText(t testing.TB, doc *goquery.Document, sel, want string) {
	t.Helper()
	if got := Text(t, doc, sel); got != want {
		t.Errorf("%s = %q, want %q", sel, got, want)
	}
}

// WantAttr fails unless attribute name of sel is want.
func WantAttr(t testing.TB, doc *goquery.Document, sel, name, want string) {
	t.Helper()
	if got := Attr(t, doc, sel, name); got != want {
		t.Errorf("%s[%s] = %q, want %q", sel, name, got, want)
	}
}

// WantNone fails if sel finds anything.
func WantNone(t testing.TB, doc *goquery.Document, sel string) {
	t.Helper()
	if n := doc.Find(sel).Length(); n != 0 {
		t.Errorf("%d elements match %s, want none", n, sel)
	}
}

// Texts lists the text of each element sel finds, in order.
func Texts(doc *goquery.Document, sel string) []string {
	var out []string
	doc.Find(sel).Each(func(_ int, b *goquery.Selection) {
		out = append(out, strings.Join(strings.Fields(b.Text()), " "))
	})
	return out
}

// TableRows lists the data rows of a mail's innermost tables (not the
// layout's), each as its cells' text joined by "|".
func TableRows(doc *goquery.Document) []string {
	var rows []string
	doc.Find("tr").Each(func(_ int, tr *goquery.Selection) {
		if tr.Find("table").Length() > 0 || tr.Children().Filter("td").Length() == 0 {
			return
		}
		var cells []string
		tr.Children().Each(func(_ int, td *goquery.Selection) {
			cells = append(cells, strings.Join(strings.Fields(td.Text()), " "))
		})
		rows = append(rows, strings.Join(cells, "|"))
	})
	return rows
}
