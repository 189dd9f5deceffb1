package email

import (
	"strings"
	"testing"

	"aikagi/views/viewtest"
)

// TestURLTextWrapsWithoutChangingTheURL checks the soft breaks of the
// mails' URL lines: where they go, none in a URL that fits a line, and
// that the text is still the URL.
func TestURLTextWrapsWithoutChangingTheURL(t *testing.T) {
	tests := []struct{ url, want string }{
		{"https://reset.example.com/r?token=t&lang=ja",
			"https://<wbr>reset.<wbr>example.<wbr>com/<wbr>r?<wbr>token=<wbr>t&amp;<wbr>lang=<wbr>ja"},
		{"https://x.test/report?token=abcdefghijklmnopqrstuvwxyz0123",
			"https://<wbr>x.<wbr>test/<wbr>report?<wbr>token=<wbr>abcdefghijklmnop<wbr>qrstuvwxyz0123"},
		{`https://x.test/page?q="<b>"&lang=ja`, "https://<wbr>x.<wbr>test/<wbr>page?<wbr>q=<wbr>&#34;&lt;b&gt;&#34;&amp;<wbr>lang=<wbr>ja"},
		{"https://pay.example/contact", "https://pay.example/contact"},
		{"", ""},
	}
	for _, tc := range tests {
		if got := softBreakURL(tc.url); got != tc.want {
			t.Errorf("softBreakURL(%q) =\n%q, want\n%q", tc.url, got, tc.want)
		}
		if tc.url == "" {
			continue
		}
		doc := viewtest.Render(t, urlText(tc.url))
		if got := doc.Text(); got != tc.url {
			t.Errorf("text of urlText(%q) = %q", tc.url, got)
		}
		if strings.Count(softBreakURL(tc.url), "<wbr>") != doc.Find("wbr").Length() {
			t.Errorf("urlText(%q): the <wbr> do not parse as elements", tc.url)
		}
	}
}
