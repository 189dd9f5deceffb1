// The intake on PostgreSQL at 500 matched step 3 requests a second: does
// it keep up, and if not, how fast does it fall behind.

package main

import (
	"context"
	"fmt"
	"log"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"aikagi/db"
)

// intakePG sends matched step 3 requests at 500/s for 6 s, each for its
// own account, to one instance on PostgreSQL with the default mail
// settings and a fake Resend, and times how long after the last request
// the intake has matched them all.
func (b *bench) intakePG() {
	const rate = 500
	const length = 6 * time.Second
	n := int(length.Seconds() * rate)
	fake := newFakeResend(resendLatency, 2)
	defer fake.close()
	dsn := b.freshDB()
	ids := accountIDs("intake", n)
	b.importAccounts(dsn, ids, minCostHash())
	s := b.startOn(dsn, fake.env()...)
	defer s.stop()
	states := confirmStates(s, ids)
	// Requests for login IDs that do not exist open the connections first
	// (client to server, server to database) and warm the intake; they
	// queue no mail.
	warm := confirmStates(s, accountIDs("gone", int(warmUp.Seconds()*rate)))
	fixedRate(rate, warmUp, func(i int) (string, url.Values) {
		return s.base + "/password-resetting/send", url.Values{"state": {warm[i]}}
	})
	waitIntakeDrained(dsn, 2*time.Minute)

	load := loadAvg()
	backlog := sampleIntake(dsn)
	start := time.Now()
	lat := fixedRate(rate, length, func(i int) (string, url.Values) {
		return s.base + "/password-resetting/send", url.Values{"state": {states[i]}}
	})
	end := time.Now()
	drain := waitIntakeDrained(dsn, 2*time.Minute)
	samples := backlog()

	atEnd, peak := 0, 0
	var bySecond []string
	for _, smp := range samples {
		peak = max(peak, smp.count)
		if !smp.at.After(end) {
			atEnd = smp.count
		}
	}
	for sec := time.Second; sec <= length+drain+time.Second; sec += time.Second {
		// The backlog at the end of each second since the load began.
		last := -1
		for _, smp := range samples {
			if !smp.at.After(start.Add(sec)) {
				last = smp.count
			}
		}
		if last >= 0 {
			bySecond = append(bySecond, fmt.Sprint(last))
		}
	}
	answered := slices.DeleteFunc(slices.Clone(lat), func(d time.Duration) bool { return d < 0 })
	processed := float64(n) / end.Add(drain).Sub(start).Seconds()
	fmt.Printf("## The intake on PostgreSQL at %d matched requests/s\n\n", rate)
	fmt.Printf("One instance on PostgreSQL with the default settings and a fake Resend (%s, 2 requests/s); %d accounts imported and their states confirmed beforehand. After a %s warm-up at the same rate (unknown login IDs, no mail), %d step 3 requests at %d/s open loop for %s, each for its own account: every one is matched and queues a mail. Load average before (1/5/15 min): %s.\n\n",
		resendLatency, n, warmUp, n, rate, length, load)
	fmt.Printf("| requests | failed | step 3 p50 / p99 | backlog at the last request | largest backlog | last request → backlog empty | matched per second, first request to empty backlog | backlog grew by |\n|---|---|---|---|---|---|---|---|\n")
	fmt.Printf("| %d | %d | %s / %s | %d | %d | **%s** | %.0f | %.0f requests/s of load |\n\n",
		n, failures(lat), pct(answered, 50), pct(answered, 99), atEnd, peak, drain.Round(10*time.Millisecond), processed, float64(atEnd)/end.Sub(start).Seconds())
	fmt.Printf("Backlog at the end of each second from the first request: %s. Goal: empty within 2 s of the last request.\n\n", strings.Join(bySecond, ", "))
}

// intakeSample is the intake's backlog at one moment.
type intakeSample struct {
	at    time.Time
	count int
}

// sampleIntake reads every 100 ms, until stop is called, how many step 3
// requests wait for the intake, and returns the samples.
func sampleIntake(dsn string) (stop func() []intakeSample) {
	bdb, err := db.Open(dsn)
	if err != nil {
		log.Fatal(err)
	}
	done := make(chan struct{})
	var samples []intakeSample
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			if stats, err := db.IntakeStats(context.Background(), bdb); err == nil {
				samples = append(samples, intakeSample{at: time.Now(), count: stats.Count})
			}
			select {
			case <-done:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
	return func() []intakeSample {
		close(done)
		wg.Wait()
		bdb.Close()
		return samples
	}
}
