package db

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// OutboxSummary is the outbox at a glance, for metrics.
type OutboxSummary struct {
	Counts        map[OutboxStatus]int
	OldestWaiting time.Time // zero when nothing waits
}

// OutboxStats counts the outbox by status and finds the oldest mail that
// is not sent yet.
func OutboxStats(ctx context.Context, idb bun.IDB) (OutboxSummary, error) {
	var rows []struct {
		Status OutboxStatus `bun:"status"`
		N      int          `bun:"n"`
	}
	if err := idb.NewSelect().Table("outbox").Column("status").ColumnExpr("count(*) AS n").Group("status").Scan(ctx, &rows); err != nil {
		return OutboxSummary{}, fmt.Errorf("db: outbox stats: %w", err)
	}
	s := OutboxSummary{Counts: map[OutboxStatus]int{}}
	for _, r := range rows {
		s.Counts[r.Status] = r.N
	}
	var oldest []time.Time
	err := idb.NewSelect().Table("outbox").ColumnExpr("created_at").
		Where("status IN (?)", bun.List([]OutboxStatus{OutboxPending, OutboxSending})).
		Order("created_at").Limit(1).Scan(ctx, &oldest)
	if err != nil {
		return OutboxSummary{}, fmt.Errorf("db: outbox oldest: %w", err)
	}
	if len(oldest) == 1 {
		s.OldestWaiting = oldest[0]
	}
	return s, nil
}
