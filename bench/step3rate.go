// Step 3 alone in an open loop at a fixed rate.

package main

import (
	"fmt"
	mrand "math/rand/v2"
	"net/url"
	"slices"
	"time"

	"aikagi/db"
)

// step3rate sends step 3 alone at 500 requests/s, open loop, states
// confirmed beforehand, matching and non-matching interleaved.
func (b *bench) step3rate() {
	const rate, n = 500, 200
	dsn := b.freshDB()
	ids := accountIDs("acct", n)
	b.importAccounts(dsn, ids, minCostHash())
	s := b.startOn(dsn)
	defer s.stop()
	match, other := make([]string, n), make([]string, n)
	for i := range n {
		match[i] = confirmState(s.base, ids[i], ids[i]+"@example.jp")
		unknown := fmt.Sprintf("acct-%05d", 50000+i)
		other[i] = confirmState(s.base, unknown, unknown+"@example.jp")
	}
	// Each request is matching or not at random, so that a difference
	// between the two can only come from the request itself.
	matching := make([]bool, max(1, int(duration.Seconds()*rate)))
	for i := range matching {
		matching[i] = mrand.IntN(2) == 0
	}
	next := func(i int) (string, url.Values) {
		state := other[i%n]
		if matching[i%len(matching)] {
			state = match[i%n]
		}
		return s.base + "/password-resetting/send", url.Values{"state": {state}}
	}
	// Open the connections (client to server, server to database) at
	// the same rate first; not counted.
	fixedRate(rate, warmUp, next)
	waitIntakeDrained(dsn, 2*time.Minute)
	before := auditCounts(dsn)
	load := loadAvg()
	lat := fixedRate(rate, *duration, next)
	m, o, failed := split(lat, matching)
	drain := waitIntakeDrained(dsn, 2*time.Minute)
	counts := auditCounts(dsn)
	all := append(slices.Clone(m), o...)
	fmt.Printf("## POST /password-resetting/send on PostgreSQL at %d requests/s\n\n", rate)
	fmt.Printf("Open loop for %s (each request leaves at its scheduled time) after a %s warm-up at the same rate, states confirmed beforehand for %d existing accounts and %d unknown login IDs, replayed in turn, matching or not at random. Load average before (1/5/15 min): %s.\n\n", *duration, warmUp, n, n, load)
	o1, o2 := randomHalves(o)
	fmt.Printf("| requests | failed | all p50 / p99 | matching p50 / p99 | non-matching p50 / p99 | KS distance (5 %% critical) | control: non-matching in random halves |\n|---|---|---|---|---|---|---|\n")
	fmt.Printf("| %d | %d | %s / %s | %s / %s | %s / %s | %s | %s |\n\n", len(lat), failed, pct(all, 50), pct(all, 99), pct(m, 50), pct(m, 99), pct(o, 50), pct(o, 99), ksCell(m, o), ksCell(o1, o2))
	fmt.Printf("p50 / p99 second by second: %s.\n\n", perSecond(lat, rate))
	fmt.Printf("Goal p99 ≤ 10 ms. The intake had worked through every request %s after the load ended; audit trail of the measured run: %d `reset_requested`, %d `reset_request_nomatch`.\n\n",
		drain.Round(10*time.Millisecond), counts[db.AuditResetRequested]-before[db.AuditResetRequested], counts[db.AuditResetUnmatched]-before[db.AuditResetUnmatched])
}

// warmUp is how long the open-loop measurements run before they count.
const warmUp = 2 * time.Second

// split sorts fixedRate's latencies into the matching requests and the
// others, leaving out and counting the failed.
func split(lat []time.Duration, matching []bool) (m, o []time.Duration, failed int) {
	for i, d := range lat {
		switch {
		case d < 0:
			failed++
		case matching[i%len(matching)]:
			m = append(m, d)
		default:
			o = append(o, d)
		}
	}
	return m, o, failed
}
