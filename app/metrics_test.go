package app

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// scrape asks a's metrics listener for path as Prometheus on this machine
// would (from loopback, Host host), with headers, and returns the status
// and the body.
func scrape(t *testing.T, a *App, path, host string, headers ...string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.RemoteAddr, req.Host = "127.0.0.1:40000", host
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	a.MetricsHandler().ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

// metricsBody is a scrape of a's metrics by Prometheus on this machine.
func metricsBody(t *testing.T, a *App) string {
	t.Helper()
	status, body := scrape(t, a, "/metrics", "localhost:9464")
	if status != http.StatusOK {
		t.Fatalf("/metrics: status %d", status)
	}
	return body
}

func TestMetrics(t *testing.T) {
	// A request relayed by a proxy on this machine is not local; app.Test's
	// own requests are.
	closed := newTestApp(t, "sqlite")
	if res := get(t, closed, "/_dev/mail", onLocalhost, withHeader("X-Forwarded-For", "203.0.113.9")); res.Status != http.StatusNotFound {
		t.Errorf("/_dev/mail through a proxy: status %d, want 404", res.Status)
	}
	if status, _ := scrape(t, closed, "/metrics", "localhost", "X-Forwarded-For", "203.0.113.9"); status != http.StatusNotFound {
		t.Errorf("/metrics through a proxy: status %d, want 404", status)
	}
	// The public listener serves no metrics at all.
	if res := get(t, closed, "/metrics", onLocalhost); res.Status != http.StatusNotFound {
		t.Errorf("/metrics on the public listener: status %d, want 404", res.Status)
	}

	a := newTestAppEnv(t, "sqlite", map[string]string{"LIMIT_SENDS_PER_IP": "1/1h"})
	newAccount(t, a, "metrics01", "metrics@example.jp", "ja")
	get(t, a, "/password-resetting/regist")
	requestResetFlow(t, a, "metrics01", "metrics@example.jp")
	postForm(t, a, "/password-resetting/send", map[string][]string{"state": {confirmState(t, a, "x", "x@example.jp")}}) // over the limit
	body := metricsBody(t, a)
	for _, want := range []string{
		`aikagi_http_requests_total{method="POST",route="/password-resetting/send",status="200"} 1`,
		`aikagi_http_requests_total{method="POST",route="/password-resetting/send",status="429"} 1`,
		`aikagi_http_request_duration_seconds_bucket{method="GET",route="/password-resetting/regist"`,
		`aikagi_outbox_mails{scope="database",status="pending"} 1`,
		`aikagi_outbox_oldest_waiting_seconds{scope="database"} 0`,
		`aikagi_rate_limited_total{limit="sends per IP"} 1`,
		`aikagi_password_hash_wait_seconds_count`,
		`aikagi_build_info{goversion="go1.`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// Every series is there from the start, at zero, and the gauges read from
// the shared database say so, so that no dashboard sums them.
func TestMetricsPresentFromStart(t *testing.T) {
	t.Parallel()
	body := metricsBody(t, newTestApp(t, "sqlite"))
	for _, want := range []string{
		`aikagi_database_up 1`,
		`aikagi_mail_deliveries_total{kind="reset_link",result="dead"} 0`,
		`aikagi_mail_deliveries_total{kind="login_id_reminder",result="sent"} 0`,
		`aikagi_rate_limited_total{limit="logins per IP"} 0`,
		`aikagi_mail_deliveries_total{kind="reset_link",result="expired"} 0`,
		`aikagi_mail_provider_throttled_total 0`,
		`aikagi_mail_batch_size_count 0`,
		`aikagi_outbox_mails{scope="database",status="expired"} 0`,
		`aikagi_intake_requests_total{journey="reminder",outcome="limited"} 0`,
		`aikagi_outbox_mails{scope="database",status="dead"} 0`,
		`aikagi_intake_backlog{scope="database"} 0`,
		`aikagi_mail_reports_total{event="bounced",kind="reset_link"} 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("a fresh /metrics lacks %s", want)
		}
	}
}

// TestLocalOnlyChecksHost is the defence against DNS rebinding: a page on
// another name that resolves to this machine makes requests that come from
// loopback, but carry that name as Host. The development mailbox and
// /metrics answer only to this machine's own names and BASE_URL's host.
func TestLocalOnlyChecksHost(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite") // BASE_URL https://reset.example.test
	for _, host := range []string{"evil.example", "evil.example:8080", "localhost.evil.example", "127.0.0.1.nip.io", "reset.example.test.evil.example", "0.0.0.0:8080"} {
		if res := get(t, a, "/_dev/mail", withHost(host)); res.Status != http.StatusNotFound {
			t.Errorf("/_dev/mail with Host %s: status %d, want 404", host, res.Status)
		}
		if status, _ := scrape(t, a, "/metrics", host); status != http.StatusNotFound {
			t.Errorf("/metrics with Host %s: status %d, want 404", host, status)
		}
	}
	for _, host := range []string{"localhost:8080", "localhost", "LocalHost.", "127.0.0.1", "127.0.0.1:8080", "[::1]:8080", "reset.example.test", "Reset.Example.Test:443"} {
		if res := get(t, a, "/_dev/mail", withHost(host)); res.Status != http.StatusOK {
			t.Errorf("/_dev/mail with Host %s: status %d, want 200", host, res.Status)
		}
		if status, _ := scrape(t, a, "/metrics", host); status != http.StatusOK {
			t.Errorf("/metrics with Host %s: status %d, want 200", host, status)
		}
	}
}

// With the database down, /metrics still answers — the instance is up,
// and says the database is not — and so do /readyz and step 1, which need
// no database: an outage does not pull every instance from the balancer.
func TestDatabaseOutageIsSeenForWhatItIs(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	if body := metricsBody(t, a); !strings.Contains(body, "aikagi_database_up 1") {
		t.Fatalf("before the outage: no aikagi_database_up 1")
	}
	get(t, a, "/password-resetting/regist") // step 1 is rendered and kept before the outage
	if err := a.db.Close(); err != nil {
		t.Fatal(err)
	}
	body := metricsBody(t, a)
	if !strings.Contains(body, "aikagi_database_up 0") || strings.Contains(body, "aikagi_outbox_mails") {
		t.Errorf("/metrics during the outage: want aikagi_database_up 0 and no database gauges:\n%s", body)
	}
	if !strings.Contains(body, "aikagi_http_requests_total") {
		t.Error("/metrics during the outage lost this instance's counters")
	}
	for _, path := range []string{"/readyz", "/password-resetting/regist"} {
		if res := sendOnly(t, a, httptest.NewRequest(http.MethodGet, path, nil)); res.Status != http.StatusOK {
			t.Errorf("%s during the outage: %d, want 200", path, res.Status)
		}
	}
}

// metricValue reads one series from a's /metrics, or fails the test when
// it is missing.
func metricValue(t *testing.T, a *App, series string) float64 {
	t.Helper()
	body := metricsBody(t, a)
	for line := range strings.SplitSeq(body, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", series, err)
			}
			return f
		}
	}
	t.Fatalf("/metrics lacks %s", series)
	return 0
}
