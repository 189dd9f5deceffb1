package cli

import (
	"context"
	"strings"
	"testing"

	"aikagi/db/dbtest"
)

func TestAccountCreateCommand(t *testing.T) {
	c := newCLIDB(t, "sqlite")
	out, err := c.run(t, "a long enough passphrase\n", "create", "--login-id", "ｔａｒｏ－０１", "--email", "Taro@Example.jp", "--store", "山田商店", "--locale", "en", "--password-stdin")
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if !strings.Contains(out, "taro-01 <Taro@Example.jp> 山田商店 (en)") {
		t.Errorf("create printed %q: the login ID should be normalised as the form does", out)
	}
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"duplicate", "a long enough passphrase\n", []string{"--login-id", "taro-01", "--email", "x@example.jp", "--store", "x", "--password-stdin"}, "already exists"},
		{"duplicate in another case", "a long enough passphrase\n", []string{"--login-id", "TARO-01", "--email", "x@example.jp", "--store", "x", "--password-stdin"}, `"TARO-01" differs only in case from the existing "taro-01"`},
		{"bad email", "", []string{"--login-id", "x1", "--email", "nope", "--store", "x", "--password", "a long enough passphrase"}, "--email"},
		{"no store", "", []string{"--login-id", "x2", "--email", "x@example.jp", "--password", "a long enough passphrase"}, "--store"},
		{"store with a bidi override", "", []string{"--login-id", "x5", "--email", "x@example.jp", "--store", "店\u202egnp.exe", "--password", "a long enough passphrase"}, "U+202E"},
		{"bad locale", "", []string{"--login-id", "x3", "--email", "x@example.jp", "--store", "x", "--locale", "fr", "--password", "a long enough passphrase"}, "--locale"},
		{"short password", "short\n", []string{"--login-id", "x4", "--email", "x@example.jp", "--store", "x", "--password-stdin"}, "at least 12"},
	} {
		_, err := c.run(t, tc.stdin, append([]string{"create"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
	if ids := c.loginIDs(t); len(ids) != 1 {
		t.Errorf("accounts after the refused creates: %v", ids)
	}
}

// The operator can read the trail of one login ID, including the events
// recorded against its account.
func TestAuditListCommand(t *testing.T) {
	c := newCLIDB(t, "sqlite")
	if _, err := c.run(t, "", "create", "--login-id", "audit01", "--email", "audit@example.jp", "--store", "x", "--password", "a long enough passphrase"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.run(t, "", "create", "--login-id", "other01", "--email", "other@example.jp", "--store", "x", "--password", "a long enough passphrase"); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"DATABASE_URL": c.dsn, "SECRET_KEY": testSecretHex}
	out, err := runWith(t, env, nil, "", AuditCommand, "list", "--login-id", "audit01")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "account_created") || !strings.Contains(out, "audit01") || strings.Contains(out, "other01") {
		t.Errorf("audit list --login-id audit01:\n%s", out)
	}
	if _, err := runWith(t, env, nil, "", AuditCommand, "nonsense"); err == nil {
		t.Error("an unknown audit sub-command was accepted")
	}
}

// migrate needs only DATABASE_URL, even in production, and says what it
// applied: the whole set on a new database, nothing the second time.
func TestMigrateCommandReportsWhatItApplied(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		env := map[string]string{"DATABASE_URL": dbtest.Fresh(t, dialect), "APP_ENV": "production"}
		first, err := runWith(t, env, nil, "", Migrate)
		if err != nil {
			t.Fatalf("migrate: %v", err)
		}
		if !strings.HasPrefix(first, "applied ") || !strings.Contains(first, "_intake") || !strings.Contains(first, "_initial") {
			t.Errorf("first migrate printed %q, want the migrations it applied", first)
		}
		if second, err := runWith(t, env, nil, "", Migrate); err != nil || !strings.Contains(second, "nothing to apply") {
			t.Errorf("second migrate printed %q, %v; want nothing to apply", second, err)
		}
	})
}

// The commands that only read or queue run with DATABASE_URL alone, even in
// production where serving needs the mail and secret settings.
func TestReadOnlyCommandsNeedOnlyTheDatabase(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		env := map[string]string{"DATABASE_URL": dbtest.Fresh(t, dialect), "APP_ENV": "production"}
		for _, tc := range []struct {
			cmd  func(context.Context, Env, []string) error
			args []string
			want string
		}{
			{AccountCommand, []string{"list"}, "LOGIN ID"},
			{AuditCommand, []string{"list"}, "EVENT"},
			{OutboxCommand, []string{"list"}, "STATUS"},
		} {
			out, err := runWith(t, env, nil, "", tc.cmd, tc.args...)
			if err != nil {
				t.Errorf("%v: %v", tc.args, err)
				continue
			}
			if !strings.Contains(out, tc.want) {
				t.Errorf("%v printed %q, want its header", tc.args, out)
			}
		}
	})
}
