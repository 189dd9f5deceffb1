package deploy

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"aikagi/app"
	"aikagi/app/config"
	"aikagi/app/mail"
	"aikagi/app/service"
	"aikagi/db/dbtest"
)

// promtool finds Prometheus's promtool; CI must not pass by skipping.
func promtool(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool not installed (Debian package prometheus); make test installs it")
		}
		t.Skip("promtool not installed")
	}
	return path
}

// TestAlertRules checks alerts.yml with promtool and runs its unit tests
// (alerts_test.yml): each alert fires when it should, and not before.
func TestAlertRules(t *testing.T) {
	tool := promtool(t)
	for _, args := range [][]string{{"check", "rules", "alerts.yml"}, {"test", "rules", "alerts_test.yml"}} {
		out, err := exec.Command(tool, args...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// dashboard is the part of a Grafana dashboard the tests read.
type dashboard struct {
	Title  string `json:"title"`
	UID    string `json:"uid"`
	Inputs []struct {
		Name     string `json:"name"`
		PluginID string `json:"pluginId"`
	} `json:"__inputs"`
	Panels []struct {
		ID         int    `json:"id"`
		Type       string `json:"type"`
		Title      string `json:"title"`
		Datasource struct {
			UID string `json:"uid"`
		} `json:"datasource"`
		GridPos struct{ X, W int } `json:"gridPos"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
}

func readDashboard(t *testing.T) dashboard {
	t.Helper()
	raw, err := os.ReadFile("grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("grafana-dashboard.json: %v", err)
	}
	return d
}

// TestDashboardImports checks what Grafana's import needs: a datasource
// input every panel uses, unique panel ids, panels within the 24-column
// grid, and a query in every panel.
func TestDashboardImports(t *testing.T) {
	d := readDashboard(t)
	if d.Title == "" || d.UID == "" {
		t.Errorf("title %q, uid %q: both are needed", d.Title, d.UID)
	}
	if len(d.Inputs) != 1 || d.Inputs[0].Name != "DS_PROMETHEUS" || d.Inputs[0].PluginID != "prometheus" {
		t.Errorf("__inputs = %+v, want one Prometheus datasource named DS_PROMETHEUS", d.Inputs)
	}
	ids := map[int]bool{}
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d used twice", p.ID)
		}
		ids[p.ID] = true
		if p.GridPos.X < 0 || p.GridPos.W < 1 || p.GridPos.X+p.GridPos.W > 24 {
			t.Errorf("panel %q lies outside the grid: %+v", p.Title, p.GridPos)
		}
		if p.Type == "row" {
			continue
		}
		if p.Datasource.UID != "${DS_PROMETHEUS}" {
			t.Errorf("panel %q uses datasource %q, want ${DS_PROMETHEUS}", p.Title, p.Datasource.UID)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
	}
}

// metricName finds the metric names in a PromQL expression: the app's own
// and the Go and process collectors'.
var metricName = regexp.MustCompile(`\b(?:aikagi|go|process)_[a-z_]+\b`)

// TestMonitoringUsesExportedMetrics checks that every metric the dashboard
// and the alert rules name is one the app exports, so that a renamed
// series cannot leave a panel empty or an alert silent.
func TestMonitoringUsesExportedMetrics(t *testing.T) {
	exported := exportedMetrics(t)
	sources := map[string]string{} // where a name appears → the text naming it
	for _, p := range readDashboard(t).Panels {
		for _, target := range p.Targets {
			sources["dashboard panel "+p.Title] += target.Expr + "\n"
		}
	}
	rules, err := os.ReadFile("alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	sources["alerts.yml"] = string(rules)
	named := 0
	for where, text := range sources {
		for _, name := range metricName.FindAllString(text, -1) {
			named++
			family := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")
			if !slices.Contains(exported, name) && !slices.Contains(exported, family) {
				t.Errorf("%s (%s) is not exported by the app", name, where)
			}
		}
	}
	if named < 10 {
		t.Fatalf("found only %d metric names in the dashboard and the rules", named)
	}
}

// TestDashboardShowsAlertedMetrics: whoever an alert reaches finds the
// metrics it names, its runbook's included, graphed on the dashboard.
func TestDashboardShowsAlertedMetrics(t *testing.T) {
	var graphed strings.Builder
	for _, p := range readDashboard(t).Panels {
		for _, target := range p.Targets {
			graphed.WriteString(target.Expr + "\n")
		}
	}
	shown := metricName.FindAllString(graphed.String(), -1)
	for i, name := range shown {
		shown[i] = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")
	}
	rules, err := os.ReadFile("alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range metricName.FindAllString(string(rules), -1) {
		if !slices.Contains(shown, name) {
			t.Errorf("alerts.yml names %s, which no dashboard panel shows", name)
		}
	}
}

// exportedMetrics lists the metric families an app serves at /metrics
// after answering one request (the HTTP series exist from the first).
func exportedMetrics(t *testing.T) []string {
	t.Helper()
	env := map[string]string{
		"SECRET_KEY": "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
		"BASE_URL":   "https://reset.example.test",
		"DEMO_ADDR":  "off",
	}
	cfg, err := config.Load(func(name string) string { return env[name] }, nil)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a := app.New(service.New(cfg, dbtest.Open(t, "sqlite"), log, time.Now, mail.NewDevMailbox()))
	if _, err := a.Handler().Test(httptest.NewRequest("GET", "/healthz", nil), -1); err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.Host, req.RemoteAddr = "localhost", "127.0.0.1:40000"
	rec := httptest.NewRecorder()
	a.MetricsHandler().ServeHTTP(rec, req)
	res := rec.Result()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("/metrics: status %d", res.StatusCode)
	}
	var names []string
	for _, line := range strings.Split(string(body), "\n") {
		if name, ok := strings.CutPrefix(line, "# TYPE "); ok {
			names = append(names, strings.Fields(name)[0])
		}
	}
	return names
}

// Every alert links to its section of docs/runbook.md, which says what to
// check and do; the runbook has no section for an alert that is gone.
func TestAlertsHaveRunbooks(t *testing.T) {
	rules, err := os.ReadFile("alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	runbook, err := os.ReadFile("../docs/runbook.md")
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^## (\S+)$`).FindAllStringSubmatch(string(runbook), -1) {
		sections[m[1]] = true
	}
	alerts := regexp.MustCompile(`(?m)^\s+- alert: (\w+)$`).FindAllStringSubmatch(string(rules), -1)
	links := regexp.MustCompile(`(?m)^\s+runbook_url: "docs/runbook\.md#(\w+)"$`).FindAllStringSubmatch(string(rules), -1)
	if len(alerts) == 0 || len(links) != len(alerts) {
		t.Fatalf("%d alerts, %d runbook links: every alert wants one", len(alerts), len(links))
	}
	for i, a := range alerts {
		anchor := strings.ToLower(a[1])
		if links[i][1] != anchor {
			t.Errorf("%s links to #%s, want #%s", a[1], links[i][1], anchor)
		}
		if !sections[anchor] {
			t.Errorf("%s: docs/runbook.md has no section %q", a[1], anchor)
		}
		delete(sections, anchor)
	}
	for s := range sections {
		t.Errorf("docs/runbook.md has a section %q for no alert", s)
	}
}
