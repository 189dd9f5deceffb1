package app

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

func TestEmbedScript(t *testing.T) {
	a := newTestApp(t, "sqlite")
	res := get(t, a, "/embed.js")
	if res.Status != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/javascript") {
		t.Fatalf("GET /embed.js: %d %s", res.Status, res.Header.Get("Content-Type"))
	}
	body := string(res.Body)
	if !strings.Contains(body, `var APP_ORIGIN = "https://reset.example.test";`) {
		t.Error("the script does not check messages against the app's origin")
	}
	if strings.Contains(body, "__AIKAGI_ORIGIN__") {
		t.Error("placeholder left in the script")
	}
	if got := res.Header.Get("Cross-Origin-Resource-Policy"); got != "cross-origin" {
		t.Errorf("CORP %q: the help center could not load the script", got)
	}
}

// A framed step knows where to report its height, and never with "*".
func TestFramedPageReportsToAllowedOrigins(t *testing.T) {
	a := newTestAppEnv(t, "sqlite", map[string]string{"FRAME_ANCESTORS": "https://help.example.com https://faq.example.com"})
	doc := get(t, a, "/password-resetting/regist").Doc(t)
	if got, _ := doc.Find("body").Attr("data-frame-origins"); got != "https://help.example.com https://faq.example.com" {
		t.Errorf("data-frame-origins = %q", got)
	}
	res := get(t, a, "/assets/"+strings.TrimPrefix(assetPath(t, doc, "app"), "/assets/"))
	if !strings.Contains(string(res.Body), "postMessage") || strings.Contains(string(res.Body), `"*"`) {
		t.Error("the page script should post its height to named origins only")
	}
}

func assetPath(t *testing.T, doc *goquery.Document, prefix string) string {
	t.Helper()
	var path string
	doc.Find("script[src]").Each(func(_ int, s *goquery.Selection) {
		if src, _ := s.Attr("src"); strings.HasPrefix(src, "/assets/"+prefix+".") {
			path = src
		}
	})
	if path == "" {
		t.Fatalf("no /assets/%s.*.js script", prefix)
	}
	return path
}

func TestDemoHelpCenter(t *testing.T) {
	a := newTestApp(t, "sqlite")
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	res, err := DemoHelpCenter(a.cfg).Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	frame := doc.Find("iframe[data-aikagi]")
	if src, _ := frame.Attr("src"); src != "https://reset.example.test/password-resetting/regist?lang=ja" {
		t.Errorf("iframe src = %q", src)
	}
	if title, _ := frame.Attr("title"); title == "" {
		t.Error("the iframe has no title")
	}
	if src, _ := doc.Find("script[src]").Attr("src"); src != "https://reset.example.test/embed.js" {
		t.Errorf("embed script src = %q", src)
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-src https://reset.example.test") {
		t.Errorf("the demo page's own CSP %q should allow only the app in frames", csp)
	}
}
