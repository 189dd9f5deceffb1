// The mail pipeline under load: a burst of reset mails at Resend's default
// pace, the pace one instance reaches with a backlog, and first mails
// served through a flood of repeats. Every mail goes to a fakeResend that
// answers in about 200 ms and limits requests per second as Resend does.

package main

import (
	"bufio"
	"context"
	"fmt"
	"log"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"aikagi/db"
)

// resendLatency is about how long Resend takes to answer a call.
const resendLatency = 200 * time.Millisecond

// burstRate is the rate at which the measurements send step 3 to queue
// mail: a few seconds for a thousand requests.
const burstRate = 500

// burst sends 1,000 matched step 3 requests within about two seconds to
// one instance with the default mail settings (RESEND_RATE_LIMIT unset: 2
// requests/s; batches of up to 100), against a fake Resend at 200 ms and 2
// requests per sliding second, and times until every mail was accepted.
func (b *bench) burst() {
	const n = 1000
	fake := newFakeResend(resendLatency, 2)
	defer fake.close()
	dsn := b.freshDB()
	ids := accountIDs("burst", n)
	b.importAccounts(dsn, ids, minCostHash())
	s := b.startOn(dsn, fake.env()...)
	defer s.stop()
	states := confirmStates(s, ids)

	load := loadAvg()
	stopSampling := sampleBacklog(dsn)
	first := time.Now()
	lat := fixedRate(burstRate, n*time.Second/burstRate, func(i int) (string, url.Values) {
		return s.base + "/password-resetting/send", url.Values{"state": {states[i]}}
	})
	last := time.Now() // the last step 3 has been answered
	all := fake.waitFor(n, 3*time.Minute)
	peakIntake, peakOutbox := stopSampling()
	time.Sleep(2 * time.Second) // a second copy of any mail would arrive now
	times := fake.acceptedTimes()
	t := fake.tally(first)
	fake.logCalls(first)
	statuses := outboxStatuses(dsn)
	metrics := scrapeMetrics(s)

	fmt.Printf("## Mail pipeline: a burst of %d reset mails at the default pace\n\n", n)
	fmt.Printf("One instance on PostgreSQL with the default mail settings (`RESEND_RATE_LIMIT` unset: 2 requests/s, paced one request every 525 ms; `RESEND_BATCH_SIZE` unset: up to 100 mails a request); a fake Resend on 127.0.0.1 answering in %s ± 10 %% and admitting 2 requests per sliding second. %d accounts imported and their states confirmed beforehand; %d matched step 3 requests at %d/s open loop (%s), one per account. Load average before (1/5/15 min): %s.\n\n",
		resendLatency, n, n, burstRate, (n * time.Second / burstRate), load)
	fmt.Printf("| mails accepted | accepted twice | step 3 failed | last step 3 → all mails accepted | calls | answered 429 | mails per accepting call | largest backlog: intake / outbox |\n|---|---|---|---|---|---|---|---|\n")
	fmt.Printf("| %d of %d | %d | %d | **%s** | %d (%d batch) | %d (%.1f %%) | %.1f | %d / %d |\n\n",
		len(times), n, t.duplicates, failures(lat), untilLast(times, last), t.calls, t.batches, t.throttled, t.throttledShare(), t.perCall(), peakIntake, peakOutbox)
	fmt.Printf("From the first step 3 to the last mail: %s. Mails per accepting call, in order: %s. Goal: none twice, ≤ 5 %% of calls answered 429. At the pace alone, %d mails need %d calls, %s apart: the last leaves %s after the first.\n\n",
		untilLast(times, first), callSizes(fake, first), n, (n+99)/100, paceInterval(2), paceInterval(2)*time.Duration((n+99)/100-1))
	fmt.Printf("The outbox afterwards: %s. The app's metrics: %s.\n\n", statuses, metrics.mailSummary())
	if !all {
		fmt.Printf("**Not every mail was accepted within 3 minutes.**\n\n")
	}
}

