package config

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// defaultAuditRetention is 400 days: a year of history plus the time to
// look into a complaint about it.
const defaultAuditRetention = "9600h"

// Load reads the settings through getenv (os.Getenv in production). In
// development a missing SECRET_KEY is replaced by randomKey(); in production
// unsafe settings are refused with a message saying what to set. Every
// problem is reported at once, as an *Error.
func Load(getenv func(string) string, randomKey func() []byte) (Config, error) {
	r := &reader{getenv: getenv}
	cfg := Config{
		Addr:         r.get("ADDR", ":8080"),
		DatabaseURL:  r.get("DATABASE_URL", DefaultDatabaseURL),
		ResendAPIKey: r.get("RESEND_API_KEY", ""),
	}
	switch env := r.get("APP_ENV", "development"); env {
	case "development":
	case "production":
		cfg.Production = true
	default:
		r.fail(fmt.Errorf("APP_ENV=%q: use development or production", env))
	}
	r.brand(&cfg)
	r.site(&cfg)
	r.network(&cfg)
	r.accounts(&cfg)
	r.operations(&cfg)
	cfg.Resend = r.resend()
	cfg.Limits = r.limits()
	r.secrets(&cfg, randomKey)
	if cfg.Production {
		r.production(&cfg)
	}
	if err := errors.Join(r.errs...); err != nil {
		return Config{}, &Error{Err: err}
	}
	return cfg, nil
}

// reader reads settings and collects what is wrong with them.
type reader struct {
	getenv func(string) string
	errs   []error
}

func (r *reader) fail(err error) { r.errs = append(r.errs, err) }

// get is the trimmed value of name, or def when it is unset or blank.
func (r *reader) get(name, def string) string {
	if v := strings.TrimSpace(r.getenv(name)); v != "" {
		return v
	}
	return def
}

// duration reads name as a duration from min to max.
func (r *reader) duration(name, def string, min, max time.Duration) time.Duration {
	s := r.get(name, def)
	d, err := time.ParseDuration(s)
	if err != nil || d < min || d > max {
		example := "30m"
		if min > 30*time.Minute {
			example = min.String()
		}
		r.fail(fmt.Errorf("%s=%q: use a duration from %v to %v, such as %s", name, s, min, max, example))
	}
	return d
}

// number reads name as a whole number from min to max.
func (r *reader) number(name, def string, min, max int) int {
	n, err := strconv.Atoi(r.get(name, def))
	if err != nil || n < min || n > max {
		r.fail(fmt.Errorf("%s=%q: use a number from %d to %d", name, r.getenv(name), min, max))
	}
	return n
}

