package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/chromedp/chromedp"
)

// axeSource is axe-core's script from node_modules (an npm devDependency,
// installed by make test).
var axeSource = sync.OnceValues(func() (string, error) {
	b, err := os.ReadFile(filepath.Join("..", "node_modules", "axe-core", "axe.min.js"))
	return string(b), err
})

// axeViolation is one rule axe-core found broken, with where.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// axe runs axe-core's WCAG 2.2 A/AA rules and best practices on the page
// (a frame's own document only) and fails the test on serious or critical
// violations; lesser ones are logged.
func axe(p *page, screen string) {
	p.t.Helper()
	for _, v := range axeRun(p, screen) {
		msg := screen + ": axe " + v.Impact + " " + v.ID + ": " + v.Help + "\n\t" + strings.Join(v.Nodes, "\n\t")
		if v.Impact == "serious" || v.Impact == "critical" {
			p.t.Error(msg)
		} else {
			p.t.Log(msg)
		}
	}
}

// axeStrict is axe failing the test on every violation, whatever its
// impact.
func axeStrict(p *page, screen string) {
	p.t.Helper()
	for _, v := range axeRun(p, screen) {
		p.t.Error(screen + ": axe " + v.Impact + " " + v.ID + ": " + v.Help + "\n\t" + strings.Join(v.Nodes, "\n\t"))
	}
}

// axeRun injects axe-core into the page, once, and returns its violations.
func axeRun(p *page, screen string) []axeViolation {
	p.t.Helper()
	src, err := axeSource()
	if err != nil {
		if os.Getenv("CI") == "true" {
			p.t.Fatalf("axe-core is missing (npm ci installs it): %v", err)
		}
		p.t.Skipf("skipping: axe-core is missing, run npm ci: %v", err)
	}
	if !eval[bool](p, `typeof window.axe === "object"`) {
		if err := chromedp.Do(p.ctx, chromedp.Evaluate[chromedp.Void](src)); err != nil {
			p.t.Fatalf("%s: injecting axe-core: %v", screen, err)
		}
	}
	return eval[[]axeViolation](p, `axe.run(document, {
			iframes: false,
			resultTypes: ["violations"],
			runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]}
		}).then(r => r.violations.map(v => ({
			id: v.id, impact: v.impact || "", help: v.help,
			nodes: v.nodes.map(n => n.target.join(" ") + " — " + (n.failureSummary || "").replace(/\s+/g, " "))
		})))`)
}