// pace measures the mails one instance hands over per second with a
// backlog of 2,000 queued mails, at RESEND_RATE_LIMIT=100 against a fake
// Resend admitting 100 requests per second: one mail per request
// (RESEND_BATCH_SIZE=1), then in batches (the default).
func (b *bench) pace() {
	const n, rate = 2000, 100
	fmt.Printf("## Mail pipeline: the pace of one instance with a backlog\n\n")
	fmt.Printf("One instance on PostgreSQL with `RESEND_RATE_LIMIT=%d` (paced one request every %s); a fake Resend on 127.0.0.1 answering in %s ± 10 %% and admitting %d requests per sliding second. %d accounts imported and their states confirmed; while the fake holds the app back (every call answered 429, retry after 1 s), %d matched step 3 requests at %d/s queue one mail each; once the intake has matched them all, the fake opens. Steady pace: the mails accepted between the 10th and the 90th percentile of their acceptance times, over that time. Load average before (1/5/15 min): %s.\n\n",
		rate, paceInterval(rate), resendLatency, rate, n, n, burstRate, loadAvg())
	fmt.Printf("| `RESEND_BATCH_SIZE` | queued at the opening | steady pace | requests/s (of the %d/s limit) | opening → first mail accepted | first → last mail accepted | longest gap between two calls | calls after the opening | answered 429 | mails per accepting call | accepted twice |\n|---|---|---|---|---|---|---|---|---|---|---|\n", rate)
	for _, size := range []string{"1", ""} {
		b.paceOnce(n, rate, size)
	}
	fmt.Println()
}

// paceOnce queues n mails behind a held provider and times them out at
// rate requests/s in batches of size ("" for the default).
func (b *bench) paceOnce(n, rate int, size string) {
	fake := newFakeResend(resendLatency, rate)
	defer fake.close()
	dsn := b.freshDB()
	ids := accountIDs("pace", n)
	b.importAccounts(dsn, ids, minCostHash())
	env := append(fake.env(), "RESEND_RATE_LIMIT="+strconv.Itoa(rate))
	if size != "" {
		env = append(env, "RESEND_BATCH_SIZE="+size)
	}
	s := b.startOn(dsn, env...)
	defer s.stop()
	states := confirmStates(s, ids)

	fake.hold()
	lat := fixedRate(burstRate, time.Duration(n)*time.Second/burstRate, func(i int) (string, url.Values) {
		return s.base + "/password-resetting/send", url.Values{"state": {states[i]}}
	})
	waitIntakeDrained(dsn, 2*time.Minute)
	counts := outboxStatuses(dsn)
	queued := counts[db.OutboxPending] + counts[db.OutboxSending] // some are claimed, waiting for the provider
	opened := fake.open()
	all := fake.waitFor(n, 3*time.Minute)
	time.Sleep(2 * time.Second) // a second copy of any mail would arrive now
	times := fake.acceptedTimes()
	t := fake.tally(opened)
	fake.logCalls(opened)

	steady, calls := "—", "—"
	if len(times) >= 10 {
		from, to := times[len(times)/10], times[len(times)*9/10]
		steady = fmt.Sprintf("**%.0f mails/s**", float64(len(times)*9/10-len(times)/10)/to.Sub(from).Seconds())
		perSecond := float64(callsBetween(fake, from, to)) / to.Sub(from).Seconds()
		calls = fmt.Sprintf("%.1f (%.0f %%)", perSecond, 100*perSecond/float64(rate))
	}
	label := size
	if label == "" {
		label = "unset (100)"
	}
	fmt.Printf("| %s | %d | %s | %s | %s | %s | %s | %d | %d (%.1f %%) | %.1f | %d |\n",
		label, queued, steady, calls, firstAfter(times, opened), firstToLast(times), longestGap(fake, opened).Round(10*time.Millisecond), t.calls, t.throttled, t.throttledShare(), t.perCall(), t.duplicates)
	if f := failures(lat); f > 0 || !all {
		fmt.Printf("\n(batch size %s: %d step 3 requests failed; %d of %d mails accepted)\n\n", label, f, len(times), n)
	}
}

