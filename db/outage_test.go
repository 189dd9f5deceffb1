package db_test

import (
	"errors"
	"log/slog"
	"strings"
	"testing"

	"aikagi/app/testkit"
	"aikagi/db"
)

// A worker polling a database that is down logs the outage once, and once
// more when it is over, however many polls fail in between.
func TestFailureLogOncePerOutage(t *testing.T) {
	var out testkit.SyncBuffer
	log := slog.New(slog.NewTextHandler(&out, nil))
	var f db.FailureLog
	f.Succeeded(log, "outbox: poll")
	down := errors.New("connection refused")
	for range 40 {
		f.Failed(log, "outbox: poll", down)
	}
	f.Succeeded(log, "outbox: poll")
	f.Succeeded(log, "outbox: poll")
	f.Failed(log, "outbox: poll", down)

	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d log lines for two outages, want 3:\n%s", len(lines), out.String())
	}
	if !strings.Contains(lines[0], "failing") || !strings.Contains(lines[0], "connection refused") {
		t.Errorf("first line: %s", lines[0])
	}
	if !strings.Contains(lines[1], "works again") || !strings.Contains(lines[1], "failures=40") {
		t.Errorf("recovery line: %s", lines[1])
	}
	if !strings.Contains(lines[2], "failing") {
		t.Errorf("second outage: %s", lines[2])
	}
}
