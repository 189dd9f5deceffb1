// The intake: from 送信する to the mail at the (fake) Resend API, over two
// instances.

package main

import (
	"fmt"
	"net/url"
	"slices"
	"sync"
	"time"
)

// intakeLatency times a reset request from the press of 送信する to the
// moment a fake Resend API accepts its mail, at 200 requests/s over two
// instances sharing one PostgreSQL database, each request for its own
// account.
func (b *bench) intakeLatency() {
	const rate = 200
	n := int(duration.Seconds() * rate)
	// The fake answers at once and sets no limit: what is measured is the
	// app's path to the provider, not the provider.
	fake := newFakeResend(0, 0)
	defer fake.close()

	dsn := b.freshDB()
	ids := accountIDs("lat", n)
	b.importAccounts(dsn, ids, minCostHash())
	mailer := append(fake.env(), "RESEND_RATE_LIMIT=1000")
	servers := []*server{b.startOn(dsn, mailer...), b.startOn(dsn, mailer...)}
	defer servers[1].stop()
	defer servers[0].stop()
	// Requests for login IDs that do not exist open the connections first
	// (client to servers, servers to the database); they send no mail.
	warm := int(warmUp.Seconds() * rate)
	states, warmStates := confirmAlternating(servers, ids, warm)
	fixedRate(rate, warmUp, func(i int) (string, url.Values) {
		return servers[i%2].base + "/password-resetting/send", url.Values{"state": {warmStates[i]}}
	})
	waitIntakeDrained(dsn, 2*time.Minute)

	load := loadAvg()
	sent := make([]time.Time, n)
	stopSampling := sampleBacklog(dsn)
	lat := fixedRate(rate, *duration, func(i int) (string, url.Values) {
		sent[i] = time.Now() // the merchant presses 送信する
		return servers[i%2].base + "/password-resetting/send", url.Values{"state": {states[i]}}
	})
	fake.waitFor(n, time.Minute)
	peakIntake, peakOutbox := stopSampling()
	time.Sleep(2 * time.Second) // a second copy of any mail would arrive now
	a := arrivals(fake, ids, sent)
	ok := slices.DeleteFunc(slices.Clone(lat), func(d time.Duration) bool { return d < 0 })
	failed := len(lat) - len(ok)
	fmt.Printf("## Intake and outbox: 送信する to the (fake) Resend API, two instances\n\n")
	fmt.Printf("%d requests at %d/s open loop for %s after a %s warm-up at the same rate (unknown login IDs, no mail), alternating between two instances on one PostgreSQL database, each for its own account (imported beforehand, states confirmed beforehand); `RESEND_RATE_LIMIT=1000`. Load average before (1/5/15 min): %s.\n\n", n, rate, *duration, warmUp, load)
	fmt.Printf("| mails arrived | arrived more than once | failed requests | p50 | p99 | max | step 3 response p50 / p99 | largest backlog: intake / outbox |\n|---|---|---|---|---|---|---|---|\n")
	fmt.Printf("| %d of %d | %d | %d | %s | %s | %s | %s / %s | %d / %d |\n\n", len(a.mail), n, a.twice, failed, pct(a.mail, 50), pct(a.mail, 99), pct(a.mail, 100), pct(ok, 50), pct(ok, 99), peakIntake, peakOutbox)
	fmt.Printf("Goal p50 ≤ 1 s. From the first press to the last mail: %s, %.0f mails/s through both instances. p50 / p99 by the second the request was sent: %s.\n\n",
		a.last.Sub(sent[0]).Round(10*time.Millisecond), float64(len(a.mail))/a.last.Sub(sent[0]).Seconds(), perSecond(a.bySecond, rate))
}

// confirmAlternating confirms step 2, with 8 clients, for each of ids and
// for warm login IDs that do not exist, request i on servers[i%2].
func confirmAlternating(servers []*server, ids []string, warm int) (states, warmStates []string) {
	n := len(ids)
	states, warmStates = make([]string, n), make([]string, warm)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < n; i += 8 {
				states[i] = confirmState(servers[i%2].base, ids[i], ids[i]+"@example.jp")
			}
			for i := w; i < warm; i += 8 {
				unknown := fmt.Sprintf("gone-%05d", i)
				warmStates[i] = confirmState(servers[i%2].base, unknown, unknown+"@example.jp")
			}
		})
	}
	wg.Wait()
	return states, warmStates
}

// mailArrivals is what a fake Resend saw of the mails sent at given times.
type mailArrivals struct {
	mail     []time.Duration // from 送信する to arrival, of each mail that arrived
	bySecond []time.Duration // the same by request, in the order sent; -1: never arrived
	last     time.Time       // the last first arrival
	twice    int             // mails that arrived more than once
}

// arrivals measures the mail of each account ids[i] from sent[i].
func arrivals(fake *fakeResend, ids []string, sent []time.Time) mailArrivals {
	a := mailArrivals{bySecond: make([]time.Duration, len(sent)), twice: fake.tally(time.Time{}).duplicates}
	accepted := fake.firstAccepted()
	for i, id := range ids {
		a.bySecond[i] = -1
		at, ok := accepted[id+"@example.jp"]
		if !ok {
			continue
		}
		a.mail = append(a.mail, at.Sub(sent[i]))
		a.bySecond[i] = at.Sub(sent[i])
		if at.After(a.last) {
			a.last = at
		}
	}
	return a
}
