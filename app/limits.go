package app

import (
	"context"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"aikagi/app/limit"
	"aikagi/app/problem"
	"aikagi/db"
)

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

// limited refuses a request over the per-client limit name, with a
// polite 429 page, and audits it. Only limits that do not depend on an
// account answer this way.
//
// The refusals of one client under one limit in one window of it share an
// audit row that counts them (with the IP and user agent of the first): a
// flood of refused requests is exactly what must not grow the trail by a
// row each.
func (a *App) limited(ctx context.Context, who client, name limit.Name) error {
	l := a.limits.Of(name)
	now := a.now()
	window := db.Stamp(now).Truncate(l.Window)
	key := strings.Join([]string{string(db.AuditRateLimited), string(name), limit.ClientKey(who.IP), window.Format(time.RFC3339)}, "|")
	event := &db.AuditEvent{Kind: db.AuditRateLimited, IP: who.IP, UserAgent: who.UserAgent, Detail: string(name)}
	if err := db.RecordAuditAggregated(ctx, a.db, event, key, now); err != nil {
		return err
	}
	return &problemError{status: fiber.StatusTooManyRequests, problem: problem.TooManyRequests, wait: window.Add(l.Window).Sub(now)}
}
