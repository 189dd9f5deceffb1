package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"aikagi/app/cli"
	"aikagi/app/config"
)

// TestHelpExitsZero asks every command for help: each prints its usage and
// exits 0, without reporting the request for help as an error.
func TestHelpExitsZero(t *testing.T) {
	t.Parallel()
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "help.db")
	for _, args := range [][]string{
		{"-h"}, {"help"},
		{"serve", "-h"}, {"migrate", "--help"},
		{"account", "-h"}, {"account", "create", "-h"}, {"account", "create", "--help"},
		{"account", "list", "-h"}, {"account", "import", "-h"}, {"account", "send-reset", "-h"}, {"account", "set-email", "-h"},
		{"audit", "-h"}, {"audit", "list", "-h"},
		{"outbox", "--help"}, {"outbox", "list", "-h"}, {"outbox", "retry", "-h"},
	} {
		var stdout, stderr bytes.Buffer
		env := cli.Env{
			Getenv: func(name string) string {
				if name == "DATABASE_URL" {
					return dbURL
				}
				return ""
			},
			Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr,
		}
		code := run(context.Background(), env, args)
		out := stdout.String() + stderr.String()
		if code != 0 {
			t.Errorf("aikagi %s: exit %d, want 0\n%s", strings.Join(args, " "), code, out)
		}
		if strings.Contains(out, "help requested") || strings.Contains(out, "aikagi:") {
			t.Errorf("aikagi %s reports the request for help as an error:\n%s", strings.Join(args, " "), out)
		}
		if !strings.Contains(strings.ToLower(out), "usage") {
			t.Errorf("aikagi %s prints no usage:\n%s", strings.Join(args, " "), out)
		}
	}
	var stderr bytes.Buffer
	if code := run(context.Background(), cli.Env{Getenv: func(string) string { return "" }, Stdout: &stderr, Stderr: &stderr}, []string{"nonsense"}); code != 2 {
		t.Errorf("an unknown command exits %d, want 2", code)
	}
}

// A configuration error exits with EX_CONFIG (78), which the systemd unit
// does not restart on; other failures exit 1.
func TestConfigErrorExitStatus(t *testing.T) {
	t.Parallel()
	var stderr bytes.Buffer
	env := cli.Env{
		Getenv: func(name string) string {
			return map[string]string{"APP_ENV": "production", "DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "c.db")}[name]
		},
		Stdin: strings.NewReader(""), Stdout: &stderr, Stderr: &stderr,
	}
	if code := run(context.Background(), env, []string{"serve"}); code != config.ExitStatus {
		t.Errorf("serve in production without settings: exit %d, want %d\n%s", code, config.ExitStatus, stderr.String())
	}
	if !strings.Contains(stderr.String(), "SECRET_KEY") {
		t.Errorf("the message does not name the setting to fix:\n%s", stderr.String())
	}
}

// aikagi version names the build; the metrics carry the same.
func TestVersion(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	env := cli.Env{Getenv: func(string) string { return "" }, Stdout: &out, Stderr: &out}
	if code := run(context.Background(), env, []string{"version"}); code != 0 {
		t.Fatalf("version: exit %d\n%s", code, out.String())
	}
	if got := out.String(); !strings.HasPrefix(got, "aikagi "+config.Build().Version) || !strings.Contains(got, "go1.") {
		t.Errorf("version printed %q", got)
	}
}
