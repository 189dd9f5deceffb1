package app

import (
	"net/http"
	"strings"
	"testing"
)

func TestMetrics(t *testing.T) {
	// app.Test connects from 0.0.0.0, which is not loopback.
	closed := newTestApp(t, "sqlite")
	if res := get(t, closed, "/metrics"); res.Status != http.StatusNotFound {
		t.Errorf("/metrics from a stranger: status %d, want 404", res.Status)
	}

	a := newTestAppEnv(t, "sqlite", map[string]string{"METRICS_ALLOW": "0.0.0.0", "LIMIT_SENDS_PER_IP": "1/1h"})
	newAccount(t, a, "metrics01", "metrics@example.jp", "ja")
	get(t, a, "/password-resetting/regist")
	requestResetFlow(t, a, "metrics01", "metrics@example.jp")
	postForm(t, a, "/password-resetting/send", map[string][]string{"state": {confirmState(t, a, "x", "x@example.jp")}}) // over the limit
	res := get(t, a, "/metrics")
	if res.Status != http.StatusOK {
		t.Fatalf("/metrics: status %d", res.Status)
	}
	body := string(res.Body)
	for _, want := range []string{
		`aikagi_http_requests_total{method="POST",route="/password-resetting/send",status="200"} 1`,
		`aikagi_http_requests_total{method="POST",route="/password-resetting/send",status="429"} 1`,
		`aikagi_http_request_duration_seconds_bucket{method="GET",route="/password-resetting/regist"`,
		`aikagi_outbox_mails{status="pending"} 1`,
		`aikagi_outbox_oldest_waiting_seconds 0`,
		`aikagi_rate_limited_total{limit="sends per IP"} 1`,
		`aikagi_password_hash_wait_seconds_count`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
