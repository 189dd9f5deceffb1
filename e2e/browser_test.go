package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"aikagi/views"
)

const (
	// outputDir holds a screenshot of every screen and the app's log; it
	// is not committed.
	outputDir = "../test-output"
	// docsDir holds the few screenshots the README shows.
	docsDir = "../docs/screenshots"
	// waitTimeout bounds every wait for the page: generous, since it only
	// decides when a page that never gets there fails the test.
	waitTimeout = 30 * time.Second
	// tabTimeout bounds the life of a tab.
	tabTimeout = 10 * time.Minute
)

var errNoChromium = errors.New("no chromium, chromium-browser or google-chrome on PATH")

// chromiumPath finds the browser: CHROMIUM, else Debian's chromium.
func chromiumPath() (string, error) {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return exec.LookPath(p)
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errNoChromium
}

// browser is one headless Chromium shared by the tests; each test opens
// its tabs in a browser context of its own, with its own cookies.
type browser struct {
	ctx       context.Context // the first tab's; it owns the process
	cancel    context.CancelFunc
	userAgent string
	dir       string
}

// thirdPartyCookiesBlocked is the profile setting of "Block third-party
// cookies" (CookieControlsMode kBlockThirdParty, and the older boolean),
// as Safari and Firefox behave by default. TestHelpCenterFrame checks that
// it holds: a cross-site frame cannot set or read an unpartitioned cookie.
const thirdPartyCookiesBlocked = `{"profile":{"cookie_controls_mode":1,"block_third_party_cookies":true}}`

func startBrowser(path string) (*browser, error) {
	dir, err := os.MkdirTemp("", "aikagi-e2e-chromium-*")
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "Default"), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "Default", "Preferences"), []byte(thirdPartyCookiesBlocked), 0o644); err != nil {
		return nil, err
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(dir),
		chromedp.NoSandbox, // root in CI and containers
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		// Input outside the real window is dropped, whatever viewport a tab
		// emulates: make the window larger than every device below.
		chromedp.WindowSize(1280, 1024),
		// Device emulation does not reach a cross-site frame's renderer:
		// render everything at the phone's pixel ratio, so that the help
		// center's frame is as sharp as the page around it in screenshots.
		chromedp.Flag("force-device-scale-factor", "2"),
		chromedp.Flag("lang", "ja"),
		chromedp.Flag("accept-lang", "ja"),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	b := &browser{ctx: ctx, dir: dir, cancel: func() { cancelTab(); cancelAlloc() }}
	if err := chromedp.Do(ctx); err != nil {
		b.close()
		return nil, fmt.Errorf("chromium %s: %w", path, err)
	}
	v, err := chromedp.CallBrowser(ctx, cdpbrowser.GetVersion, cdp.Empty{})
	if err != nil {
		b.close()
		return nil, err
	}
	b.userAgent = v.UserAgent
	return b, nil
}

func (b *browser) close() {
	b.cancel()
	os.RemoveAll(b.dir)
}

// device is the window a tab emulates.
type device struct {
	name          string
	width, height int64
	scale         float64
	touch         bool // a phone: mobile viewport, touch input
}

var (
	phone   = device{name: "phone", width: 390, height: 844, scale: 2, touch: true}
	desktop = device{name: "desktop", width: 1280, height: 800, scale: 1}
	// zoom200 is a 640-px-wide window at 200 % zoom: the 320 CSS px that
	// WCAG's reflow criterion asks for.
	zoom200 = device{name: "zoom200", width: 320, height: 512, scale: 2}
)

// page is a document the test talks to: a tab, or the app's cross-site
// iframe inside one.
type page struct {
	t    *testing.T
	ctx  context.Context
	what string // "tab" or "frame", for messages
}

// tab is a browser tab of its own browser context (cookies included), with
// a device and a language.
type tab struct {
	page
	site *site
	dev  device
	T    *views.Text
}

// acceptLanguage is the browser language list of each UI language's
// merchant; Chrome adds the q-values to the Accept-Language header.
var acceptLanguage = map[views.Lang]string{views.Ja: "ja,en-US,en", views.En: "en-US,en"}

// openTab opens a tab for the calling test and closes it when the test
// ends, keeping a screenshot when the test failed.
func openTab(t *testing.T, dev device, lang views.Lang) *tab {
	t.Helper()
	s, br := shared(t)
	ctx, cancel := chromedp.NewContext(br.ctx, chromedp.WithNewBrowserContext())
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		t.Fatalf("open tab: %v", err)
	}
	// The bound on a whole tab only ends a hung test; a tour of every screen
	// with axe on a busy machine takes minutes.
	ctx, cancelTimeout := context.WithTimeout(ctx, tabTimeout)
	b := &tab{page: page{t: t, ctx: ctx, what: "tab"}, site: s, dev: dev, T: views.T(lang)}
	t.Cleanup(func() {
		if t.Failed() {
			b.saveScreenshot(filepath.Join(outputDir, "failed", safeName(t.Name())+".png"))
		}
		cancelTimeout()
		cancel()
	})
	opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(dev.scale)}
	if dev.touch {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	b.do(chromedp.EmulateViewport(dev.width, dev.height, opts...))
	call(&b.page, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{
		UserAgent: br.userAgent, AcceptLanguage: acceptLanguage[lang],
	})
	return b
}

func safeName(s string) string {
	return strings.NewReplacer("/", "-", " ", "_").Replace(s)
}
