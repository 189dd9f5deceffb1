package app

import (
	"aikagi/app/testkit"
	"net/http"
	"strings"
	"testing"
)

var waitFor = testkit.WaitFor

// While the app drains on SIGTERM, /readyz fails so that the load balancer
// stops sending requests, and /healthz still says the process is alive.
func TestReadyzFailsWhileDraining(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	if res := get(t, a, "/readyz"); res.Status != http.StatusOK {
		t.Fatalf("/readyz before: %d %s", res.Status, res.Body)
	}
	a.draining.Store(true)
	if res := get(t, a, "/readyz"); res.Status != http.StatusServiceUnavailable || !strings.Contains(string(res.Body), "shutting down") {
		t.Errorf("/readyz while draining: %d %s", res.Status, res.Body)
	}
	if res := get(t, a, "/healthz"); res.Status != http.StatusOK {
		t.Errorf("/healthz while draining: %d", res.Status)
	}
}
