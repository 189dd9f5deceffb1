// Package limit counts events in the database, so that every instance
// shares one count: the per-client limits of the web app and the mail
// limits of the intake worker.
package limit

import (
	"context"
	"log/slog"
	"net/netip"
	"time"

	"github.com/uptrace/bun"

	"aikagi/app/config"
	"aikagi/app/metrics"
	"aikagi/db"
)

// Name names a limit, as metrics and the audit trail show it.
type Name string

const (
	SendsPerIP        Name = "sends per IP"         // step 3 submissions per client
	LoginsPerIP       Name = "logins per IP"        // login attempts per client
	LinksPerIP        Name = "unknown links per IP" // unknown reset links opened or reported per client
	MailsPerRecipient Name = "mails per recipient"  // mails to one account or address
)

// Names lists every limit.
var Names = []Name{SendsPerIP, LoginsPerIP, LinksPerIP, MailsPerRecipient}

// Limiter applies the LIMIT_* settings.
type Limiter struct {
	db      *bun.DB
	log     *slog.Logger
	now     func() time.Time
	metrics *metrics.Metrics
	limits  config.Limits
}

// New returns a Limiter; every limit's refusal series starts at zero.
func New(bdb *bun.DB, log *slog.Logger, now func() time.Time, m *metrics.Metrics, limits config.Limits) *Limiter {
	for _, name := range Names {
		m.RateLimited.WithLabelValues(string(name))
	}
	return &Limiter{db: bdb, log: log, now: now, metrics: m, limits: limits}
}

// Of is the setting of the limit name.
func (l *Limiter) Of(name Name) config.Limit {
	switch name {
	case SendsPerIP:
		return l.limits.SendsPerIP
	case LoginsPerIP:
		return l.limits.LoginsPerIP
	case LinksPerIP:
		return l.limits.LinkGuessesPerIP
	case MailsPerRecipient:
		return l.limits.MailsPerAccount
	}
	panic("limit: unknown limit " + name)
}

// Hit counts one event against key under lim and reports whether it is
// still within it. Pass the transaction when inside one.
func (l *Limiter) Hit(ctx context.Context, idb bun.IDB, lim config.Limit, key string) (bool, error) {
	n, err := db.CountHit(ctx, idb, key, l.now(), lim.Window)
	if err != nil {
		return false, err
	}
	return n <= lim.Max, nil
}

// PerClient counts one event of the client at ip under name, a per-client
// limit, and reports whether it is still within it. A refusal is counted
// in the metrics.
func (l *Limiter) PerClient(ctx context.Context, name Name, ip string) (bool, error) {
	var prefix string
	switch name {
	case SendsPerIP:
		prefix = "send:ip:"
	case LoginsPerIP:
		prefix = "login:ip:"
	case LinksPerIP:
		prefix = "link:ip:"
	default:
		panic("limit: not a per-client limit: " + name)
	}
	ok, err := l.Hit(ctx, l.db, l.Of(name), prefix+ClientKey(ip))
	if err == nil && !ok {
		l.metrics.RateLimited.WithLabelValues(string(name)).Inc()
	}
	return ok, err
}

// MailAllowed counts one mail against its recipient's limit (key). It
// returns MailsPerRecipient when that refuses the mail, or "" when it may
// go. There is no limit on mail in all: mail over the provider's pace
// waits in the outbox instead of being dropped. The recipient's counter
// row also serialises concurrent requests for one account on PostgreSQL,
// so they cannot both leave a valid link.
func (l *Limiter) MailAllowed(ctx context.Context, tx bun.IDB, key string) (refusedBy Name, err error) {
	ok, err := l.Hit(ctx, tx, l.limits.MailsPerAccount, key)
	if err != nil || ok {
		return "", err
	}
	l.metrics.RateLimited.WithLabelValues(string(MailsPerRecipient)).Inc()
	return MailsPerRecipient, nil
}

// ClientKey is the client part of a per-client limit's key: the address
// for IPv4, the /64 for IPv6, where one subscriber commonly holds a whole
// /64.
func ClientKey(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil || addr.Is4() {
		return ip
	}
	return netip.PrefixFrom(addr, 64).Masked().String()
}
