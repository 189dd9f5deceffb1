package db_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"aikagi/db"
)

func TestCountHitFixedWindows(t *testing.T) {
	forEachDialect(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		for i, want := range []int{1, 2, 3} {
			got, err := db.CountHit(ctx, bdb, "send:ip:192.0.2.1", t0.Add(time.Duration(i)*time.Minute), time.Hour)
			if err != nil || got != want {
				t.Fatalf("hit %d = %d, %v; want %d", i, got, err, want)
			}
		}
		if got, _ := db.CountHit(ctx, bdb, "send:ip:192.0.2.2", t0, time.Hour); got != 1 {
			t.Errorf("another key shares the counter: %d", got)
		}
		if got, _ := peekHits(ctx, bdb, "send:ip:192.0.2.1", t0, time.Hour); got != 3 {
			t.Errorf("peek = %d, want 3", got)
		}
		// The next window starts from zero.
		if got, _ := db.CountHit(ctx, bdb, "send:ip:192.0.2.1", t0.Add(time.Hour), time.Hour); got != 1 {
			t.Errorf("next window = %d, want 1", got)
		}
		n, err := db.DeleteExpiredCounters(ctx, bdb, t0.Add(time.Hour))
		if err != nil || n != 2 {
			t.Errorf("deleted %d expired counters (%v), want 2", n, err)
		}
	})
}

// Hits from many goroutines (as from several instances) are all counted.
func TestCountHitConcurrent(t *testing.T) {
	forEachDialect(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		const n = 40
		var wg sync.WaitGroup
		seen := make(chan int, n)
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := db.CountHit(ctx, bdb, "login:ip:198.51.100.7", t0, 15*time.Minute)
				if err != nil {
					t.Error(err)
				}
				seen <- c
			}()
		}
		wg.Wait()
		close(seen)
		counts := map[int]bool{}
		for c := range seen {
			if counts[c] {
				t.Errorf("two hits got the same count %d", c)
			}
			counts[c] = true
		}
		if got, _ := peekHits(ctx, bdb, "login:ip:198.51.100.7", t0, 15*time.Minute); got != n {
			t.Errorf("final count %d, want %d", got, n)
		}
	})
}

// peekHits reads key's count in the window containing now, without adding.
func peekHits(ctx context.Context, bdb *bun.DB, key string, now time.Time, window time.Duration) (int, error) {
	var count int
	err := bdb.NewSelect().Table("rate_counters").Column("count").
		Where("key = ?", key).Where("window_start = ?", db.Stamp(now).Truncate(window)).
		Scan(ctx, &count)
	return count, err
}
