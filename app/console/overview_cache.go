package console

import (
	"context"
	"sync"
	"time"

	"aikagi/db"
)

// overviewSettle is how long after an hour ends its figures are taken as
// final and kept: events are recorded with their request's time, which the
// intake worker may write a little later, and mail or reset links may be
// marked a little after the fact.
const overviewSettle = 10 * time.Minute

// hourLoader reads the figures of the hours from from up to to.
type hourLoader func(ctx context.Context, from, to time.Time) ([]db.OverviewHour, error)

// hourCache keeps the overview's figures of settled hours, so that each
// page view reads only the hours still open. It holds at most the hours of
// the last range asked for (about 15 days: a few hundred small entries)
// and is safe for concurrent use.
type hourCache struct {
	load  hourLoader
	mu    sync.Mutex
	hours map[time.Time]db.OverviewHour // by the hour's start, UTC
}

func newHourCache(load hourLoader) *hourCache {
	return &hourCache{load: load, hours: map[time.Time]db.OverviewHour{}}
}

// get returns the figures of each hour from from up to to (rounded down to
// the hour), oldest first: the settled ones it holds, the rest read in one
// range from the first hour it lacks. Callers must not change the result's
// Waits.
func (c *hourCache) get(ctx context.Context, now, from, to time.Time) ([]db.OverviewHour, error) {
	from, to = from.UTC().Truncate(time.Hour), to.UTC().Truncate(time.Hour)
	c.mu.Lock()
	for start := range c.hours {
		if start.Before(from) {
			delete(c.hours, start)
		}
	}
	var out []db.OverviewHour
	gap := from
	for ; gap.Before(to); gap = gap.Add(time.Hour) {
		h, ok := c.hours[gap]
		if !ok {
			break
		}
		out = append(out, h)
	}
	c.mu.Unlock()
	if !gap.Before(to) {
		return out, nil
	}
	fresh, err := c.load(ctx, gap, to)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	for _, h := range fresh {
		if settled(h.Start, now) {
			c.hours[h.Start] = h
		}
	}
	c.mu.Unlock()
	return append(out, fresh...), nil
}

// settled reports whether the hour starting at start is over by
// overviewSettle at now.
func settled(start, now time.Time) bool {
	return !now.Before(start.Add(time.Hour + overviewSettle))
}
