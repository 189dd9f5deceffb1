package deploy

import (
	"bufio"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"aikagi/app/config"
)

var units = []string{"aikagi.service", "aikagi@.service"}

// systemdAnalyze finds systemd-analyze; CI must not pass by skipping.
func systemdAnalyze(t *testing.T) string {
	t.Helper()
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("systemd-analyze not installed (Debian package systemd); make test installs it")
		}
		t.Skip("systemd-analyze not installed")
	}
	return analyze
}

// installed writes unit to a temporary folder with a stand-in binary and
// settings file at the paths it names, and returns the unit's path there.
func installed(t *testing.T, unit string) string {
	t.Helper()
	dir := t.TempDir()
	text, err := os.ReadFile(unit)
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
	name := unit
	if strings.Contains(unit, "@") {
		name = strings.Replace(unit, "@", "@8081", 1) // an instance of the template
	}
	path := filepath.Join(dir, name)
	replaced := strings.NewReplacer("/usr/local/bin/aikagi", bin, "/etc/aikagi/aikagi.env", env).Replace(string(text))
	if err := os.WriteFile(path, []byte(replaced), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSystemdUnitsVerify asks systemd itself whether the units are valid.
func TestSystemdUnitsVerify(t *testing.T) {
	analyze := systemdAnalyze(t)
	for _, unit := range units {
		out, err := exec.Command(analyze, "verify", installed(t, unit)).CombinedOutput()
		// Complaints about the machine's own units are not ours.
		var ours []string
		for _, line := range strings.Split(string(out), "\n") {
			if strings.Contains(line, "aikagi") {
				ours = append(ours, line)
			}
		}
		if len(ours) > 0 {
			t.Errorf("systemd-analyze verify %s: %v\n%s", unit, err, strings.Join(ours, "\n"))
		}
	}
}

var exposure = regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+)`)

// TestSystemdUnitsAreHardened keeps systemd's own exposure score of each
// unit at 3.0 or below ("OK").
func TestSystemdUnitsAreHardened(t *testing.T) {
	analyze := systemdAnalyze(t)
	for _, unit := range units {
		out, err := exec.Command(analyze, "security", "--offline=yes", installed(t, unit)).CombinedOutput()
		m := exposure.FindStringSubmatch(string(out))
		if m == nil {
			t.Fatalf("systemd-analyze security %s: %v\n%s", unit, err, out)
		}
		if score, _ := strconv.ParseFloat(m[1], 64); score > 3.0 {
			t.Errorf("%s: exposure %.1f, want 3.0 or less:\n%s", unit, score, out)
		}
	}
}

// TestUnitsDoNotRestartOnConfigErrors: a setting to fix exits with
// config.ExitStatus, and restarting would only loop.
func TestUnitsDoNotRestartOnConfigErrors(t *testing.T) {
	for _, unit := range units {
		text, err := os.ReadFile(unit)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(text), "RestartPreventExitStatus="+strconv.Itoa(config.ExitStatus)) {
			t.Errorf("%s does not stop restarting on exit status %d", unit, config.ExitStatus)
		}
	}
}

// systemdEnv reads an EnvironmentFile as systemd does (systemd.exec(5)):
// comment lines start with # or ;, a value in double quotes loses them
// (and its backslash escapes), anything else after = is the value, a
// trailing "# …" included.
func systemdEnv(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: %q is not KEY=VALUE", path, line)
		}
		value = strings.TrimSpace(value)
		if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
			unquoted, err := strconv.Unquote(value)
			if err != nil {
				t.Fatalf("%s: %s: %v", path, key, err)
			}
			value = unquoted
		}
		env[strings.TrimSpace(key)] = value
	}
	return env
}

// shellEnv sources path in bash with set -a and returns what it exported.
func shellEnv(t *testing.T, path string) map[string]string {
	t.Helper()
	out, err := exec.Command("bash", "-c", `set -a; . "$1" || exit 1; env -0`, "bash", path).Output()
	if err != nil {
		t.Fatalf("a shell cannot load %s: %v", path, err)
	}
	env := map[string]string{}
	for _, kv := range strings.Split(string(out), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env
}

// The example settings read the same under systemd and in a shell, and,
// with real secrets in place of the placeholders, make a valid production
// configuration.
func TestEnvExampleLoadsInSystemdAndShell(t *testing.T) {
	const example = "aikagi.env.example"
	systemd, shell := systemdEnv(t, example), shellEnv(t, example)
	var keys []string
	for k, v := range systemd {
		keys = append(keys, k)
		if shell[k] != v {
			t.Errorf("%s: systemd reads %q, a shell %q", k, v, shell[k])
		}
	}
	slices.Sort(keys)
	for _, want := range []string{"APP_ENV", "BASE_URL", "DATABASE_URL", "MAIL_FROM", "SECRET_KEY", "TRUSTED_PROXIES"} {
		if _, ok := systemd[want]; !ok {
			t.Errorf("the example lacks %s (has %v)", want, keys)
		}
	}
	systemd["SECRET_KEY"] = strings.Repeat("ab", 32)
	systemd["RESEND_WEBHOOK_SECRET"] = "whsec_" + base64.StdEncoding.EncodeToString([]byte("a webhook signing secret"))
	if _, err := config.Load(func(k string) string { return systemd[k] }, nil); err != nil {
		t.Errorf("the example is not a valid configuration: %v", err)
	}
}
