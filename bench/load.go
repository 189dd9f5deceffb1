// Load generators: wrk for the closed-loop ceiling, an open loop at a
// fixed rate, and closed loops counted in requests or in time.

package main

import (
	"io"
	"log"
	"net/http"
	"net/url"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type wrkResult struct {
	rps      float64
	p50, p99 time.Duration
}

func wrk(target string, d time.Duration) wrkResult {
	out, err := exec.Command("wrk", "-t2", "-c64", "-d"+d.String(), "--latency", target).CombinedOutput()
	if err != nil {
		log.Fatalf("wrk: %v\n%s", err, out)
	}
	var r wrkResult
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && f[0] == "Requests/sec:":
			r.rps, _ = strconv.ParseFloat(f[1], 64)
		case len(f) == 2 && f[0] == "50%":
			r.p50 = parseWrkDuration(f[1])
		case len(f) == 2 && f[0] == "99%":
			r.p99 = parseWrkDuration(f[1])
		}
	}
	return r
}

func parseWrkDuration(s string) time.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		log.Fatalf("wrk duration %q: %v", s, err)
	}
	return d
}

func medianWrk(rs []wrkResult) wrkResult {
	med := func(f func(wrkResult) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	return wrkResult{
		rps: med(func(r wrkResult) float64 { return r.rps }),
		p50: time.Duration(med(func(r wrkResult) float64 { return float64(r.p50) })),
		p99: time.Duration(med(func(r wrkResult) float64 { return float64(r.p99) })),
	}
}

// rateClient is fixedRate's, shared so that a warm-up's connections stay
// open for the run that follows it.
var rateClient = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 512}}

// fixedRate sends rate requests per second for d, each on its own
// goroutine at its scheduled time, and returns each latency (-1: failed).
func fixedRate(rate int, d time.Duration, next func(i int) (string, url.Values)) []time.Duration {
	n := int(d.Seconds() * float64(rate))
	lat := make([]time.Duration, n)
	hc := rateClient
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		time.Sleep(time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(rate))))
		wg.Add(1)
		go func() {
			defer wg.Done()
			target, form := next(i)
			req, _ := http.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			t0 := time.Now()
			res, err := hc.Do(req)
			if err != nil {
				lat[i] = -1
				return
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			lat[i] = time.Since(t0)
			if res.StatusCode != 200 {
				lat[i] = -1
			}
		}()
	}
	wg.Wait()
	return lat
}

func closedLoop(target string, clients, total int) int {
	var done atomic.Int64
	var wg sync.WaitGroup
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for done.Add(1) <= int64(total) {
				if res, err := hc.Get(target); err == nil {
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
				}
			}
		}()
	}
	wg.Wait()
	return total
}

func closedLoopFor(target string, clients int, d time.Duration) int {
	var done atomic.Int64
	var wg sync.WaitGroup
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	deadline := time.Now().Add(d)
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				if res, err := hc.Get(target); err == nil {
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
					done.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return int(done.Load())
}