// site reads where the app is served and what it calls itself.
func (r *reader) site(cfg *Config) {
	base, err := url.Parse(strings.TrimSuffix(r.get("BASE_URL", "http://localhost:8080"), "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" || base.RawQuery != "" || base.Fragment != "" || base.User != nil || (base.Path != "" && base.Path != "/") {
		r.fail(fmt.Errorf("BASE_URL=%q: use an origin such as https://reset.example.com (no path: the app is served at the root)", r.getenv("BASE_URL")))
	} else {
		cfg.BaseURL = base
	}
	from, err := mail.ParseAddress(r.get("MAIL_FROM", "no-reply@example.com"))
	if err != nil {
		r.fail(fmt.Errorf("MAIL_FROM: %v (use \"Name <address@example.com>\")", err))
	} else {
		if from.Name == "" {
			from.Name = cfg.Brand.senderName()
		}
		cfg.MailFrom = from
	}
}

// network reads who may frame the steps, which proxies to trust and who
// may read /metrics.
func (r *reader) network(cfg *Config) {
	var err error
	if cfg.FrameAncestors, err = parseOrigins(r.get("FRAME_ANCESTORS", "")); err != nil {
		r.fail(err)
	}
	cfg.DemoAddr = r.get("DEMO_ADDR", "127.0.0.1:8081")
	if !cfg.Production && cfg.DemoAddr != "off" {
		// The demo help center must be allowed to frame the steps.
		if origin := DemoOrigin(cfg.DemoAddr); origin != "" && !slices.Contains(cfg.FrameAncestors, origin) {
			cfg.FrameAncestors = append(cfg.FrameAncestors, origin)
		}
	}
	// The support console is off unless ADMIN_ADDR is set; `go run .`
	// serves it on this machine, as it does the demo.
	cfg.AdminAddr = r.get("ADMIN_ADDR", "")
	if cfg.AdminAddr == "" && !cfg.Production {
		cfg.AdminAddr = "127.0.0.1:8082"
	}
	if cfg.AdminAddr == "off" {
		cfg.AdminAddr = ""
	}
	r.consoleURL(cfg)
	// Metrics have a listener of their own, on this machine unless set:
	// the public one never serves them, whatever a proxy in front adds.
	cfg.MetricsAddr = r.get("METRICS_ADDR", "127.0.0.1:9464")
	if cfg.MetricsAddr == "off" {
		cfg.MetricsAddr = ""
	}
	if cfg.MetricsAllow, err = parsePrefixes("METRICS_ALLOW", r.get("METRICS_ALLOW", "")); err != nil {
		r.fail(err)
	}
	if cfg.TrustedProxies, err = parsePrefixes("TRUSTED_PROXIES", r.get("TRUSTED_PROXIES", "")); err != nil {
		r.fail(err)
	}
}

// accounts reads the lifetimes of links, forms and sessions, and the rules
// of passwords and lockouts.
func (r *reader) accounts(cfg *Config) {
	cfg.TokenTTL = r.duration("TOKEN_TTL", "30m", time.Minute, 7*24*time.Hour)
	cfg.StateTTL = r.duration("FORM_TTL", "30m", time.Minute, 24*time.Hour)
	cfg.PasswordMinLength = r.number("PASSWORD_MIN_LENGTH", "12", 8, 64)
	cfg.SessionTTL = r.duration("SESSION_TTL", "12h", time.Minute, 30*24*time.Hour)
	cfg.LockoutWindow = r.duration("LOGIN_LOCKOUT_WINDOW", "15m", time.Minute, 24*time.Hour)
	cfg.LockoutThreshold = r.number("LOGIN_LOCKOUT_THRESHOLD", "10", 3, 1000)
	cfg.LoginFailureFloor = r.duration("LOGIN_FAILURE_MIN_DURATION", "400ms", 0, 5*time.Second)
}

// operations reads shutdown, logging and retention.
func (r *reader) operations(cfg *Config) {
	drain := "0s"
	if cfg.Production {
		drain = "5s"
	}
	cfg.ShutdownDrain = r.duration("SHUTDOWN_DRAIN", drain, 0, time.Minute)
	if err := cfg.LogLevel.UnmarshalText([]byte(r.get("LOG_LEVEL", "info"))); err != nil {
		r.fail(fmt.Errorf("LOG_LEVEL=%q: use debug, info, warn or error", r.getenv("LOG_LEVEL")))
	}
	if r.getenv("LIMIT_MAILS_GLOBAL") != "" {
		cfg.Deprecated = append(cfg.Deprecated, "LIMIT_MAILS_GLOBAL is retired and ignored: mail over the provider's pace waits in the outbox and goes out at RESEND_RATE_LIMIT instead of being dropped (remove the setting)")
	}
	if r.getenv("SEND_MIN_DURATION") != "" {
		cfg.Deprecated = append(cfg.Deprecated, "SEND_MIN_DURATION is ignored: step 3 no longer waits, it only records the request (remove the setting)")
	}
	cfg.MailAddressRetention = r.duration("MAIL_ADDRESS_RETENTION", "2160h", 24*time.Hour, 10*366*24*time.Hour)
	cfg.AuditRetention = r.duration("AUDIT_RETENTION", defaultAuditRetention, 24*time.Hour, 10*366*24*time.Hour)
}

// limits reads the LIMIT_* settings over the defaults.
func (r *reader) limits() Limits {
	limits := defaultLimits()
	for _, l := range []struct {
		name  string
		limit *Limit
	}{
		{"LIMIT_SENDS_PER_IP", &limits.SendsPerIP},
		{"LIMIT_MAILS_PER_ACCOUNT", &limits.MailsPerAccount},
		{"LIMIT_LINK_GUESSES_PER_IP", &limits.LinkGuessesPerIP},
		{"LIMIT_LOGINS_PER_IP", &limits.LoginsPerIP},
	} {
		if v := r.get(l.name, ""); v != "" {
			parsed, err := ParseLimit(v)
			if err != nil {
				r.fail(fmt.Errorf("%s=%w", l.name, err))
			} else {
				*l.limit = parsed
			}
		}
	}
	return limits
}

// secrets reads SECRET_KEY (a random one in development when unset) and
// the keys it replaced.
func (r *reader) secrets(cfg *Config, randomKey func() []byte) {
	if secret := r.get("SECRET_KEY", ""); secret != "" {
		key, err := hex.DecodeString(secret)
		if err != nil || len(key) < 32 {
			r.fail(errors.New("SECRET_KEY: use at least 32 random bytes as hex (openssl rand -hex 32)"))
		}
		cfg.SecretKey = key
	} else if !cfg.Production {
		cfg.SecretKey, cfg.SecretGenerated = randomKey(), true
	}
	for _, old := range splitList(r.get("SECRET_KEYS_OLD", "")) {
		key, err := hex.DecodeString(old)
		if err != nil || len(key) < 32 {
			r.fail(errors.New("SECRET_KEYS_OLD: list earlier SECRET_KEY values, each 32 or more random bytes as hex, separated by commas or spaces"))
			return
		}
		cfg.SecretKeysOld = append(cfg.SecretKeysOld, key)
	}
}

// consoleURL reads CONSOLE_URL: the support console's origin as staff's
// browsers reach it, from which invitation links are built and whose host
// alone the console answers to (DNS rebinding, forged Host headers). In
// development it defaults to ADMIN_ADDR on localhost.
func (r *reader) consoleURL(cfg *Config) {
	v := r.get("CONSOLE_URL", "")
	if v == "" {
		if cfg.AdminAddr == "" {
			return
		}
		if cfg.Production {
			r.fail(errors.New("ADMIN_ADDR is set: production needs CONSOLE_URL, the support console's address as staff reach it (https://console.example.com): invitation links are built from it and the console answers to its host alone"))
			return
		}
		_, port, err := net.SplitHostPort(cfg.AdminAddr)
		if err != nil {
			return // ADMIN_ADDR's own check names the problem
		}
		v = "http://localhost:" + port
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		r.fail(fmt.Errorf("CONSOLE_URL=%q: use the console's origin, such as https://console.example.com", v))
		return
	}
	u.Path = ""
	if cfg.Production && u.Scheme != "https" && !isLoopbackName(u.Hostname()) {
		r.fail(errors.New("production needs an https:// CONSOLE_URL (or one on this machine, reached through a tunnel)"))
		return
	}
	cfg.ConsoleURL = u
}

// IsConsoleHost reports whether a request's Host header (with or without
// a port) names the console: CONSOLE_URL's host, or, when that is a name
// of this machine, any name of this machine.
func (c Config) IsConsoleHost(hostport string) bool {
	if c.ConsoleURL == nil {
		return false
	}
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	want := c.ConsoleURL.Hostname()
	return strings.EqualFold(host, want) || (isLoopbackName(want) && isLoopbackName(host))
}

// isLoopbackName reports localhost or a loopback address.
func isLoopbackName(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// production refuses what is only safe in development.
func (r *reader) production(cfg *Config) {
	if len(cfg.SecretKey) == 0 {
		r.fail(errors.New("production needs SECRET_KEY (openssl rand -hex 32)"))
	}
	if cfg.ResendAPIKey == "" {
		r.fail(errors.New("production needs RESEND_API_KEY: the development mailbox is not served in production"))
	}
	if cfg.BaseURL != nil && cfg.BaseURL.Scheme != "https" {
		r.fail(errors.New("production needs an https:// BASE_URL"))
	}
}

// DemoOrigin is the origin the demo help center is served on: the IP form
// of DEMO_ADDR, so that beside a BASE_URL on "localhost" it is another site,
// as the real help center is.
func DemoOrigin(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	if host == "" || host == "0.0.0.0" || host == "::" || strings.EqualFold(host, "localhost") {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}
