package db

import (
	"log/slog"
	"sync"
	"time"
)

// FailureLog logs the failures of an operation a worker repeats (a poll of
// the database) once per change of state: the first failure, and the
// recovery with how long it lasted and how many tries failed, instead of a
// line per poll while the database is down.
type FailureLog struct {
	mu      sync.Mutex
	failing bool
	since   time.Time
	count   int
}

// Failed records a failure of what (e.g. "outbox: deliver"), logging it
// only when the operation worked before.
func (f *FailureLog) Failed(log *slog.Logger, what string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count++
	if f.failing {
		return
	}
	f.failing, f.since, f.count = true, time.Now(), 1
	log.Error(what+": failing; further failures are not logged until it works again", "err", err)
}

// Succeeded records a success of what, logging the recovery when it was
// failing.
func (f *FailureLog) Succeeded(log *slog.Logger, what string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.failing {
		return
	}
	log.Info(what+": works again", "failed_for", time.Since(f.since).Round(time.Second).String(), "failures", f.count)
	f.failing, f.count = false, 0
}
