package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"

	"aikagi/db"
	"aikagi/db/dbtest"
)

// The app runs with a PostgreSQL role that may only read and write rows,
// once a migration role has created the tables (docs/operations.md,
// "PostgreSQL roles"): step 3, the intake, the outbox and the sweep work.
func TestRuntimeRoleWithDMLOnly(t *testing.T) {
	dsn := dbtest.Fresh(t, "postgres")
	owner := dbtest.OpenDSN(t, dsn) // the migration role: creates the tables
	ctx := context.Background()
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	role := "aikagi_runtime_" + hex.EncodeToString(suffix)
	for _, q := range []string{
		"CREATE ROLE " + role + " LOGIN",
		"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + role,
		"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO " + role,
	} {
		if _, err := owner.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	t.Cleanup(func() {
		_, _ = owner.ExecContext(context.Background(), "DROP OWNED BY "+role)
		_, _ = owner.ExecContext(context.Background(), "DROP ROLE "+role)
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(role)
	a := newTestAppOn(t, u.String(), nil)
	if _, err := a.db.ExecContext(ctx, "CREATE TABLE forbidden (x int)"); err == nil {
		t.Fatal("the runtime role may create tables; the test proves nothing")
	}
	newAccount(t, a, "role01", "role01@example.jp", "ja")
	requestResetFlow(t, a, "role01", "role01@example.jp")
	if sent, err := a.outbox.DeliverDue(ctx); err != nil || sent != 1 {
		t.Fatalf("DeliverDue with the runtime role = %d, %v", sent, err)
	}
	logs := captureLog(a)
	a.sweeper.Sweep(ctx)
	a.intake.Sweep(ctx)
	if strings.Contains(logs.String(), `"level":"ERROR"`) {
		t.Errorf("the sweep failed with the runtime role:\n%s", logs)
	}
	if got := auditKinds(t, a.db); len(got) < 2 || got[0] != db.AuditResetRequested {
		t.Errorf("audit = %v", got)
	}
}
