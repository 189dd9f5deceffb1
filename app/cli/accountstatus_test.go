package cli

import (
	"strings"
	"testing"
)

func TestAccountStatusCommand(t *testing.T) {
	c := newCLIDB(t, "sqlite")
	if _, err := c.run(t, "a long enough passphrase\n", "create", "--login-id", "cmd01", "--email", "cmd01@example.jp", "--store", "店", "--password-stdin"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"disable", "cmd01"}, "--reason"},
		{[]string{"disable", "nobody01", "--reason", "x"}, "no account"},
		{[]string{"enable", "cmd01", "--reason", "x"}, "not disabled"},
	} {
		if _, err := c.run(t, "", tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("account %v: %v, want an error about %q", tc.args, err, tc.want)
		}
	}
	out, err := c.run(t, "", "disable", "cmd01", "--reason", "lost phone")
	if err != nil || !strings.Contains(out, "cmd01: disabled") {
		t.Fatalf("disable: %q, %v", out, err)
	}
	if list, _ := c.run(t, "", "list"); !strings.Contains(list, "disabled since") {
		t.Errorf("account list does not show the account as disabled:\n%s", list)
	}
	if _, err := runCommand(t, c.dsn, nil, AccountCommand, "send-reset", "cmd01"); err == nil || !strings.Contains(err.Error(), "disabled") {
		t.Errorf("send-reset to a disabled account: %v", err)
	}
}
