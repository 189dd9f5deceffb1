// Package config parses the settings, once, from the environment into a
// typed Config with defaults and validation. README.md lists every setting.
package config

import (
	"fmt"
	"log/slog"
	"net/mail"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// DefaultDatabaseURL is the embedded SQLite file of `go run .`.
const DefaultDatabaseURL = "sqlite:aikagi.db"

// Config is every setting, parsed once from the environment.
type Config struct {
	Addr              string
	BaseURL           *url.URL
	DatabaseURL       string
	SecretKey         []byte   // seals and signs what is new
	SecretKeysOld     [][]byte // still open and verify what they sealed (key rotation)
	SecretGenerated   bool     // development only: no SECRET_KEY was set
	Production        bool
	ResendAPIKey      string
	Resend            Resend // the rest of the Resend settings (resend.go)
	MailFrom          *mail.Address
	SiteName          string // SITE_NAME, the Japanese name; Brand has both
	Brand             Brand  // names, logo, privacy policy and support desk (brand.go)
	FrameAncestors    []string
	TrustedProxies    []netip.Prefix
	MetricsAddr       string         // METRICS_ADDR: the listener of /metrics alone; empty: none
	MetricsAllow      []netip.Prefix // besides loopback, who may read /metrics
	TokenTTL          time.Duration
	StateTTL          time.Duration
	PasswordMinLength int
	DemoAddr          string   // development only: where the demo help center listens ("off" for none)
	AdminAddr         string   // where the support console listens; "" for nowhere (ADMIN_ADDR)
	ConsoleURL        *url.URL // CONSOLE_URL: the console's public origin; its host is the only one the console answers to
	SessionTTL        time.Duration
	LockoutThreshold  int           // failed logins that pause a login ID
	LockoutWindow     time.Duration // within this long
	Limits            Limits
	LoginFailureFloor time.Duration // a failed login never answers sooner
	Deprecated        []string      // settings given that no longer apply, for the log
	LogLevel          slog.Level
	ShutdownDrain     time.Duration // on SIGTERM, /readyz fails this long before the listener closes
	AuditRetention    time.Duration // audit events older than this are deleted
	// MailAddressRetention is how long a finished mail keeps its recipient
	// address whole; after it, only "ta***@example.jp" remains.
	MailAddressRetention time.Duration
}

// Error is a setting that must be fixed before the app can start;
// the process exits with ExitStatus for it, which the systemd unit does
// not restart on.
type Error struct{ Err error }

func (e *Error) Error() string { return "config: " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// ExitStatus is the exit status of a configuration error (sysexits.h's
// EX_CONFIG).
const ExitStatus = 78

// Environment is APP_ENV: production or development.
func (c Config) Environment() string {
	if c.Production {
		return "production"
	}
	return "development"
}

// HTTPS reports whether the app is served over HTTPS (judged by BASE_URL,
// since TLS usually ends at a proxy in front of it).
func (c Config) HTTPS() bool { return c.BaseURL.Scheme == "https" }

// Origin is the scheme://host[:port] of BASE_URL.
func (c Config) Origin() string { return c.BaseURL.Scheme + "://" + c.BaseURL.Host }

// URL joins path (and an optional query) to BASE_URL.
func (c Config) URL(path string, query url.Values) string {
	u := *c.BaseURL
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	u.RawQuery = query.Encode()
	return u.String()
}

func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
}

func parseOrigins(s string) ([]string, error) {
	var origins []string
	for _, item := range splitList(s) {
		u, err := url.Parse(item)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || !originHost.MatchString(u.Host) || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return nil, fmt.Errorf("FRAME_ANCESTORS: %q is not an origin such as https://help.example.com", item)
		}
		origins = append(origins, u.Scheme+"://"+strings.ToLower(u.Host))
	}
	return origins, nil
}

// originHost is a host[:port], nothing that could end a CSP directive. No
// wildcards: a framed page reports its height to each allowed origin by
// name, which a pattern cannot be.
var originHost = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*(:[0-9]{1,5})?$`)

func parsePrefixes(name, s string) ([]netip.Prefix, error) {
	var prefixes []netip.Prefix
	for _, item := range splitList(s) {
		if p, err := netip.ParsePrefix(item); err == nil {
			prefixes = append(prefixes, p.Masked())
			continue
		}
		addr, err := netip.ParseAddr(item)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is neither an IP nor a CIDR", name, item)
		}
		prefixes = append(prefixes, netip.PrefixFrom(addr.Unmap(), addr.Unmap().BitLen()))
	}
	return prefixes, nil
}

// From is MAIL_FROM as a From header in plain UTF-8; the mail provider
// encodes it.
func (c Config) From() string {
	if c.MailFrom.Name == "" {
		return c.MailFrom.Address
	}
	return fmt.Sprintf("%s <%s>", c.MailFrom.Name, c.MailFrom.Address)
}

// CookieName adds the __Host- prefix over HTTPS, which makes browsers insist
// on Secure, Path=/ and no Domain.
func (c Config) CookieName(name string) string {
	if c.HTTPS() {
		return "__Host-" + name
	}
	return name
}
