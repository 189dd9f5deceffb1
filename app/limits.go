package app

import (
	"context"
	"net/netip"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"aikagi/app/config"
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

// hit counts one event against key under l and reports whether it is
// still within the limit. Pass the transaction when inside one.
func (a *App) hit(ctx context.Context, idb bun.IDB, l config.Limit, key string) (bool, error) {
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
func (a *App) limited(ctx context.Context, who client, name string, l config.Limit) error {
	a.metrics.RateLimited.WithLabelValues(name).Inc()
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
		a.metrics.RateLimited.WithLabelValues(refusedBy).Inc()
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
