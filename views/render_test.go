package views

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
)

// renderDoc renders c as the browser would receive it and parses it.
func renderDoc(t *testing.T, c templ.Component) *goquery.Document {
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

// textOf is the text of the elements sel finds, with runs of white space
// made one space; it fails when sel finds nothing.
func textOf(t *testing.T, doc *goquery.Document, sel string) string {
	t.Helper()
	s := doc.Find(sel)
	if s.Length() == 0 {
		t.Fatalf("no %s in the page", sel)
	}
	return strings.Join(strings.Fields(s.Text()), " ")
}

// attrOf is the attribute name of the one element sel finds.
func attrOf(t *testing.T, doc *goquery.Document, sel, name string) string {
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

// wantText fails unless the text of sel is want.
func wantText(t *testing.T, doc *goquery.Document, sel, want string) {
	t.Helper()
	if got := textOf(t, doc, sel); got != want {
		t.Errorf("%s = %q, want %q", sel, got, want)
	}
}

// wantAttr fails unless attribute name of sel is want.
func wantAttr(t *testing.T, doc *goquery.Document, sel, name, want string) {
	t.Helper()
	if got := attrOf(t, doc, sel, name); got != want {
		t.Errorf("%s[%s] = %q, want %q", sel, name, got, want)
	}
}

// wantNone fails if sel finds anything.
func wantNone(t *testing.T, doc *goquery.Document, sel string) {
	t.Helper()
	if n := doc.Find(sel).Length(); n != 0 {
		t.Errorf("%d elements match %s, want none", n, sel)
	}
}

// texts lists the text of each element sel finds, in order.
func texts(doc *goquery.Document, sel string) []string {
	var out []string
	doc.Find(sel).Each(func(_ int, b *goquery.Selection) {
		out = append(out, strings.Join(strings.Fields(b.Text()), " "))
	})
	return out
}

// tableRows lists the data rows of a mail's innermost tables (not the
// layout's), each as its cells' text joined by "|".
func tableRows(doc *goquery.Document) []string {
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