// flood sends 3,000 matched step 3 requests for 1,000 accounts (each
// thrice, within LIMIT_MAILS_PER_ACCOUNT's default of 3 an hour), then
// first requests for 20 other accounts, at the default mail settings, and
// times each of the 20 until the fake Resend accepted its mail: first
// mails are served before repeats.
func (b *bench) flood() {
	const accounts, times, late = 1000, 3, 20
	fake := newFakeResend(resendLatency, 2)
	defer fake.close()
	dsn := b.freshDB()
	ids, lateIDs := accountIDs("flood", accounts), accountIDs("late", late)
	b.importAccounts(dsn, append(slices.Clone(ids), lateIDs...), minCostHash())
	s := b.startOn(dsn, append(fake.env(), "LIMIT_MAILS_PER_ACCOUNT=3/1h")...)
	defer s.stop()
	states, lateStates := confirmStates(s, ids), confirmStates(s, lateIDs)

	load := loadAvg()
	stopSampling := sampleBacklog(dsn)
	first := time.Now()
	// Each account in turn, three rounds: every account's first mail is
	// queued in the first round, its repeats in the next two.
	lat := fixedRate(burstRate, accounts*times*time.Second/burstRate, func(i int) (string, url.Values) {
		return s.base + "/password-resetting/send", url.Values{"state": {states[i%accounts]}}
	})
	floodEnd := time.Now()
	sent := make([]time.Time, late)
	lateLat := fixedRate(10, late*time.Second/10, func(i int) (string, url.Values) {
		sent[i] = time.Now()
		return s.base + "/password-resetting/send", url.Values{"state": {lateStates[i]}}
	})
	total := accounts*times + late
	all := fake.waitFor(total, 3*time.Minute)
	peakIntake, peakOutbox := stopSampling()
	time.Sleep(2 * time.Second) // a second copy of any mail would arrive now
	accepted := fake.firstAccepted()
	t := fake.tally(first)
	fake.logCalls(first)

	var waits []time.Duration
	var each []string
	for i, id := range lateIDs {
		at, ok := accepted[id+"@example.jp"]
		if !ok {
			each = append(each, "never")
			continue
		}
		waits = append(waits, at.Sub(sent[i]))
		each = append(each, fmt.Sprintf("%.1f", at.Sub(sent[i]).Seconds()))
	}
	lastLate := time.Time{}
	for _, id := range lateIDs {
		if at := accepted[id+"@example.jp"]; at.After(lastLate) {
			lastLate = at
		}
	}
	overtaken := 0 // flood mails accepted after the last of the 20: repeats they went before
	for _, at := range fake.acceptedTimes() {
		if at.After(lastLate) {
			overtaken++
		}
	}
	within := 0
	for _, w := range waits {
		if w <= 10*time.Second {
			within++
		}
	}
	fmt.Printf("## Mail pipeline: first mails through a flood of repeats\n\n")
	fmt.Printf("One instance on PostgreSQL with the default mail settings (2 requests/s, batches of up to 100) and `LIMIT_MAILS_PER_ACCOUNT=3/1h` (the default); the fake Resend at %s and 2 requests per sliding second. %d step 3 requests at %d/s open loop for %d accounts, each account in turn, three rounds (%d first mails, %d repeats), then, as soon as they were answered, one first request each for %d other accounts, 10 a second. Load average before (1/5/15 min): %s.\n\n",
		resendLatency, accounts*times, burstRate, accounts, accounts, accounts*(times-1), late, load)
	fmt.Printf("| the %d first requests: within 10 s | p50 | max | flood: last step 3 → all %d mails accepted | calls | answered 429 | mails per accepting call | accepted twice | step 3 failed | largest backlog: intake / outbox |\n|---|---|---|---|---|---|---|---|---|---|\n", late, total)
	fmt.Printf("| **%d of %d** | %s | %s | %s | %d | %d (%.1f %%) | %.1f | %d | %d | %d / %d |\n\n",
		within, late, pct(waits, 50).Round(10*time.Millisecond), pct(waits, 100).Round(10*time.Millisecond),
		untilLast(fake.acceptedTimes(), floodEnd), t.calls, t.throttled, t.throttledShare(), t.perCall(), t.duplicates, failures(lat)+failures(lateLat), peakIntake, peakOutbox)
	fmt.Printf("Each of the %d, from its step 3 to its mail at the fake, in seconds: %s. Goal: each within 10 s. %d mails of the flood were accepted after the last of the %d: the repeats they went before. The outbox afterwards: %s.\n\n", late, strings.Join(each, ", "), overtaken, late, outboxStatuses(dsn))
	if !all {
		fmt.Printf("**Not every mail was accepted within 3 minutes.**\n\n")
	}
}

// confirmStates confirms step 2 on s for each of ids, with 8 clients, and
// returns the signed states step 3 takes.
func confirmStates(s *server, ids []string) []string {
	states := make([]string, len(ids))
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < len(ids); i += 8 {
				states[i] = confirmState(s.base, ids[i], ids[i]+"@example.jp")
			}
		})
	}
	wg.Wait()
	return states
}

// failures counts the failed requests of a fixedRate run.
func failures(lat []time.Duration) int {
	n := 0
	for _, d := range lat {
		if d < 0 {
			n++
		}
	}
	return n
}

// untilLast is the time from start to the last of times, or "—".
func untilLast(times []time.Time, start time.Time) string {
	if len(times) == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f s", times[len(times)-1].Sub(start).Seconds())
}

// firstToLast is the time from the first of times to the last, or "—".
func firstToLast(times []time.Time) string {
	if len(times) == 0 {
		return "—"
	}
	return untilLast(times, times[0])
}

