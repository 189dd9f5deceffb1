package db

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// CountHit adds one hit to key's counter for the fixed window of length
// window that contains now, and returns the count including this hit. It is
// one atomic upsert, so concurrent instances never lose a hit.
func CountHit(ctx context.Context, idb bun.IDB, key string, now time.Time, window time.Duration) (int, error) {
	start := Stamp(now).Truncate(window)
	var count int
	err := idb.NewRaw(`
INSERT INTO rate_counters (key, window_start, count, expires_at) VALUES (?, ?, 1, ?)
ON CONFLICT (key, window_start) DO UPDATE SET count = rate_counters.count + 1
RETURNING count`, key, start, start.Add(window)).Scan(ctx, &count)
	if err != nil {
		return 0, fmt.Errorf("db: count hit: %w", err)
	}
	return count, nil
}

// DeleteExpiredCounters removes counters whose window has passed.
func DeleteExpiredCounters(ctx context.Context, idb bun.IDB, now time.Time) (int64, error) {
	res, err := idb.NewDelete().Table("rate_counters").Where("expires_at <= ?", Stamp(now)).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("db: delete expired counters: %w", err)
	}
	return res.RowsAffected()
}
