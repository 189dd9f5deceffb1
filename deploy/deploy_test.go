package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSystemdUnitVerifies asks systemd itself whether the unit is valid,
// with a stand-in binary at the path it names.
func TestSystemdUnitVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed")
	}
	dir := t.TempDir()
	unit, err := os.ReadFile("aikagi.service")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "aikagi")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	env := filepath.Join(dir, "aikagi.env")
	if err := os.WriteFile(env, []byte("SECRET_KEY=x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	text := strings.NewReplacer("/usr/local/bin/aikagi", bin, "/etc/aikagi/aikagi.env", env).Replace(string(unit))
	path := filepath.Join(dir, "aikagi.service")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	// Complaints about the machine's own units are not ours.
	var ours []string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "aikagi") {
			ours = append(ours, line)
		}
	}
	if len(ours) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, strings.Join(ours, "\n"))
	}
}
