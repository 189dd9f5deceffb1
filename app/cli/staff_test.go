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

// staff reset-2fa drops a member's second factor, for a lost phone or a
// secret no key opens any more: they enrol again at their next login. It
// wants a reason, which the audit trail keeps with the command.
func TestStaffResetFactorCommand(t *testing.T) {
	ctx := context.Background()
	dsn := dbtest.Fresh(t, "sqlite")
	env := map[string]string{"DATABASE_URL": dsn, "SECRET_KEY": testSecretHex}
	if _, err := runWith(t, env, nil, "a long enough passphrase\n", StaffCommand, "create", "--email", "sato@example.jp", "--role", "admin", "--password-stdin"); err != nil {
		t.Fatal(err)
	}
	bdb := dbtest.OpenDSN(t, dsn)
	if _, err := bdb.NewUpdate().Table("staff").Set("totp_sealed = ?", []byte("sealed secret")).Where("email = ?", "sato@example.jp").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no reason", []string{"--email", "sato@example.jp"}, "--reason"},
		{"no email", []string{"--reason", "lost phone"}, "--email"},
		{"unknown member", []string{"--email", "kato@example.jp", "--reason", "lost phone"}, "no member"},
	} {
		if _, err := runWith(t, env, nil, "", StaffCommand, append([]string{"reset-2fa"}, tc.args...)...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
	out, err := runWith(t, env, nil, "", StaffCommand, "reset-2fa", "--email", "SATO@example.jp", "--reason", "lost phone, identity checked by phone")
	if err != nil || !strings.Contains(out, "sato@example.jp") {
		t.Fatalf("reset-2fa: %q, %v", out, err)
	}
	member, err := db.FindStaffByEmail(ctx, bdb, "sato@example.jp")
	if err != nil || member == nil || member.TOTPSealed != nil {
		t.Fatalf("after reset-2fa: %+v, %v; want no TOTP secret", member, err)
	}
	var events []db.AuditEvent
	if err := bdb.NewSelect().Model(&events).Where("kind = ?", db.AuditStaffFactorReset).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].UserAgent != "aikagi staff reset-2fa" || events[0].StaffID != nil || !strings.Contains(events[0].Detail, "lost phone") {
		t.Errorf("audit = %+v; want one event by the command with the reason", events)
	}
}
