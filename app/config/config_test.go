package config

import (
	"bytes"
	"log/slog"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	generated := bytes.Repeat([]byte{7}, 32)
	cfg, err := Load(getenvFrom(nil), func() []byte { return generated })
	if err != nil {
		t.Fatalf("Load with nothing set: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"Addr", cfg.Addr, ":8080"},
		{"DatabaseURL", cfg.DatabaseURL, "sqlite:aikagi.db"},
		{"BaseURL", cfg.BaseURL.String(), "http://localhost:8080"},
		{"Production", cfg.Production, false},
		{"ResendAPIKey", cfg.ResendAPIKey, ""},
		{"MailFrom.Address", cfg.MailFrom.Address, "no-reply@example.com"},
		{"MailFrom.Name", cfg.MailFrom.Name, "加盟店管理サイト"},
		{"SiteName", cfg.SiteName, "加盟店管理サイト"},
		// Development allows the demo help center to frame the steps.
		{"FrameAncestors", strings.Join(cfg.FrameAncestors, " "), "http://127.0.0.1:8081"},
		{"DemoAddr", cfg.DemoAddr, "127.0.0.1:8081"},
		{"TrustedProxies", len(cfg.TrustedProxies), 0},
		{"TokenTTL", cfg.TokenTTL, 30 * time.Minute},
		{"StateTTL", cfg.StateTTL, 30 * time.Minute},
		{"PasswordMinLength", cfg.PasswordMinLength, 12},
		{"AuditRetention", cfg.AuditRetention, 400 * 24 * time.Hour},
		{"SecretGenerated", cfg.SecretGenerated, true},
		{"SecretKey is the generated one", bytes.Equal(cfg.SecretKey, generated), true},
		{"HTTPS", cfg.HTTPS(), false},
		{"Origin", cfg.Origin(), "http://localhost:8080"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestLoadValues(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"ADDR":                ":9000",
		"BASE_URL":            "https://reset.example.com/",
		"DATABASE_URL":        "postgres://u@db/aikagi",
		"SECRET_KEY":          testSecretHex,
		"APP_ENV":             "production",
		"RESEND_API_KEY":      " re_123 ",
		"MAIL_FROM":           "Shop Support <support@example.com>",
		"SITE_NAME":           "Shop Admin",
		"FRAME_ANCESTORS":     "https://Help.Example.com, https://support.example.org/",
		"TRUSTED_PROXIES":     "10.0.0.0/8 192.168.1.1,2001:db8::/32",
		"TOKEN_TTL":           "15m",
		"FORM_TTL":            "1h",
		"PASSWORD_MIN_LENGTH": "15",
		"AUDIT_RETENTION":     "720h",
		"LOG_LEVEL":           "warn",
	}
	cfg, err := Load(getenvFrom(env), noRandomKey(t))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if cfg.Addr != ":9000" || cfg.DatabaseURL != "postgres://u@db/aikagi" || !cfg.Production || cfg.ResendAPIKey != "re_123" ||
		cfg.SiteName != "Shop Admin" || cfg.TokenTTL != 15*time.Minute || cfg.StateTTL != time.Hour || cfg.PasswordMinLength != 15 ||
		cfg.AuditRetention != 30*24*time.Hour || cfg.LogLevel != slog.LevelWarn {
		t.Errorf("config = %+v", cfg)
	}
	if cfg.SecretGenerated || len(cfg.SecretKey) != 32 || cfg.SecretKey[31] != 0x1f {
		t.Errorf("SECRET_KEY not decoded: %x (generated %v)", cfg.SecretKey, cfg.SecretGenerated)
	}
	if cfg.BaseURL.String() != "https://reset.example.com" || !cfg.HTTPS() || cfg.Origin() != "https://reset.example.com" {
		t.Errorf("BASE_URL = %v, origin %s", cfg.BaseURL, cfg.Origin())
	}
	if got := cfg.URL("/password-resetting/reset", url.Values{"token": {"abc"}}); got != "https://reset.example.com/password-resetting/reset?token=abc" {
		t.Errorf("URL = %q", got)
	}
	if got := cfg.From(); got != "Shop Support <support@example.com>" {
		t.Errorf("mailFrom = %q", got)
	}
	if want := []string{"https://help.example.com", "https://support.example.org"}; !slices.Equal(cfg.FrameAncestors, want) {
		t.Errorf("FrameAncestors = %q, want %q", cfg.FrameAncestors, want)
	}
	want := []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("192.168.1.1/32"),
		netip.MustParsePrefix("2001:db8::/32"),
	}
	if !slices.Equal(cfg.TrustedProxies, want) {
		t.Errorf("TrustedProxies = %v, want %v", cfg.TrustedProxies, want)
	}
}

// The app serves its pages at the root, so a BASE_URL with a path would
// put links in mails that lead nowhere: it is refused, as are wildcards in
// FRAME_ANCESTORS, whose pages could not report their height.
func TestLoadRefusesPathsAndWildcards(t *testing.T) {
	t.Parallel()
	for name, env := range map[string]map[string]string{
		"path":     {"BASE_URL": "https://www.example.com/support/"},
		"wildcard": {"FRAME_ANCESTORS": "https://*.example.com"},
	} {
		env["SECRET_KEY"] = testSecretHex
		if _, err := Load(getenvFrom(env), noRandomKey(t)); err == nil {
			t.Errorf("%s accepted: %v", name, env)
		}
	}
	cfg, err := Load(getenvFrom(map[string]string{"BASE_URL": "https://www.example.com/", "SECRET_KEY": testSecretHex}), noRandomKey(t))
	if err != nil {
		t.Fatalf("a trailing slash is no path: %v", err)
	}
	if got := cfg.URL("/password-resetting/reset", url.Values{"token": {"a b"}}); got != "https://www.example.com/password-resetting/reset?token=a+b" {
		t.Errorf("URL = %q", got)
	}
}

func TestLoadLists(t *testing.T) {
	t.Parallel()
	for _, sep := range []string{",", " ", ", ", "\t", "\n", " , "} {
		env := map[string]string{
			"FRAME_ANCESTORS": "https://a.example.com" + sep + "http://localhost:3000",
			"TRUSTED_PROXIES": "10.0.0.1" + sep + "172.16.0.0/12",
			"DEMO_ADDR":       "off",
		}
		cfg, err := Load(getenvFrom(env), func() []byte { return make([]byte, 32) })
		if err != nil {
			t.Errorf("separator %q: %v", sep, err)
			continue
		}
		if want := []string{"https://a.example.com", "http://localhost:3000"}; !slices.Equal(cfg.FrameAncestors, want) {
			t.Errorf("separator %q: FrameAncestors = %q", sep, cfg.FrameAncestors)
		}
		if want := []netip.Prefix{netip.MustParsePrefix("10.0.0.1/32"), netip.MustParsePrefix("172.16.0.0/12")}; !slices.Equal(cfg.TrustedProxies, want) {
			t.Errorf("separator %q: TrustedProxies = %v", sep, cfg.TrustedProxies)
		}
	}
}

// TestLoadRefusesBadValues checks that every bad setting is refused
// with a message naming the variable and what to use instead.
func TestLoadRefusesBadValues(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		env  map[string]string
		want []string // each must appear in the error
	}{
		{"APP_ENV", map[string]string{"APP_ENV": "prod"}, []string{"APP_ENV", "development or production"}},
		{"BASE_URL relative", map[string]string{"BASE_URL": "reset.example.com"}, []string{"BASE_URL", "https://"}},
		{"BASE_URL ftp", map[string]string{"BASE_URL": "ftp://reset.example.com"}, []string{"BASE_URL"}},
		{"MAIL_FROM", map[string]string{"MAIL_FROM": "not an address"}, []string{"MAIL_FROM"}},
		{"FRAME_ANCESTORS path", map[string]string{"FRAME_ANCESTORS": "https://help.example.com/articles/1"}, []string{"FRAME_ANCESTORS", "origin"}},
		{"FRAME_ANCESTORS no scheme", map[string]string{"FRAME_ANCESTORS": "help.example.com"}, []string{"FRAME_ANCESTORS"}},
		{"FRAME_ANCESTORS wildcard", map[string]string{"FRAME_ANCESTORS": "*"}, []string{"FRAME_ANCESTORS"}},
		{"FRAME_ANCESTORS query", map[string]string{"FRAME_ANCESTORS": "https://help.example.com?x=1"}, []string{"FRAME_ANCESTORS"}},
		{"TRUSTED_PROXIES", map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8 proxy.internal"}, []string{"TRUSTED_PROXIES", "proxy.internal"}},
		{"TRUSTED_PROXIES bad CIDR", map[string]string{"TRUSTED_PROXIES": "10.0.0.0/33"}, []string{"TRUSTED_PROXIES"}},
		{"TOKEN_TTL unparsable", map[string]string{"TOKEN_TTL": "30"}, []string{"TOKEN_TTL", "30m"}},
		{"TOKEN_TTL too short", map[string]string{"TOKEN_TTL": "10s"}, []string{"TOKEN_TTL"}},
		{"TOKEN_TTL too long", map[string]string{"TOKEN_TTL": "720h"}, []string{"TOKEN_TTL"}},
		{"AUDIT_RETENTION in days", map[string]string{"AUDIT_RETENTION": "400d"}, []string{"AUDIT_RETENTION", "such as 24h0m0s"}},
		{"AUDIT_RETENTION too short", map[string]string{"AUDIT_RETENTION": "1h"}, []string{"AUDIT_RETENTION"}},
		{"LOG_LEVEL unknown", map[string]string{"LOG_LEVEL": "verbose"}, []string{"LOG_LEVEL", "debug, info, warn or error"}},
		{"FORM_TTL", map[string]string{"FORM_TTL": "-5m"}, []string{"FORM_TTL"}},
		{"PASSWORD_MIN_LENGTH text", map[string]string{"PASSWORD_MIN_LENGTH": "twelve"}, []string{"PASSWORD_MIN_LENGTH", "8 to 64"}},
		{"PASSWORD_MIN_LENGTH too small", map[string]string{"PASSWORD_MIN_LENGTH": "6"}, []string{"PASSWORD_MIN_LENGTH"}},
		{"PASSWORD_MIN_LENGTH too big", map[string]string{"PASSWORD_MIN_LENGTH": "65"}, []string{"PASSWORD_MIN_LENGTH"}},
		{"SECRET_KEY not hex", map[string]string{"SECRET_KEY": "correct horse battery staple"}, []string{"SECRET_KEY", "openssl rand -hex 32"}},
		{"SECRET_KEY too short", map[string]string{"SECRET_KEY": strings.Repeat("ab", 31)}, []string{"SECRET_KEY", "32"}},
		{"two problems at once", map[string]string{"TOKEN_TTL": "x", "PASSWORD_MIN_LENGTH": "x"}, []string{"TOKEN_TTL", "PASSWORD_MIN_LENGTH"}},
		{"CONSOLE_URL with a path", map[string]string{"CONSOLE_URL": "https://desk.example.com/console"}, []string{"CONSOLE_URL"}},
		{"CONSOLE_URL not a URL", map[string]string{"CONSOLE_URL": "desk.example.com"}, []string{"CONSOLE_URL"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(getenvFrom(tc.env), func() []byte { return make([]byte, 32) })
			if err == nil {
				t.Fatalf("Load(%v) succeeded, want an error", tc.env)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestLoadProductionRefusesUnsafe checks that production mode refuses
// to start without a secret, without a mail provider or over plain HTTP,
// and says what to set.
func TestLoadProductionRefusesUnsafe(t *testing.T) {
	t.Parallel()
	safe := func() map[string]string {
		return map[string]string{
			"APP_ENV":        "production",
			"SECRET_KEY":     testSecretHex,
			"RESEND_API_KEY": "re_123",
			"BASE_URL":       "https://reset.example.com",
		}
	}
	if _, err := Load(getenvFrom(safe()), noRandomKey(t)); err != nil {
		t.Fatalf("safe production settings refused: %v", err)
	}
	cases := []struct {
		name   string
		change func(map[string]string)
		want   []string
	}{
		{"no SECRET_KEY", func(e map[string]string) { delete(e, "SECRET_KEY") }, []string{"SECRET_KEY", "openssl rand -hex 32"}},
		{"no RESEND_API_KEY", func(e map[string]string) { delete(e, "RESEND_API_KEY") }, []string{"RESEND_API_KEY"}},
		{"http BASE_URL", func(e map[string]string) { e["BASE_URL"] = "http://reset.example.com" }, []string{"https://", "BASE_URL"}},
		{"default BASE_URL", func(e map[string]string) { delete(e, "BASE_URL") }, []string{"https://", "BASE_URL"}},
		{"all three", func(e map[string]string) {
			delete(e, "SECRET_KEY")
			delete(e, "RESEND_API_KEY")
			e["BASE_URL"] = "http://reset.example.com"
		}, []string{"SECRET_KEY", "RESEND_API_KEY", "BASE_URL"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := safe()
			tc.change(env)
			randomUsed := false
			_, err := Load(getenvFrom(env), func() []byte { randomUsed = true; return func() []byte { return make([]byte, 32) }() })
			if err == nil {
				t.Fatal("production started with unsafe settings")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if randomUsed {
				t.Error("production generated a random SECRET_KEY")
			}
		})
	}
}

// TestLoadRejectsOriginsThatBreakTheCSP checks FRAME_ANCESTORS values
// that would end the frame-ancestors directive and inject into the
// Content-Security-Policy header.
func TestLoadRejectsOriginsThatBreakTheCSP(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{
		"https://help.example.com;script-src",
		"https://help.example.com;",
		"https://help.example.com'",
		`https://help.example.com"`,
	} {
		cfg, err := Load(getenvFrom(map[string]string{"FRAME_ANCESTORS": bad}), func() []byte { return make([]byte, 32) })
		if err == nil {
			t.Errorf("FRAME_ANCESTORS=%q accepted as %q", bad, cfg.FrameAncestors)
		}
	}
}

// The demo help center's origin is allowed to frame the steps in
// development only, and follows DEMO_ADDR.
func TestDemoOriginAllowedInDevelopmentOnly(t *testing.T) {
	t.Parallel()
	dev, err := Load(getenvFrom(map[string]string{"DEMO_ADDR": ":9000", "FRAME_ANCESTORS": "https://help.example.com"}), func() []byte { return make([]byte, 32) })
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"https://help.example.com", "http://127.0.0.1:9000"}; !slices.Equal(dev.FrameAncestors, want) {
		t.Errorf("development FrameAncestors = %q, want %q", dev.FrameAncestors, want)
	}
	prod, err := Load(getenvFrom(map[string]string{
		"APP_ENV": "production", "SECRET_KEY": testSecretHex, "RESEND_API_KEY": "re_x",
		"BASE_URL": "https://reset.example.com", "FRAME_ANCESTORS": "https://help.example.com",
	}), func() []byte { return make([]byte, 32) })
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"https://help.example.com"}; !slices.Equal(prod.FrameAncestors, want) {
		t.Errorf("production FrameAncestors = %q, want %q", prod.FrameAncestors, want)
	}
}

// getenvFrom turns a map into a getenv function.
func getenvFrom(env map[string]string) func(string) string {
	return func(name string) string { return env[name] }
}

// noRandomKey fails the test if Load asks for a random key.
func noRandomKey(t testing.TB) func() []byte {
	return func() []byte {
		t.Helper()
		t.Error("Load generated a random key although SECRET_KEY was set")
		return make([]byte, 32)
	}
}

// testSecretHex is a SECRET_KEY for tests.
const testSecretHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

// The console's address: in production, ADMIN_ADDR wants CONSOLE_URL (an
// https one, unless on this machine); in development it defaults to
// ADMIN_ADDR on localhost, and only the console's own host names it.
func TestConsoleURL(t *testing.T) {
	t.Parallel()
	prod := map[string]string{"APP_ENV": "production", "SECRET_KEY": testSecretHex, "RESEND_API_KEY": "re_x",
		"BASE_URL": "https://reset.example.com", "ADMIN_ADDR": "10.0.0.5:8082"}
	if _, err := Load(getenvFrom(prod), noRandomKey(t)); err == nil || !strings.Contains(err.Error(), "CONSOLE_URL") {
		t.Errorf("production with ADMIN_ADDR and no CONSOLE_URL: %v", err)
	}
	prod["CONSOLE_URL"] = "http://desk.example.com"
	if _, err := Load(getenvFrom(prod), noRandomKey(t)); err == nil || !strings.Contains(err.Error(), "https") {
		t.Errorf("production with an http CONSOLE_URL: %v", err)
	}
	prod["CONSOLE_URL"] = "https://desk.example.com/"
	cfg, err := Load(getenvFrom(prod), noRandomKey(t))
	if err != nil || cfg.ConsoleURL.String() != "https://desk.example.com" {
		t.Fatalf("CONSOLE_URL = %v, %v", cfg.ConsoleURL, err)
	}
	for host, want := range map[string]bool{"desk.example.com": true, "DESK.example.com:443": true, "evil.example": false, "localhost:8082": false, "desk.example.com.evil.example": false} {
		if got := cfg.IsConsoleHost(host); got != want {
			t.Errorf("IsConsoleHost(%q) = %v, want %v", host, got, want)
		}
	}
	dev, err := Load(getenvFrom(map[string]string{"SECRET_KEY": testSecretHex}), noRandomKey(t))
	if err != nil || dev.ConsoleURL.String() != "http://localhost:8082" {
		t.Fatalf("development CONSOLE_URL = %v, %v", dev.ConsoleURL, err)
	}
	for host, want := range map[string]bool{"localhost:8082": true, "127.0.0.1:8082": true, "[::1]:8082": true, "evil.example": false} {
		if got := dev.IsConsoleHost(host); got != want {
			t.Errorf("development IsConsoleHost(%q) = %v, want %v", host, got, want)
		}
	}
}
