package cli

import (
	"context"
	"strings"
	"testing"

	"aikagi/db"
	"aikagi/db/dbtest"
)

// TestAuditListShowsCount shows an aggregated row, such as the refusals of
// one client in one window of a limit, with its count.
func TestAuditListShowsCount(t *testing.T) {
	t.Parallel()
	dsn := dbtest.Fresh(t, "sqlite")
	bdb := dbtest.OpenDSN(t, dsn)
	for range 3 {
		event := &db.AuditEvent{Kind: db.AuditRateLimited, IP: "203.0.113.5", UserAgent: "flood", Detail: "logins per IP"}
		if err := db.RecordAuditAggregated(context.Background(), bdb, event, "login:ip:203.0.113.5:window", testStart); err != nil {
			t.Fatal(err)
		}
	}
	out, err := runCommand(t, dsn, nil, AuditCommand, "list")
	if err != nil {
		t.Fatal(err)
	}
	if line := lineWith(t, out, string(db.AuditRateLimited)); !strings.Contains(line, "logins per IP (3 times)") {
		t.Errorf("aggregated row: %s", line)
	}
	if n := strings.Count(strings.TrimSpace(out), "\n"); n != 1 {
		t.Errorf("audit list shows %d rows, want the aggregate as one:\n%s", n, out)
	}
}