// firstAfter is the time from start to the first of times, or "—".
func firstAfter(times []time.Time, start time.Time) string {
	if len(times) == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f s", times[0].Sub(start).Seconds())
}

// longestGap is the longest time between two calls that accepted mail
// since from: how long the app stopped sending.
func longestGap(f *fakeResend, from time.Time) time.Duration {
	f.mu.Lock()
	var at []time.Time
	for _, c := range f.calls {
		if c.mails > 0 && !c.at.Before(from) {
			at = append(at, c.at)
		}
	}
	f.mu.Unlock()
	slices.SortFunc(at, time.Time.Compare)
	var gap time.Duration
	for i := 1; i < len(at); i++ {
		gap = max(gap, at[i].Sub(at[i-1]))
	}
	return gap
}

// paceInterval is the app's time between two requests at rate per
// second: 5 % wider than the rate (mail.interval).
func paceInterval(rate int) time.Duration {
	return time.Duration(float64(time.Second) / float64(rate) * 1.05)
}

// callSizes lists the mails of each call that accepted mail since from,
// in the order they arrived.
func callSizes(f *fakeResend, from time.Time) string {
	f.mu.Lock()
	calls := slices.Clone(f.calls)
	f.mu.Unlock()
	slices.SortFunc(calls, func(a, b fakeCall) int { return a.at.Compare(b.at) })
	var sizes []string
	for _, c := range calls {
		if !c.at.Before(from) && c.mails > 0 {
			sizes = append(sizes, strconv.Itoa(c.mails))
		}
	}
	return strings.Join(sizes, ", ")
}

// callsBetween counts the calls that accepted mail and arrived between
// from and to.
func callsBetween(f *fakeResend, from, to time.Time) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c.mails > 0 && !c.at.Before(from) && !c.at.After(to) {
			n++
		}
	}
	return n
}

// outboxCounts are the mails in the outbox by status.
type outboxCounts map[db.OutboxStatus]int

func (c outboxCounts) String() string {
	var parts []string
	for _, status := range db.OutboxStatuses {
		parts = append(parts, fmt.Sprintf("%d %s", c[status], status))
	}
	return strings.Join(parts, ", ")
}

// outboxStatuses counts the mails in the outbox by status.
func outboxStatuses(dsn string) outboxCounts {
	bdb, err := db.Open(dsn)
	if err != nil {
		log.Fatal(err)
	}
	defer bdb.Close()
	var rows []struct {
		Status db.OutboxStatus `bun:"status"`
		N      int             `bun:"n"`
	}
	if err := bdb.NewRaw("SELECT status, count(*) AS n FROM outbox GROUP BY status").Scan(context.Background(), &rows); err != nil {
		log.Fatal(err)
	}
	counts := outboxCounts{}
	for _, r := range rows {
		counts[r.Status] = r.N
	}
	return counts
}

// appMetrics are the values of the app's metrics, by series.
type appMetrics map[string]float64

// scrapeMetrics reads the app's /metrics (served to this machine).
func scrapeMetrics(s *server) appMetrics {
	m := appMetrics{}
	res, err := http.Get(s.base + "/metrics")
	if err != nil {
		log.Printf("metrics: %v", err)
		return m
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil && !math.IsNaN(v) {
			m[line[:i]] = v
		}
	}
	return m
}

// sum adds the series of the metric name whose labels contain every one
// of labels (such as `result="sent"`).
func (m appMetrics) sum(name string, labels ...string) float64 {
	total := 0.0
	for series, v := range m {
		metric, rest, _ := strings.Cut(series, "{")
		if metric != name {
			continue
		}
		all := true
		for _, l := range labels {
			all = all && strings.Contains(rest, l)
		}
		if all {
			total += v
		}
	}
	return total
}

// mailSummary names what the app counted of its mail.
func (m appMetrics) mailSummary() string {
	return fmt.Sprintf("`aikagi_mail_deliveries_total` sent %.0f, retry %.0f, dead %.0f, expired %.0f; `aikagi_mail_provider_throttled_total` %.0f; `aikagi_mail_batch_size` %.0f requests, %.0f mails",
		m.sum("aikagi_mail_deliveries_total", `result="sent"`), m.sum("aikagi_mail_deliveries_total", `result="retry"`),
		m.sum("aikagi_mail_deliveries_total", `result="dead"`), m.sum("aikagi_mail_deliveries_total", `result="expired"`),
		m.sum("aikagi_mail_provider_throttled_total"), m.sum("aikagi_mail_batch_size_count"), m.sum("aikagi_mail_batch_size_sum"))
}
