package cli

import (
)

// TestAuditListShowsCount shows an aggregated row with its count.
func TestAuditListShowsCount(t *testing.T) {
	t.Parallel()
	dsn := "sqlite:" + t.TempDir() + "/count.db"
	a := newTestAppOn(t, dsn, map[string]string{"LIMIT_LOGINS_PER_IP": "1/15m"})
	for range 4 {
		postForm(t, a, "/login", url.Values{"login_id": {"nobody"}, "password": {"whatever it is"}})
	}
	out, err := runCommand(t, dsn, a.now, AuditCommand, "list")
	if err != nil {
		t.Fatal(err)
	}
	if line := lineWith(t, out, db.AuditRateLimited); !strings.Contains(line, "logins per IP (3 times)") {
		t.Errorf("aggregated row: %s", line)
	}
}

