// GET step 1: throughput against a bare Fiber handler, resident memory,
// and the optional soak.

package main

import (
	"fmt"
	"net"
	"time"

	"github.com/gofiber/fiber/v2"
)

// regist compares GET step 1 with a bare Fiber handler writing a fixed page
// of the same size: the framework's ceiling on this machine.
func (b *bench) regist() {
	s := b.start()
	defer s.stop()
	page, _ := get(s.base + "/password-resetting/regist")
	body := make([]byte, len(page))
	copy(body, page)
	bare := fiber.New(fiber.Config{DisableStartupMessage: true})
	bare.Get("/", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		return c.Send(body)
	})
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go func() { _ = bare.Listener(ln) }()
	defer bare.Shutdown()
	bareURL := "http://" + ln.Addr().String() + "/"

	var appRuns, bareRuns []wrkResult
	for range *runs {
		appRuns = append(appRuns, wrk(s.base+"/password-resetting/regist", *duration))
		bareRuns = append(bareRuns, wrk(bareURL, *duration))
	}
	app, ceiling := medianWrk(appRuns), medianWrk(bareRuns)
	fmt.Printf("## GET /password-resetting/regist against a bare Fiber handler\n\n")
	fmt.Printf("wrk -t2 -c64 -d%s, %d interleaved runs each, medians; page %d bytes, uncompressed.\n\n", *duration, *runs, len(body))
	fmt.Printf("| server | requests/s | p50 | p99 |\n|---|---|---|---|\n")
	fmt.Printf("| Aikagi step 1 | %.0f | %s | %s |\n", app.rps, app.p50, app.p99)
	fmt.Printf("| bare Fiber, same size | %.0f | %s | %s |\n\n", ceiling.rps, ceiling.p50, ceiling.p99)
	fmt.Printf("Ratio: **%.2f** of the ceiling (goal ≥ 0.6).\n\n", app.rps/ceiling.rps)
}

// memory reads resident memory idle and after 100,000 requests.
func (b *bench) memory() {
	s := b.start()
	defer s.stop()
	time.Sleep(time.Second)
	idle, _ := s.rssKB()
	n := closedLoop(s.base+"/password-resetting/regist", 64, 100_000)
	time.Sleep(2 * time.Second)
	after, peak := s.rssKB()
	fmt.Printf("## Resident memory\n\n| when | RSS |\n|---|---|\n| idle after start | %.1f MB |\n| after %d requests to step 1 (64 clients) | %.1f MB (peak %.1f MB) |\n\n",
		float64(idle)/1024, n, float64(after)/1024, float64(peak)/1024)
}

func (b *bench) soak(d time.Duration) {
	s := b.start()
	defer s.stop()
	fmt.Printf("## Soak: step 1 under load for %s\n\n| minute | requests so far | RSS |\n|---|---|---|\n", d)
	var total int
	deadline := time.Now().Add(d)
	for minute := 1; time.Now().Before(deadline); minute++ {
		total += closedLoopFor(s.base+"/password-resetting/regist", 32, time.Minute)
		rss, _ := s.rssKB()
		fmt.Printf("| %d | %d | %.1f MB |\n", minute, total, float64(rss)/1024)
	}
	fmt.Println()
}
