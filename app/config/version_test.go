package config_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A release build stamps its version, which `aikagi version` shows with
// the commit it was built from.
func TestVersionIsStamped(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "aikagi")
	build := exec.Command("go", "build", "-ldflags", "-X aikagi/app/config.version=v9.8.7-test", "-o", bin, "aikagi")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "aikagi v9.8.7-test") {
		t.Errorf("aikagi version: %q, %v; want it to start with aikagi v9.8.7-test", out, err)
	}
}
