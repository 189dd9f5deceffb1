package app

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"aikagi/app/problem"
	"aikagi/db"
)

// Names of the limits, as metrics and the audit trail show them.
const (
	limitSendsPerIP        = "sends per IP"
	limitLoginsPerIP       = "logins per IP"
	limitLinksPerIP        = "unknown links per IP"
	limitMailsPerRecipient = "mails per recipient"
	limitMailsInAll        = "mails in all"
)

var limitNames = []string{limitSendsPerIP, limitLoginsPerIP, limitLinksPerIP, limitMailsPerRecipient, limitMailsInAll}

// Limit allows Max events per Window, counted in the database so that every
// instance shares it.
type Limit struct {
	Max    int
	Window time.Duration
}

func (l Limit) String() string { return fmt.Sprintf("%d/%v", l.Max, l.Window) }

// Limits are the rate limits, each set by an environment variable such as
// LIMIT_MAILS_PER_ACCOUNT=3/1h.
type Limits struct {
	SendsPerIP       Limit // step 3 submissions per client IP
	MailsPerAccount  Limit // reset mails per account; more requests still see step 3
	MailsGlobal      Limit // reset mails in all, against floods through many accounts
	LinkGuessesPerIP Limit // unknown reset links opened or submitted per client IP
	LoginsPerIP      Limit // login attempts per client IP
}

func defaultLimits() Limits {
	return Limits{
		SendsPerIP:       Limit{20, time.Hour},
		MailsPerAccount:  Limit{3, time.Hour},
		MailsGlobal:      Limit{120, time.Minute},
		LinkGuessesPerIP: Limit{20, 15 * time.Minute},
		LoginsPerIP:      Limit{50, 15 * time.Minute},
	}
}

// parseLimit reads "N/DURATION", for example "3/1h".
func parseLimit(s string) (Limit, error) {
	n, d, ok := strings.Cut(s, "/")
	max, err := strconv.Atoi(strings.TrimSpace(n))
	if !ok || err != nil || max < 1 {
		return Limit{}, fmt.Errorf("%q: use COUNT/DURATION such as 3/1h", s)
	}
	window, err := time.ParseDuration(strings.TrimSpace(d))
	if err != nil || window < time.Second || window > 24*time.Hour {
		return Limit{}, fmt.Errorf("%q: use COUNT/DURATION such as 3/1h (1s to 24h)", s)
	}
	return Limit{Max: max, Window: window}, nil
}

// hit counts one event against key under l and reports whether it is
// still within the limit. Pass the transaction when inside one.
func (a *App) hit(ctx context.Context, idb bun.IDB, l Limit, key string) (bool, error) {
	n, err := db.CountHit(ctx, idb, key, a.now(), l.Window)
	if err != nil {
		return false, err
	}
	return n <= l.Max, nil
}

// padTo waits until floor has passed since start, so that a response's
// timing does not depend on what the database found.
func padTo(ctx context.Context, start time.Time, floor time.Duration) {
	wait := time.Until(start.Add(floor))
	if wait <= 0 {
		return
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// limited refuses a request over the per-client limit l, named name, with a
// polite 429 page, and audits it. Only limits that do not depend on an
// account answer this way.
//
// The refusals of one client under one limit in one window of it share an
// audit row that counts them (with the IP and user agent of the first): a
// flood of refused requests is exactly what must not grow the trail by a
// row each.
func (a *App) limited(ctx context.Context, who client, name string, l Limit) error {
	a.metrics.rateLimited.WithLabelValues(name).Inc()
	now := a.now()
	window := db.Stamp(now).Truncate(l.Window)
	key := strings.Join([]string{db.AuditRateLimited, name, limitKey(who.IP), window.Format(time.RFC3339)}, "|")
	event := &db.AuditEvent{Kind: db.AuditRateLimited, IP: who.IP, UserAgent: who.UserAgent, Detail: name}
	if err := db.RecordAuditAggregated(ctx, a.db, event, key, now); err != nil {
		return err
	}
	return refuse(fiber.StatusTooManyRequests, problem.TooManyRequests, nil)
}

// mailAllowed counts one mail against its recipient's limit (key) and, only
// when that passes, against the global one, so that requests already
// refused for one account cannot use up everyone's allowance. It returns the
// name of the limit that refused the mail, or "" when it may go. The
// recipient's counter row also serialises concurrent requests for one
// account on PostgreSQL, so they cannot both leave a valid link.
func (a *App) mailAllowed(ctx context.Context, tx bun.IDB, key string) (refusedBy string, err error) {
	ok, err := a.hit(ctx, tx, a.cfg.Limits.MailsPerAccount, key)
	if err != nil {
		return "", err
	}
	if !ok {
		refusedBy = limitMailsPerRecipient
	} else if ok, err = a.hit(ctx, tx, a.cfg.Limits.MailsGlobal, "mail:all"); err != nil {
		return "", err
	} else if !ok {
		refusedBy = limitMailsInAll
		a.log.Warn("mails over the global limit; requests are answered but not mailed", "limit", a.cfg.Limits.MailsGlobal.String())
	}
	if refusedBy != "" {
		a.metrics.rateLimited.WithLabelValues(refusedBy).Inc()
	}
	return refusedBy, nil
}

// limitKey is the client part of a per-IP limit's key: the address for
// IPv4, the /64 for IPv6, where one subscriber commonly holds a whole /64.
func limitKey(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil || addr.Is4() {
		return ip
	}
	return netip.PrefixFrom(addr, 64).Masked().String()
}
