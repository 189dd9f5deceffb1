// Databases for the measurements: created empty, then watched (the
// intake's queue, the outbox's backlog, the audit trail).

package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"aikagi/db"
)

// freshDB creates an empty PostgreSQL database, with options such as
// "LC_CTYPE 'C.UTF-8'" for CREATE DATABASE, and returns its URL.
func (b *bench) freshDB(options ...string) string {
	adminDB, err := db.Open(b.admin)
	if err != nil {
		log.Fatal(err)
	}
	defer adminDB.Close()
	buf := make([]byte, 6)
	_, _ = rand.Read(buf)
	name := "aikagi_bench_" + hex.EncodeToString(buf)
	if _, err := adminDB.Exec(strings.Join(append([]string{"CREATE DATABASE " + name}, options...), " ")); err != nil {
		log.Fatal(err)
	}
	u, _ := url.Parse(b.admin)
	u.Path = "/" + name
	return u.String()
}

// freshDSN is a new, empty database: on the PostgreSQL of TEST_DATABASE_URL,
// or a SQLite file in the temporary folder.
func (b *bench) freshDSN(kind string) string {
	switch kind {
	case "postgres":
		return b.freshDB()
	case "sqlite":
		buf := make([]byte, 6)
		_, _ = rand.Read(buf)
		return "sqlite:" + filepath.Join(b.tmp, "bench-"+hex.EncodeToString(buf)+".db")
	}
	log.Fatalf("unknown database %q: use postgres or sqlite", kind)
	return ""
}

// waitIntakeDrained waits until no step 3 request waits to be matched and
// says how long that took.
func waitIntakeDrained(dsn string, limit time.Duration) time.Duration {
	bdb, err := db.Open(dsn)
	if err != nil {
		log.Fatal(err)
	}
	defer bdb.Close()
	start := time.Now()
	for {
		stats, err := db.IntakeStats(context.Background(), bdb)
		if err != nil {
			log.Fatal(err)
		}
		if stats.Count == 0 {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			log.Fatalf("intake: %d requests still waiting after %s", stats.Count, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sampleBacklog reads every 100 ms, until stop is called, how many step 3
// requests wait for the intake and how many mails wait in the outbox, and
// keeps the largest of each.
func sampleBacklog(dsn string) (stop func() (intake, outbox int)) {
	bdb, err := db.Open(dsn)
	if err != nil {
		log.Fatal(err)
	}
	done := make(chan struct{})
	var peakIntake, peakOutbox int
	var wg sync.WaitGroup
	wg.Go(func() {
		ctx := context.Background()
		for {
			if stats, err := db.IntakeStats(ctx, bdb); err == nil {
				peakIntake = max(peakIntake, stats.Count)
			}
			if n, err := bdb.NewSelect().Model((*db.OutboxMail)(nil)).Where("status IN (?)", bun.List([]db.OutboxStatus{db.OutboxPending, db.OutboxSending})).Count(ctx); err == nil {
				peakOutbox = max(peakOutbox, n)
			}
			select {
			case <-done:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
	return func() (int, int) {
		close(done)
		wg.Wait()
		bdb.Close()
		return peakIntake, peakOutbox
	}
}

// auditCounts counts the audit events by kind.
func auditCounts(dsn string) map[db.AuditKind]int {
	bdb, err := db.Open(dsn)
	if err != nil {
		log.Fatal(err)
	}
	defer bdb.Close()
	rows, err := bdb.QueryContext(context.Background(), "SELECT kind, count(*) FROM audit_events GROUP BY kind")
	if err != nil {
		log.Fatal(err)
	}
	defer rows.Close()
	counts := map[db.AuditKind]int{}
	for rows.Next() {
		var kind db.AuditKind
		var n int
		if err := rows.Scan(&kind, &n); err != nil {
			log.Fatal(err)
		}
		counts[kind] = n
	}
	if err := rows.Err(); err != nil {
		log.Fatal(err)
	}
	return counts
}
