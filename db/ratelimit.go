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

// TakeSlot books the next free slot for a request under key's pace: one
// request every interval, shared by every instance. The slot is now when
// the pace is idle, else the end of the last booked slot; the caller waits
// until it. One atomic upsert, so two instances never get the same slot.
func TakeSlot(ctx context.Context, idb bun.IDB, key string, now time.Time, interval time.Duration) (time.Time, error) {
	greatest := "GREATEST"
	if !IsPostgres(idb) {
		greatest = "MAX"
	}
	at, step := now.UnixMicro(), interval.Microseconds()
	var next int64
	err := idb.NewRaw(`
INSERT INTO provider_pace (key, next_slot) VALUES (?, ?)
ON CONFLICT (key) DO UPDATE SET next_slot = `+greatest+`(provider_pace.next_slot, ?) + ?
RETURNING next_slot`, key, at+step, at, step).Scan(ctx, &next)
	if err != nil {
		return time.Time{}, fmt.Errorf("db: take slot: %w", err)
	}
	return time.UnixMicro(next - step).UTC(), nil
}

// HoldSlots books every slot of key's pace until until: no request goes
// out before then (the provider asked everyone to wait).
func HoldSlots(ctx context.Context, idb bun.IDB, key string, until time.Time) error {
	greatest := "GREATEST"
	if !IsPostgres(idb) {
		greatest = "MAX"
	}
	at := until.UnixMicro()
	_, err := idb.NewRaw(`
INSERT INTO provider_pace (key, next_slot) VALUES (?, ?)
ON CONFLICT (key) DO UPDATE SET next_slot = `+greatest+`(provider_pace.next_slot, ?)`, key, at, at).Exec(ctx)
	if err != nil {
		return fmt.Errorf("db: hold slots: %w", err)
	}
	return nil
}
