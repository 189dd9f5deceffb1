package cli

import (
	"context"
	"strings"
	"testing"

	"aikagi/db"
	"aikagi/db/dbtest"
)

func TestStaffCreateCommand(t *testing.T) {
	dsn := dbtest.Fresh(t, "sqlite")
	env := map[string]string{"DATABASE_URL": dsn, "SECRET_KEY": testSecretHex}
	out, err := runWith(t, env, nil, "a long enough passphrase\n", StaffCommand, "create", "--email", "Ｓａｔｏ@Example.jp", "--role", "admin", "--password-stdin")
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if !strings.Contains(out, "sato@example.jp (admin)") {
		t.Errorf("create printed %q", out)
	}
	for _, tc := range []struct {
		name, stdin string
		args        []string
		want        string
	}{
		{"taken", "a long enough passphrase\n", []string{"--email", "SATO@example.jp", "--role", "support", "--password-stdin"}, "already exists"},
		{"bad role", "a long enough passphrase\n", []string{"--email", "kato@example.jp", "--role", "root", "--password-stdin"}, "--role"},
		{"no stdin flag", "", []string{"--email", "kato@example.jp", "--role", "support"}, "--password-stdin"},
		{"short password", "short\n", []string{"--email", "kato@example.jp", "--role", "support", "--password-stdin"}, "password"},
		{"bad email", "a long enough passphrase\n", []string{"--email", "kato", "--role", "support", "--password-stdin"}, "--email"},
	} {
		_, err := runWith(t, env, nil, tc.stdin, StaffCommand, append([]string{"create"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
	bdb := dbtest.OpenDSN(t, dsn)
	var events []db.AuditEvent
	if err := bdb.NewSelect().Model(&events).Where("kind = ?", db.AuditStaffCreated).Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].StaffID == nil {
		t.Errorf("audit: %+v, want one staff_created with the member", events)
	}
}
