// Enumeration under load: whole journeys of steps 1–3 in closed loops,
// for an existing account or not, compared.

package main

import (
	"fmt"
	"maps"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"aikagi/db"
)

// enum runs steps 1–3 in closed loops, as a browser without JavaScript
// would, on each database and at 4 and 16 clients. Half the iterations name
// an existing account (each matched once, so a token and a mail are really
// written), half a login ID that does not exist, randomly interleaved;
// the two are compared over the whole journey and over step 3 alone.
func (b *bench) enum() {
	const accounts = 4000
	ids := accountIDs("acct", accounts)
	fmt.Printf("## Enumeration under load: steps 1–3 in closed loops\n\n")
	fmt.Printf("%d accounts imported with `account import` (bcrypt cost 4) into a fresh database for each line of the tables below; each client runs GET step 1, POST step 2, POST step 3 with the signed state, again and again for %s (or until every account was matched once). Each iteration picks at random an existing account (used once) or a login ID that does not exist.\n\n", accounts, *duration)
	var results []enumResult
	for _, dbName := range strings.Split(*dbs, ",") {
		for _, clients := range []int{4, 16} {
			dsn := b.freshDSN(dbName)
			b.importAccounts(dsn, ids, minCostHash())
			s := b.startOn(dsn)
			r := enumResult{dbName: dbName, clients: clients, load: loadAvg()}
			r.run = journeyLoop(s.base, ids, clients, *duration)
			r.drain = waitIntakeDrained(dsn, 2*time.Minute)
			r.counts = auditCounts(dsn)
			s.stop()
			results = append(results, r)
		}
	}
	printEnumResults(results)
}

// enumResult is one line of enum's tables: a database at a number of
// clients.
type enumResult struct {
	dbName, load string // load: the load average before the run
	clients      int
	run          journeyRun
	drain        time.Duration        // until the intake had matched every request
	counts       map[db.AuditKind]int // audit events by kind
}

// printEnumResults prints enum's three tables: the whole journey, step 3
// alone, and what the audit trail recorded.
func printEnumResults(results []enumResult) {
	fmt.Printf("Whole journey, steps 1–3:\n\n")
	fmt.Printf("| database | clients | iterations (match / no match) | iterations/s | median match / no match (Δ) | p99 match / no match | KS distance (5 %% critical) | load average before (1/5/15 min) |\n|---|---|---|---|---|---|---|---|\n")
	for _, r := range results {
		m, o := r.run.match.total, r.run.other.total
		fmt.Printf("| %s | %d | %d / %d | %.0f | %s / %s (%s) | %s / %s | %s | %s |\n", r.dbName, r.clients, len(m), len(o),
			float64(len(m)+len(o))/r.run.elapsed.Seconds(), pct(m, 50), pct(o, 50), delta(m, o), pct(m, 99), pct(o, 99), ksCell(m, o), r.load)
	}
	fmt.Printf("\nStep 3 alone (POST /password-resetting/send), same iterations. The control column compares the non-matching iterations with each other, split at random into two halves: what noise alone gives on this machine at that moment.\n\n")
	fmt.Printf("| database | clients | median match / no match (Δ) | p99 match / no match | KS distance (5 %% critical) | control: no match vs no match | response bytes match / no match | intake drained after the load |\n|---|---|---|---|---|---|---|---|\n")
	for _, r := range results {
		m, o := r.run.match.step3, r.run.other.step3
		o1, o2 := randomHalves(o)
		fmt.Printf("| %s | %d | %s / %s (%s) | %s / %s | %s | %s | %s / %s | %s |\n", r.dbName, r.clients,
			pct(m, 50), pct(o, 50), delta(m, o), pct(m, 99), pct(o, 99), ksCell(m, o), ksCell(o1, o2), sizes(r.run.match.bytes), sizes(r.run.other.bytes), r.drain.Round(10*time.Millisecond))
	}
	fmt.Printf("\nChecked after each run, once the intake had drained:\n\n| database | clients | failed iterations | matching answered / `reset_requested` | non-matching answered / `reset_request_nomatch` |\n|---|---|---|---|---|\n")
	for _, r := range results {
		fmt.Printf("| %s | %d | %d | %d / %d | %d / %d |\n", r.dbName, r.clients, r.run.failed,
			len(r.run.match.total), r.counts[db.AuditResetRequested], len(r.run.other.total), r.counts[db.AuditResetUnmatched])
	}
	fmt.Println()
}

// journeyTimes are the timings of one kind of iteration.
type journeyTimes struct {
	total, step3 []time.Duration
	bytes        map[int]int // step 3's response size → count
}

type journeyRun struct {
	match, other journeyTimes
	elapsed      time.Duration
	failed       int
}

// journeyLoop runs clients closed loops of steps 1–3 for d, or until every
// account in ids has been used once.
func journeyLoop(base string, ids []string, clients int, d time.Duration) journeyRun {
	run := journeyRun{match: journeyTimes{bytes: map[int]int{}}, other: journeyTimes{bytes: map[int]int{}}}
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	var (
		mu        sync.Mutex
		wg        sync.WaitGroup
		used      atomic.Int64
		unknown   atomic.Int64
		exhausted atomic.Bool
	)
	start := time.Now()
	deadline := start.Add(d)
	for range clients {
		wg.Go(func() {
			for time.Now().Before(deadline) && !exhausted.Load() {
				matching := mrand.IntN(2) == 0
				var loginID string
				if matching {
					i := int(used.Add(1)) - 1
					if i >= len(ids) {
						exhausted.Store(true)
						return
					}
					loginID = ids[i]
				} else {
					// Same shape and length as the existing IDs.
					loginID = fmt.Sprintf("acct-%05d", 50000+unknown.Add(1))
				}
				total, step3, size, err := journey(hc, base, loginID, loginID+"@example.jp")
				mu.Lock()
				switch {
				case err != nil:
					run.failed++
				case matching:
					run.match.add(total, step3, size)
				default:
					run.other.add(total, step3, size)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	run.elapsed = time.Since(start)
	return run
}

func (t *journeyTimes) add(total, step3 time.Duration, size int) {
	t.total = append(t.total, total)
	t.step3 = append(t.step3, step3)
	t.bytes[size]++
}

// journey runs steps 1–3 once and times the whole and step 3 alone.
func journey(hc *http.Client, base, loginID, email string) (total, step3 time.Duration, size int, err error) {
	t0 := time.Now()
	if _, err = fetch(hc, base+"/password-resetting/regist", nil); err != nil {
		return
	}
	page, err := fetch(hc, base+"/password-resetting/confirm", url.Values{"login_id": {loginID}, "email": {email}})
	if err != nil {
		return
	}
	m := stateField.FindStringSubmatch(page)
	if m == nil {
		return 0, 0, 0, fmt.Errorf("no state on step 2")
	}
	t3 := time.Now()
	page, err = fetch(hc, base+"/password-resetting/send", url.Values{"state": {m[1]}})
	end := time.Now()
	return end.Sub(t0), end.Sub(t3), len(page), err
}

// sizes lists the distinct response sizes seen.
func sizes(counts map[int]int) string {
	var s []string
	for _, size := range slices.Sorted(maps.Keys(counts)) {
		s = append(s, strconv.Itoa(size))
	}
	return strings.Join(s, ", ")
}
