package db

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"
)

// loginFailureKinds are the audit kinds anyone can add to an account's
// history by posting its login ID to /login: the history shows each run of
// them as one entry.
var loginFailureKinds = []AuditKind{AuditLoginFailed, AuditLoginLocked}

// historyAudit reads the account's audit events newest first, each run of
// login failures with nothing else between them as one row: its latest
// time, its first (since), how many and from how many addresses. The run
// is found in SQL (the difference of two row numbers is constant along a
// run), so that a flood of failures costs one row however long it is.
const historyAudit = `
WITH events AS (
	SELECT id, at, kind, ip, detail, count, staff_id,
		CASE WHEN kind IN (?) THEN 1 ELSE 0 END AS failed,
		ROW_NUMBER() OVER (ORDER BY at DESC, id DESC)
			- ROW_NUMBER() OVER (PARTITION BY CASE WHEN kind IN (?) THEN 1 ELSE 0 END ORDER BY at DESC, id DESC) AS run
	FROM audit_events WHERE account_id = ?
)
SELECT MAX(e.at) AS at, MIN(e.at) AS since, MAX(e.kind) AS kind, MAX(e.detail) AS detail,
	MIN(e.ip) AS ip, COUNT(DISTINCT e.ip) AS ips, SUM(e.count) AS count, MAX(s.email) AS staff_email
FROM events AS e LEFT JOIN staff AS s ON s.id = e.staff_id
GROUP BY e.failed, CASE WHEN e.failed = 1 THEN e.run ELSE e.id END
ORDER BY MAX(e.at) DESC, MAX(e.id) DESC
LIMIT ?`

// AccountHistory merges the account's audit events, reset links and mail,
// newest first, a page at a time: the limit entries after skipping the
// newest offset, and whether older ones remain. Within a second, audit
// events come before the rows they describe. A run of failed logins is one entry (the
// latest, with Since and Count), so that a stranger posting the account's
// login ID to /login cannot push its real events off the first page.
func AccountHistory(ctx context.Context, idb bun.IDB, accountID int64, now time.Time, offset, limit int) (entries []TimelineEntry, more bool, err error) {
	// Each source's newest offset+limit+1 entries hold the merged page and
	// tell whether one more follows.
	n := offset + limit + 1
	var rows []struct {
		At         time.Time `bun:"at"`
		Since      time.Time `bun:"since"`
		Kind       string    `bun:"kind"`
		Detail     string    `bun:"detail"`
		IP         string    `bun:"ip"`
		IPs        int       `bun:"ips"`
		Count      int       `bun:"count"`
		StaffEmail string    `bun:"staff_email"`
	}
	kinds := bun.List(loginFailureKinds)
	if err := idb.NewRaw(historyAudit, kinds, kinds, accountID, n).Scan(ctx, &rows); err != nil {
		return nil, false, fmt.Errorf("db: account history: %w", err)
	}
	for _, r := range rows {
		e := TimelineEntry{At: r.At, Source: FromAudit, What: r.Kind, Detail: r.Detail, IP: r.IP, Staff: r.StaffEmail, Count: r.Count}
		if slices.Contains(loginFailureKinds, AuditKind(r.Kind)) {
			e.Since, e.IPs = r.Since, r.IPs
			if r.IPs > 1 {
				e.IP = ""
			}
		}
		entries = append(entries, e)
	}
	links, err := linkEntries(ctx, idb, accountID, now, n)
	if err != nil {
		return nil, false, err
	}
	mails, err := mailEntries(ctx, idb, accountID, n)
	if err != nil {
		return nil, false, err
	}
	entries = append(append(entries, links...), mails...)
	slices.SortStableFunc(entries, func(a, b TimelineEntry) int { return b.At.Compare(a.At) })
	if len(entries) <= offset {
		return nil, false, nil
	}
	entries = entries[offset:]
	if len(entries) > limit {
		return entries[:limit], true, nil
	}
	return entries, false, nil
}
