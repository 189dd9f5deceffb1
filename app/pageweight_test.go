package app

import (
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// Merchants open step 1 on phones over mobile networks: the first visit
// (page, CSS, scripts, compressed) stays within 30 KB and a repeat visit,
// with the assets cached, within 5 KB.
func TestPageWeightBudget(t *testing.T) {
	const firstBudget, repeatBudget = 30 << 10, 5 << 10
	a := newTestApp(t, "sqlite")
	for _, encoding := range []string{"br", "gzip"} {
		page := get(t, a, "/password-resetting/regist", withHeader("Accept-Encoding", encoding))
		if got := page.Header.Get("Content-Encoding"); got != encoding {
			t.Fatalf("step 1 with Accept-Encoding %s: Content-Encoding %q", encoding, got)
		}
		total := len(page.Body)
		html := get(t, a, "/password-resetting/regist") // uncompressed, to read the links
		doc, err := goquery.NewDocumentFromReader(strings.NewReader(string(html.Body)))
		if err != nil {
			t.Fatal(err)
		}
		var assets []string
		doc.Find(`link[rel=stylesheet], link[rel=icon], script[src]`).Each(func(_ int, s *goquery.Selection) {
			if href, ok := s.Attr("href"); ok {
				assets = append(assets, href)
			}
			if src, ok := s.Attr("src"); ok {
				assets = append(assets, src)
			}
		})
		if len(assets) != 4 {
			t.Fatalf("step 1 loads %v, want the CSS, the icon, htmx and app.js", assets)
		}
		for _, path := range assets {
			res := get(t, a, path, withHeader("Accept-Encoding", encoding))
			if res.Status != http.StatusOK || res.Header.Get("Content-Encoding") != encoding {
				t.Fatalf("%s: status %d, encoding %q", path, res.Status, res.Header.Get("Content-Encoding"))
			}
			if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") || !strings.Contains(cc, "max-age=31536000") {
				t.Errorf("%s: Cache-Control %q; a repeat visit would fetch it again", path, cc)
			}
			total += len(res.Body)
		}
		t.Logf("%s: first visit %d bytes, repeat visit %d bytes", encoding, total, len(page.Body))
		if total > firstBudget {
			t.Errorf("%s: first visit is %d bytes, over the %d budget", encoding, total, firstBudget)
		}
		if len(page.Body) > repeatBudget {
			t.Errorf("%s: repeat visit is %d bytes, over the %d budget", encoding, len(page.Body), repeatBudget)
		}
	}
}

// A client that accepts no compression still gets every byte.
func TestAssetsWithoutCompression(t *testing.T) {
	a := newTestApp(t, "sqlite")
	doc := get(t, a, "/password-resetting/regist").Doc(t)
	href, _ := doc.Find(`link[rel=stylesheet]`).Attr("href")
	res := get(t, a, href, withHeader("Accept-Encoding", "identity"))
	if res.Header.Get("Content-Encoding") != "" || !strings.Contains(string(res.Body), "--tw-") {
		t.Errorf("identity request got encoding %q", res.Header.Get("Content-Encoding"))
	}
	if got := res.Header.Get("Vary"); !strings.Contains(got, "Accept-Encoding") {
		t.Errorf("Vary %q lacks Accept-Encoding", got)
	}
}
