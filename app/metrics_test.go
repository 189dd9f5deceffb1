package app

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
)

func TestMetrics(t *testing.T) {
	// A request relayed by a proxy on this machine is not local; app.Test's
	// own requests are.
	closed := newTestApp(t, "sqlite")
	for _, path := range []string{"/metrics", "/_dev/mail"} {
		if res := get(t, closed, path, onLocalhost, withHeader("X-Forwarded-For", "203.0.113.9")); res.Status != http.StatusNotFound {
			t.Errorf("%s through a proxy: status %d, want 404", path, res.Status)
		}
	}

	a := newTestAppEnv(t, "sqlite", map[string]string{"LIMIT_SENDS_PER_IP": "1/1h"})
	newAccount(t, a, "metrics01", "metrics@example.jp", "ja")
	get(t, a, "/password-resetting/regist")
	requestResetFlow(t, a, "metrics01", "metrics@example.jp")
	postForm(t, a, "/password-resetting/send", map[string][]string{"state": {confirmState(t, a, "x", "x@example.jp")}}) // over the limit
	res := get(t, a, "/metrics", onLocalhost)
	if res.Status != http.StatusOK {
		t.Fatalf("/metrics: status %d", res.Status)
	}
	body := string(res.Body)
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
	body := string(get(t, newTestApp(t, "sqlite"), "/metrics", onLocalhost).Body)
	for _, want := range []string{
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
	for _, path := range []string{"/_dev/mail", "/metrics"} {
		for _, host := range []string{"evil.example", "evil.example:8080", "localhost.evil.example", "127.0.0.1.nip.io", "reset.example.test.evil.example", "0.0.0.0:8080"} {
			if res := get(t, a, path, withHost(host)); res.Status != http.StatusNotFound {
				t.Errorf("%s with Host %s: status %d, want 404", path, host, res.Status)
			}
		}
		for _, host := range []string{"localhost:8080", "localhost", "LocalHost.", "127.0.0.1", "127.0.0.1:8080", "[::1]:8080", "reset.example.test", "Reset.Example.Test:443"} {
			if res := get(t, a, path, withHost(host)); res.Status != http.StatusOK {
				t.Errorf("%s with Host %s: status %d, want 200", path, host, res.Status)
			}
		}
	}
}

// metricValue reads one series from a's /metrics, or fails the test when
// it is missing.
func metricValue(t *testing.T, a *App, series string) float64 {
	t.Helper()
	body := string(get(t, a, "/metrics", onLocalhost).Body)
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
