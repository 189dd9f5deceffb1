package app

import (
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// defaultDatabaseURL is the embedded SQLite file of `go run .`.
const defaultDatabaseURL = "sqlite:aikagi.db"

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
	Resend            ResendSettings // the rest of the Resend settings (see resend.go)
	MailFrom          *mail.Address
	SiteName          string
	FrameAncestors    []string
	TrustedProxies    []netip.Prefix
	MetricsAllow      []netip.Prefix // besides loopback, who may read /metrics
	TokenTTL          time.Duration
	StateTTL          time.Duration
	PasswordMinLength int
	DemoAddr          string // development only: where the demo help center listens ("off" for none)
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

// defaultAuditRetention is 400 days: a year of history plus the time to
// look into a complaint about it.
const defaultAuditRetention = "9600h"

// auditSweepBatch bounds the audit events one sweep deletes, so that the
// first sweep over a long trail does not hold the table for long; the
// sweeps after it go on (sweepEvery).
const auditSweepBatch = 10000

// LoadConfig reads the settings through getenv (os.Getenv in production).
// In development a missing SECRET_KEY is replaced by a random one; in
// production unsafe settings are refused with a message saying what to set.
func LoadConfig(getenv func(string) string, randomKey func() []byte) (Config, error) {
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	var errs []error
	cfg := Config{
		Addr:         get("ADDR", ":8080"),
		DatabaseURL:  get("DATABASE_URL", defaultDatabaseURL),
		ResendAPIKey: get("RESEND_API_KEY", ""),
		SiteName:     get("SITE_NAME", "加盟店管理サイト"),
	}

	switch env := get("APP_ENV", "development"); env {
	case "development":
	case "production":
		cfg.Production = true
	default:
		errs = append(errs, fmt.Errorf("APP_ENV=%q: use development or production", env))
	}

	base, err := url.Parse(strings.TrimSuffix(get("BASE_URL", "http://localhost:8080"), "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" || base.RawQuery != "" || base.Fragment != "" || base.User != nil || (base.Path != "" && base.Path != "/") {
		errs = append(errs, fmt.Errorf("BASE_URL=%q: use an origin such as https://reset.example.com (no path: the app is served at the root)", getenv("BASE_URL")))
	} else {
		cfg.BaseURL = base
	}

	from, err := mail.ParseAddress(get("MAIL_FROM", "加盟店管理サイト <no-reply@example.com>"))
	if err != nil {
		errs = append(errs, fmt.Errorf("MAIL_FROM: %v (use \"Name <address@example.com>\")", err))
	} else {
		cfg.MailFrom = from
	}

	cfg.FrameAncestors, err = parseOrigins(get("FRAME_ANCESTORS", ""))
	if err != nil {
		errs = append(errs, err)
	}
	cfg.DemoAddr = get("DEMO_ADDR", "127.0.0.1:8081")
	if !cfg.Production && cfg.DemoAddr != "off" {
		// The demo help center must be allowed to frame the steps.
		if origin := demoOrigin(cfg.DemoAddr); origin != "" && !slices.Contains(cfg.FrameAncestors, origin) {
			cfg.FrameAncestors = append(cfg.FrameAncestors, origin)
		}
	}
	if cfg.MetricsAllow, err = parsePrefixes("METRICS_ALLOW", get("METRICS_ALLOW", "")); err != nil {
		errs = append(errs, err)
	}
	if cfg.TrustedProxies, err = parsePrefixes("TRUSTED_PROXIES", get("TRUSTED_PROXIES", "")); err != nil {
		errs = append(errs, err)
	}
	cfg.TokenTTL = parseDuration(get("TOKEN_TTL", "30m"), "TOKEN_TTL", time.Minute, 7*24*time.Hour, &errs)
	cfg.StateTTL = parseDuration(get("FORM_TTL", "30m"), "FORM_TTL", time.Minute, 24*time.Hour, &errs)

	cfg.PasswordMinLength, err = strconv.Atoi(get("PASSWORD_MIN_LENGTH", "12"))
	if err != nil || cfg.PasswordMinLength < 8 || cfg.PasswordMinLength > 64 {
		errs = append(errs, fmt.Errorf("PASSWORD_MIN_LENGTH=%q: use a number from 8 to 64", getenv("PASSWORD_MIN_LENGTH")))
	}

	cfg.SessionTTL = parseDuration(get("SESSION_TTL", "12h"), "SESSION_TTL", time.Minute, 30*24*time.Hour, &errs)
	cfg.LockoutWindow = parseDuration(get("LOGIN_LOCKOUT_WINDOW", "15m"), "LOGIN_LOCKOUT_WINDOW", time.Minute, 24*time.Hour, &errs)
	cfg.LockoutThreshold, err = strconv.Atoi(get("LOGIN_LOCKOUT_THRESHOLD", "10"))
	if err != nil || cfg.LockoutThreshold < 3 || cfg.LockoutThreshold > 1000 {
		errs = append(errs, fmt.Errorf("LOGIN_LOCKOUT_THRESHOLD=%q: use a number from 3 to 1000", getenv("LOGIN_LOCKOUT_THRESHOLD")))
	}

	cfg.Resend = parseResendSettings(get, &errs)

	drain := "0s"
	if cfg.Production {
		drain = "5s"
	}
	cfg.ShutdownDrain = parseDuration(get("SHUTDOWN_DRAIN", drain), "SHUTDOWN_DRAIN", 0, time.Minute, &errs)
	if err := cfg.LogLevel.UnmarshalText([]byte(get("LOG_LEVEL", "info"))); err != nil {
		errs = append(errs, fmt.Errorf("LOG_LEVEL=%q: use debug, info, warn or error", getenv("LOG_LEVEL")))
	}

	if getenv("SEND_MIN_DURATION") != "" {
		cfg.Deprecated = append(cfg.Deprecated, "SEND_MIN_DURATION is ignored: step 3 no longer waits, it only records the request (remove the setting)")
	}
	cfg.LoginFailureFloor = parseDuration(get("LOGIN_FAILURE_MIN_DURATION", "400ms"), "LOGIN_FAILURE_MIN_DURATION", 0, 5*time.Second, &errs)
	cfg.MailAddressRetention = parseDuration(get("MAIL_ADDRESS_RETENTION", "2160h"), "MAIL_ADDRESS_RETENTION", 24*time.Hour, 10*366*24*time.Hour, &errs)
	cfg.AuditRetention = parseDuration(get("AUDIT_RETENTION", defaultAuditRetention), "AUDIT_RETENTION", 24*time.Hour, 10*366*24*time.Hour, &errs)
	cfg.Limits = defaultLimits()
	for _, l := range []struct {
		name  string
		limit *Limit
	}{
		{"LIMIT_SENDS_PER_IP", &cfg.Limits.SendsPerIP},
		{"LIMIT_MAILS_PER_ACCOUNT", &cfg.Limits.MailsPerAccount},
		{"LIMIT_MAILS_GLOBAL", &cfg.Limits.MailsGlobal},
		{"LIMIT_LINK_GUESSES_PER_IP", &cfg.Limits.LinkGuessesPerIP},
		{"LIMIT_LOGINS_PER_IP", &cfg.Limits.LoginsPerIP},
	} {
		if v := get(l.name, ""); v != "" {
			parsed, err := parseLimit(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s=%w", l.name, err))
			} else {
				*l.limit = parsed
			}
		}
	}

	if secret := get("SECRET_KEY", ""); secret != "" {
		cfg.SecretKey, err = hex.DecodeString(secret)
		if err != nil || len(cfg.SecretKey) < 32 {
			errs = append(errs, errors.New("SECRET_KEY: use at least 32 random bytes as hex (openssl rand -hex 32)"))
		}
	} else if !cfg.Production {
		cfg.SecretKey, cfg.SecretGenerated = randomKey(), true
	}
	for _, old := range splitList(get("SECRET_KEYS_OLD", "")) {
		key, err := hex.DecodeString(old)
		if err != nil || len(key) < 32 {
			errs = append(errs, errors.New("SECRET_KEYS_OLD: list earlier SECRET_KEY values, each 32 or more random bytes as hex, separated by commas or spaces"))
			break
		}
		cfg.SecretKeysOld = append(cfg.SecretKeysOld, key)
	}

	if cfg.Production {
		if len(cfg.SecretKey) == 0 {
			errs = append(errs, errors.New("production needs SECRET_KEY (openssl rand -hex 32)"))
		}
		if cfg.ResendAPIKey == "" {
			errs = append(errs, errors.New("production needs RESEND_API_KEY: the development mailbox is not served in production"))
		}
		if cfg.BaseURL != nil && cfg.BaseURL.Scheme != "https" {
			errs = append(errs, errors.New("production needs an https:// BASE_URL"))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, &ConfigError{Err: err}
	}
	return cfg, nil
}

// ConfigError is a setting that must be fixed before the app can start;
// the process exits with ExitConfig for it, which the systemd unit does
// not restart on.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return "config: " + e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// ExitConfig is the exit status of a configuration error (sysexits.h's
// EX_CONFIG).
const ExitConfig = 78

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

func parseDuration(s, name string, min, max time.Duration, errs *[]error) time.Duration {
	d, err := time.ParseDuration(s)
	if err != nil || d < min || d > max {
		example := "30m"
		if min > 30*time.Minute {
			example = min.String()
		}
		*errs = append(*errs, fmt.Errorf("%s=%q: use a duration from %v to %v, such as %s", name, s, min, max, example))
	}
	return d
}

// mailFrom is MAIL_FROM as a From header in plain UTF-8; the mail provider
// encodes it.
func (c Config) mailFrom() string {
	if c.MailFrom.Name == "" {
		return c.MailFrom.Address
	}
	return fmt.Sprintf("%s <%s>", c.MailFrom.Name, c.MailFrom.Address)
}

// cookieName adds the __Host- prefix over HTTPS, which makes browsers insist
// on Secure, Path=/ and no Domain.
func (c Config) cookieName(name string) string {
	if c.HTTPS() {
		return "__Host-" + name
	}
	return name
}
