package db_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"aikagi/db"
)

// TestRecordAuditCapsFields checks that oversized input is cut at a
// character boundary before it is stored, and that bytes neither database
// could store as text are replaced.
func TestRecordAuditCapsFields(t *testing.T) {
	forEachDialect(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		e := &db.AuditEvent{
			Kind:      db.AuditLoginFailed,
			LoginID:   strings.Repeat("あ", 1000),
			IP:        strings.Repeat("1", 200),
			UserAgent: strings.Repeat("Mozilla/5.0 ", 200),
			Detail:    "bad\xff\x00bytes " + strings.Repeat("詳細", 3000),
		}
		if err := db.RecordAudit(ctx, bdb, e, t0); err != nil {
			t.Fatal(err)
		}
		short := &db.AuditEvent{Kind: db.AuditLoginFailed, LoginID: "taro-01", IP: "192.0.2.1", UserAgent: "curl/8", Detail: "短い"}
		if err := db.RecordAudit(ctx, bdb, short, t0); err != nil {
			t.Fatal(err)
		}
		events, err := db.ListAudit(ctx, bdb, "", 10)
		if err != nil || len(events) != 2 {
			t.Fatalf("ListAudit = %d events, %v", len(events), err)
		}
		got := events[1] // newest first, same time: by id
		for _, f := range []struct {
			name  string
			value string
			max   int
		}{
			{"login_id", got.LoginID, db.AuditMaxLoginID},
			{"ip", got.IP, db.AuditMaxIP},
			{"user_agent", got.UserAgent, db.AuditMaxUserAgent},
			{"detail", got.Detail, db.AuditMaxDetail},
		} {
			if n := utf8.RuneCountInString(f.value); n != f.max || !strings.HasSuffix(f.value, "…") || !utf8.ValidString(f.value) {
				t.Errorf("%s stored with %d characters (valid UTF-8: %v), want %d ending in …", f.name, n, utf8.ValidString(f.value), f.max)
			}
		}
		if !strings.HasPrefix(got.Detail, "bad\uFFFD\uFFFDbytes 詳細") {
			t.Errorf("detail starts %q, want the invalid byte and NUL replaced", got.Detail[:20])
		}
		if s := events[0]; s.LoginID != "taro-01" || s.IP != "192.0.2.1" || s.UserAgent != "curl/8" || s.Detail != "短い" || s.Count != 1 {
			t.Errorf("a short event was changed: %+v", s)
		}
	})
}

// TestRecordAuditAggregated counts events of one key in one row, also when
// they arrive at once, and keeps other keys apart.
func TestRecordAuditAggregated(t *testing.T) {
	forEachDialect(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		record := func(key, ip string, at time.Time) error {
			return db.RecordAuditAggregated(ctx, bdb, &db.AuditEvent{Kind: db.AuditRateLimited, IP: ip, UserAgent: "bot/" + ip, Detail: "logins per IP"}, key, at)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- record("rate_limited|logins per IP|192.0.2.1|w1", fmt.Sprintf("192.0.2.%d", i+1), t0.Add(time.Duration(i)*time.Second))
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := record("rate_limited|logins per IP|198.51.100.7|w1", "198.51.100.7", t0); err != nil {
			t.Fatal(err)
		}
		single := &db.AuditEvent{Kind: db.AuditLoginFailed, LoginID: "taro-01"}
		if err := db.RecordAudit(ctx, bdb, single, t0); err != nil {
			t.Fatal(err)
		}
		events, err := db.ListAudit(ctx, bdb, "", 10)
		if err != nil {
			t.Fatal(err)
		}
		counts := map[string]int{}
		for _, e := range events {
			counts[string(e.Kind)+" "+e.AggKey] += e.Count
			if e.Kind == db.AuditRateLimited && e.UserAgent != "bot/"+e.IP {
				t.Errorf("the aggregate mixes the first event's fields with later ones': %+v", e)
			}
		}
		want := map[string]int{
			"rate_limited rate_limited|logins per IP|192.0.2.1|w1":    20,
			"rate_limited rate_limited|logins per IP|198.51.100.7|w1": 1,
			"login_failed ": 1,
		}
		if len(events) != 3 || fmt.Sprint(counts) != fmt.Sprint(want) {
			t.Errorf("%d rows with counts %v, want 3 rows with %v", len(events), counts, want)
		}
	})
}

// TestDeleteAuditBefore deletes old events in bounded batches, oldest first.
func TestDeleteAuditBefore(t *testing.T) {
	forEachDialect(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		for i, age := range []time.Duration{72 * time.Hour, 48 * time.Hour, 13 * time.Hour, time.Hour} {
			e := &db.AuditEvent{Kind: db.AuditLoginFailed, LoginID: fmt.Sprintf("id%d", i)}
			if err := db.RecordAudit(ctx, bdb, e, t0.Add(-age)); err != nil {
				t.Fatal(err)
			}
		}
		cutoff := t0.Add(-12 * time.Hour)
		for _, want := range []int64{2, 1, 0} {
			n, err := db.DeleteAuditBefore(ctx, bdb, cutoff, 2)
			if err != nil || n != want {
				t.Fatalf("DeleteAuditBefore = %d, %v; want %d", n, err, want)
			}
		}
		events, _ := db.ListAudit(ctx, bdb, "", 10)
		if len(events) != 1 || events[0].LoginID != "id3" {
			t.Errorf("left %+v, want only the event of an hour ago", events)
		}
	})
}
