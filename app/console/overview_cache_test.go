package console

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"aikagi/db"
)

// fakeHours answers like db.OverviewHours, one request per hour counted as
// matched, and records the ranges asked for.
type fakeHours struct {
	mu     sync.Mutex
	asked  []string
	counts map[time.Time]int
}

func (f *fakeHours) load(_ context.Context, from, to time.Time) ([]db.OverviewHour, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, from.Format("02 15:04")+"–"+to.Format("02 15:04"))
	var out []db.OverviewHour
	for h := from; h.Before(to); h = h.Add(time.Hour) {
		out = append(out, db.OverviewHour{Start: h, Requests: db.RequestCounts{Matched: f.counts[h]}})
	}
	return out, nil
}

func (f *fakeHours) lastAsked() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.asked) == 0 {
		return ""
	}
	return f.asked[len(f.asked)-1]
}

func TestHourCache(t *testing.T) {
	ctx := context.Background()
	base := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	f := &fakeHours{counts: map[time.Time]int{}}
	c := newHourCache(f.load)
	get := func(now time.Time, hours int) []db.OverviewHour {
		t.Helper()
		to := now.Truncate(time.Hour).Add(time.Hour)
		got, err := c.get(ctx, now, to.Add(-time.Duration(hours)*time.Hour), to)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != hours {
			t.Fatalf("%d hours, want %d", len(got), hours)
		}
		for i := 1; i < len(got); i++ {
			if !got[i].Start.Equal(got[i-1].Start.Add(time.Hour)) {
				t.Fatalf("hours out of order: %v then %v", got[i-1].Start, got[i].Start)
			}
		}
		return got
	}

	// The first view reads the whole range.
	now := base.Add(10*time.Hour + 30*time.Minute)
	get(now, 4)
	if got := f.lastAsked(); got != "01 07:00–01 11:00" {
		t.Errorf("first read %s", got)
	}
	// Then only the open hour: 09:00 ended 90 minutes ago and is kept.
	get(now, 4)
	if got := f.lastAsked(); got != "01 10:00–01 11:00" {
		t.Errorf("second read %s, want the open hour only", got)
	}
	// Figures of a kept hour are not read again, so a late change to it
	// does not show; the open hour's do.
	f.counts[base.Add(9*time.Hour)] = 7
	f.counts[base.Add(10*time.Hour)] = 3
	got := get(now, 4)
	if got[2].Requests.Matched != 0 || got[3].Requests.Matched != 3 {
		t.Errorf("kept hour %d (want 0), open hour %d (want 3)", got[2].Requests.Matched, got[3].Requests.Matched)
	}
	// Just after an hour ends it is read again until it has settled.
	now = base.Add(11*time.Hour + 5*time.Minute)
	get(now, 4)
	if got := f.lastAsked(); got != "01 10:00–01 12:00" {
		t.Errorf("read %s, want the hour just ended and the open one", got)
	}
	now = base.Add(11*time.Hour + overviewSettle + time.Minute)
	get(now, 4)
	get(now, 4)
	if got := f.lastAsked(); got != "01 11:00–01 12:00" {
		t.Errorf("read %s, want the open hour only once 10:00 settled", got)
	}
	// Hours before the range are let go.
	c.mu.Lock()
	n := len(c.hours)
	c.mu.Unlock()
	if n != 3 {
		t.Errorf("%d hours kept, want the 3 settled hours of the range", n)
	}
}

// Concurrent views share the cache without a race (run with -race).
func TestHourCacheConcurrent(t *testing.T) {
	f := &fakeHours{counts: map[time.Time]int{}}
	c := newHourCache(f.load)
	now := time.Date(2026, 12, 1, 12, 30, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			later := now.Add(time.Duration(i) * 20 * time.Minute)
			to := later.Truncate(time.Hour).Add(time.Hour)
			if _, err := c.get(context.Background(), later, to.Add(-24*time.Hour), to); err != nil {
				t.Error(fmt.Sprint(err))
			}
		}()
	}
	wg.Wait()
}
