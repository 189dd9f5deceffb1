// Command bench measures Aikagi on this machine and prints the figures for
// BENCHMARKS.md. Run it through `make bench`, which starts a throw-away
// PostgreSQL and sets TEST_DATABASE_URL. All load goes to 127.0.0.1, bounded
// in time.
package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"

	"aikagi/db"
)

var (
	duration = flag.Duration("duration", 10*time.Second, "length of each load run")
	runs     = flag.Int("runs", 3, "runs per measurement; medians are reported")
	only     = flag.String("only", "regist,send,reset,memory,outbox,crash", "measurements to run")
	soak     = flag.Duration("soak", 0, "also soak GET step 1 for this long, sampling memory (e.g. 10m)")
)

const secret = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

func main() {
	flag.Parse()
	log.SetFlags(0)
	admin := os.Getenv("TEST_DATABASE_URL")
	if admin == "" {
		log.Fatal("bench: TEST_DATABASE_URL is not set; run make bench")
	}
	tmp, err := os.MkdirTemp("", "aikagi-bench")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "aikagi")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		log.Fatalf("go build: %v\n%s", err, out)
	}
	fmt.Printf("# Aikagi benchmarks\n\nMachine: %s, %d cores, %s; %s\n\n", cpuModel(), runtime.NumCPU(), runtime.Version(), time.Now().UTC().Format(time.RFC3339))
	b := &bench{bin: bin, admin: admin, tmp: tmp}
	for _, name := range strings.Split(*only, ",") {
		switch name {
		case "regist":
			b.regist()
		case "send":
			b.send()
		case "reset":
			b.reset()
		case "memory":
			b.memory()
		case "outbox":
			b.outbox()
		case "crash":
			b.crash()
		default:
			log.Fatalf("unknown measurement %q", name)
		}
	}
	if *soak > 0 {
		b.soak(*soak)
	}
}

type bench struct {
	bin, admin, tmp string
}

// server is one running app process.
type server struct {
	cmd  *exec.Cmd
	base string
	dsn  string
}

// start runs the binary on a fresh PostgreSQL database with the limits
// lifted (they would refuse a load test) and extra settings.
func (b *bench) start(extra ...string) *server {
	return b.startOn(b.freshDB(), extra...)
}

// startOn is start on the database at dsn.
func (b *bench) startOn(dsn string, extra ...string) *server {
	addr := freePort()
	env := append(os.Environ(),
		"DATABASE_URL="+dsn, "SECRET_KEY="+secret, "ADDR="+addr, "BASE_URL=http://"+addr, "DEMO_ADDR=off",
		"LIMIT_SENDS_PER_IP=100000000/1h", "LIMIT_MAILS_PER_ACCOUNT=100000000/1h", "LIMIT_MAILS_GLOBAL=100000000/1m",
		"LIMIT_LOGINS_PER_IP=100000000/1h", "LIMIT_LINK_GUESSES_PER_IP=100000000/1h")
	env = append(env, extra...)
	logFile, _ := os.Create(filepath.Join(b.tmp, "server-"+strings.ReplaceAll(addr, ":", "_")+".log"))
	cmd := exec.Command(b.bin, "serve")
	cmd.Env, cmd.Stdout, cmd.Stderr = env, logFile, logFile
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	s := &server{cmd: cmd, base: "http://" + addr, dsn: dsn}
	for start := time.Now(); time.Since(start) < 30*time.Second; time.Sleep(50 * time.Millisecond) {
		if res, err := http.Get(s.base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return s
			}
		}
	}
	log.Fatalf("server did not start; see %s", logFile.Name())
	return nil
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	_ = s.cmd.Wait()
}

// rssKB reads the process's resident memory now and at its peak.
func (s *server) rssKB() (now, peak int) {
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "VmRSS:" {
			now, _ = strconv.Atoi(f[1])
		}
		if len(f) >= 2 && f[0] == "VmHWM:" {
			peak, _ = strconv.Atoi(f[1])
		}
	}
	return now, peak
}

func (b *bench) freshDB() string {
	adminDB, err := db.Open(b.admin)
	if err != nil {
		log.Fatal(err)
	}
	defer adminDB.Close()
	buf := make([]byte, 6)
	_, _ = rand.Read(buf)
	name := "aikagi_bench_" + hex.EncodeToString(buf)
	if _, err := adminDB.Exec("CREATE DATABASE " + name); err != nil {
		log.Fatal(err)
	}
	u, _ := url.Parse(b.admin)
	u.Path = "/" + name
	return u.String()
}

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

// send drives step 3 at a fixed rate, matching and non-matching requests
// interleaved, and compares the two latency distributions.
func (b *bench) send() {
	fmt.Printf("## POST /password-resetting/send on PostgreSQL at a fixed rate\n\n")
	fmt.Printf("200 requests/s for %s, matching and non-matching interleaved, open-loop (a late response does not delay the next request).\n\n", *duration)
	fmt.Printf("| SEND_MIN_DURATION | requests | matching p50 / p99 | non-matching p50 / p99 | KS distance (5%% critical) |\n|---|---|---|---|---|\n")
	for _, floor := range []string{"0s", "15ms", "50ms"} {
		s := b.start("SEND_MIN_DURATION=" + floor)
		createAccount(s, "bench01", "bench@example.jp")
		match := confirmState(s.base, "bench01", "bench@example.jp")
		other := confirmState(s.base, "nobody01", "nobody@example.jp")
		lat := fixedRate(200, *duration, func(i int) (string, url.Values) {
			state := match
			if i%2 == 1 {
				state = other
			}
			return s.base + "/password-resetting/send", url.Values{"state": {state}}
		})
		var m, o []time.Duration
		for i, d := range lat {
			if d < 0 {
				continue
			}
			if i%2 == 0 {
				m = append(m, d)
			} else {
				o = append(o, d)
			}
		}
		ks, crit := ksDistance(m, o)
		fmt.Printf("| %s | %d | %s / %s | %s / %s | %.3f (%.3f) |\n", floor, len(m)+len(o),
			pct(m, 50), pct(m, 99), pct(o, 50), pct(o, 99), ks, crit)
		s.stop()
	}
	fmt.Println()
}

// reset submits new passwords concurrently, each on its own link, and
// watches the server's peak memory: argon2id takes 19 MiB a hash, and at
// most 4 run at once.
func (b *bench) reset() {
	fmt.Printf("## POST /password-resetting/reset under concurrency\n\n")
	fmt.Printf("Each client opens its own link and sets a new password (argon2id, m=19 MiB, t=2; at most 4 hashes at once).\n\n")
	fmt.Printf("| clients | resets | resets/s | p50 | p99 | server peak RSS |\n|---|---|---|---|---|---|\n")
	for _, clients := range []int{4, 32, 128} {
		s := b.start()
		const perClient = 3
		tokens := seedTokens(s.dsn, clients*perClient)
		var mu sync.Mutex
		var lat []time.Duration
		var wg sync.WaitGroup
		start := time.Now()
		for c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for _, tok := range tokens[c*perClient : (c+1)*perClient] {
					jar, _ := cookiejar.New(nil)
					hc := &http.Client{Jar: jar, Timeout: 60 * time.Second}
					t0 := time.Now()
					res, err := hc.Get(s.base + "/password-resetting/reset?token=" + tok)
					if err != nil {
						log.Fatal(err)
					}
					res.Body.Close()
					form := url.Values{"password": {"a new and long passphrase " + tok[:6]}, "password_confirm": {"a new and long passphrase " + tok[:6]}}
					req, _ := http.NewRequest(http.MethodPost, s.base+"/password-resetting/reset", strings.NewReader(form.Encode()))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					res, err = hc.Do(req)
					if err != nil {
						log.Fatal(err)
					}
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != 200 {
						log.Fatalf("reset: status %d", res.StatusCode)
					}
					mu.Lock()
					lat = append(lat, time.Since(t0))
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		elapsed := time.Since(start)
		_, peak := s.rssKB()
		fmt.Printf("| %d | %d | %.1f | %s | %s | %.1f MB |\n", clients, len(lat), float64(len(lat))/elapsed.Seconds(), pct(lat, 50), pct(lat, 99), float64(peak)/1024)
		s.stop()
	}
	fmt.Println()
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

// outbox times a reset request to the moment a fake Resend receives it.
func (b *bench) outbox() {
	var mu sync.Mutex
	received := map[string]time.Time{}
	fake := http.NewServeMux()
	fake.HandleFunc("/emails", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if m := regexp.MustCompile(`bench-(\d+)`).FindSubmatch(body); m != nil {
			mu.Lock()
			if _, seen := received[string(m[1])]; !seen {
				received[string(m[1])] = time.Now()
			}
			mu.Unlock()
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"%s"}`, hex.EncodeToString(body[:8]))
	})
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	srv := &http.Server{Handler: fake}
	go srv.Serve(ln)
	defer srv.Close()
	s := b.start("RESEND_API_KEY=re_bench", "RESEND_BASE_URL=http://"+ln.Addr().String()+"/")
	defer s.stop()
	const n = 30
	sent := map[string]time.Time{}
	for i := range n {
		id := strconv.Itoa(i)
		createAccount(s, "bench-"+id, "bench-"+id+"@example.jp")
		state := confirmState(s.base, "bench-"+id, "bench-"+id+"@example.jp")
		sent[id] = time.Now() // from the moment the merchant presses 送信する
		post(s.base+"/password-resetting/send", url.Values{"state": {state}})
		time.Sleep(600 * time.Millisecond) // within Resend's 2 requests/s
	}
	time.Sleep(3 * time.Second)
	var lat []time.Duration
	mu.Lock()
	for id, at := range sent {
		if got, ok := received[id]; ok {
			lat = append(lat, got.Sub(at))
		}
	}
	mu.Unlock()
	fmt.Printf("## Outbox: request to the (fake) Resend API\n\n%d of %d mails arrived; p50 %s, p99 %s, max %s (goal p50 ≤ 1 s).\n\n", len(lat), n, pct(lat, 50), pct(lat, 99), pct(lat, 100))
}

// crash queues a burst of reset mails while a fake Resend holds every
// request, kills the instance with SIGKILL while it holds the claims, starts
// it again on the same database, and times until every mail has reached
// the fake and is marked sent. The fake answers a repeated Idempotency-Key
// as Resend does, with the first answer and no second mail, and counts what
// it accepted per key.
func (b *bench) crash() {
	fmt.Printf("## Outbox: kill -9 with mail claimed\n\n")
	fmt.Printf("| run | mails | claimed at the kill | restart ready after | last new mail at the fake after the kill | all marked sent after the kill | mails accepted | repeated requests |\n|---|---|---|---|---|---|---|---|\n")
	for run := range *runs {
		r := b.crashOnce()
		fmt.Printf("| %d | %d | %d | %s | %s | %s | %d | %d |\n", run+1, r.mails, r.claimed,
			r.restarted.Round(time.Millisecond), r.lastNew.Round(time.Millisecond), r.allSent.Round(time.Millisecond), r.accepted, r.repeated)
	}
	fmt.Println()
}

type crashResult struct {
	mails, claimed, accepted, repeated int
	restarted, lastNew, allSent        time.Duration // after the kill
}

func (b *bench) crashOnce() crashResult {
	const n = 20
	var mu sync.Mutex
	accepted := map[string]int{} // mails per idempotency key
	requests := map[string]int{} // requests per idempotency key
	firstSeen := map[string]time.Time{}
	hold := make(chan struct{})
	fake := http.NewServeMux()
	fake.HandleFunc("/emails", func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		requests[key]++
		if accepted[key] == 0 {
			accepted[key] = 1
			firstSeen[key] = time.Now()
		}
		mu.Unlock()
		select { // accepted, but the answer waits: the instance dies meanwhile
		case <-hold:
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"re-%s"}`, key)
	})
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	srv := &http.Server{Handler: fake}
	go srv.Serve(ln)
	defer srv.Close()
	resend := []string{"RESEND_API_KEY=re_bench", "RESEND_BASE_URL=http://" + ln.Addr().String() + "/"}

	dsn := b.freshDB()
	s := b.startOn(dsn, resend...)
	states := make([]string, n)
	for i := range n {
		id := strconv.Itoa(i)
		createAccount(s, "crash-"+id, "crash-"+id+"@example.jp")
		states[i] = confirmState(s.base, "crash-"+id, "crash-"+id+"@example.jp")
	}
	for _, state := range states { // the burst
		post(s.base+"/password-resetting/send", url.Values{"state": {state}})
	}
	bdb, err := db.Open(dsn)
	if err != nil {
		log.Fatal(err)
	}
	defer bdb.Close()
	ctx := context.Background()
	count := func(status string) int {
		c, err := bdb.NewSelect().Table("outbox").Where("status = ?", status).Count(ctx)
		if err != nil {
			log.Fatal(err)
		}
		return c
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		mu.Lock()
		asked := len(requests)
		mu.Unlock()
		// The first mail's request is held until the sender gives up; the
		// worker then claims a full batch and holds it while the fake
		// holds its first request: the worst moment to die.
		if asked > 0 && count(db.OutboxSending) >= 10 {
			break
		}
		if time.Now().After(deadline) {
			log.Fatal("crash: the burst was not queued and claimed")
		}
	}
	r := crashResult{mails: n, claimed: count(db.OutboxSending)}
	_ = s.cmd.Process.Kill() // SIGKILL: nothing is handed back
	_ = s.cmd.Wait()
	killed := time.Now()
	close(hold)

	s = b.startOn(dsn, resend...)
	defer s.stop()
	r.restarted = time.Since(killed)
	for deadline := time.Now().Add(3 * time.Minute); count(db.OutboxSent) < n; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			log.Fatalf("crash: %d of %d mails sent 3 minutes after the restart", count(db.OutboxSent), n)
		}
	}
	r.allSent = time.Since(killed)
	mu.Lock()
	defer mu.Unlock()
	for key, c := range accepted {
		r.accepted += c
		r.repeated += requests[key] - 1
		r.lastNew = max(r.lastNew, firstSeen[key].Sub(killed))
	}
	return r
}

// --- load tools ---

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

// fixedRate sends rate requests per second for d, each on its own
// goroutine at its scheduled time, and returns each latency (-1: failed).
func fixedRate(rate int, d time.Duration, next func(i int) (string, url.Values)) []time.Duration {
	n := int(d.Seconds() * float64(rate))
	lat := make([]time.Duration, n)
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 512}}
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

// ksDistance is the two-sample Kolmogorov–Smirnov statistic, with its
// critical value at the 5 % level: a distance below it means the two
// samples are indistinguishable.
func ksDistance(a, b []time.Duration) (d, critical float64) {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		x := min(a[i], b[j])
		for i < len(a) && a[i] <= x {
			i++
		}
		for j < len(b) && b[j] <= x {
			j++
		}
		d = math.Max(d, math.Abs(float64(i)/float64(len(a))-float64(j)/float64(len(b))))
	}
	n, m := float64(len(a)), float64(len(b))
	return d, 1.358 * math.Sqrt((n+m)/(n*m))
}

func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))].Round(10 * time.Microsecond)
}

// --- app helpers ---

func createAccount(s *server, loginID, email string) {
	cmd := exec.Command(s.cmd.Path, "account", "create", "--login-id", loginID, "--email", email, "--store", "Bench shop", "--password", "a bench passphrase")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+s.dsn, "SECRET_KEY="+secret)
	if out, err := cmd.CombinedOutput(); err != nil {
		log.Fatalf("account create: %v\n%s", err, out)
	}
}

func confirmState(base, loginID, email string) string {
	body := post(base+"/password-resetting/confirm", url.Values{"login_id": {loginID}, "email": {email}})
	m := regexp.MustCompile(`name="state" value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		log.Fatalf("no state on step 2:\n%s", body)
	}
	return m[1]
}

// seedTokens stores n accounts with one reset link each and returns the links' tokens.
func seedTokens(dsn string, n int) []string {
	bdb, err := db.Open(dsn)
	if err != nil {
		log.Fatal(err)
	}
	defer bdb.Close()
	ctx := context.Background()
	tokens := make([]string, n)
	for i := range n {
		a := &db.Account{LoginID: fmt.Sprintf("reset-%d", i), Email: fmt.Sprintf("reset-%d@example.jp", i), StoreName: "Bench", Locale: "ja", PasswordHash: "$2a$04$invalidinvalidinvalidinvalidinvalidinvalidinvalidinv"}
		if err := db.CreateAccount(ctx, bdb, a, time.Now()); err != nil {
			log.Fatal(err)
		}
		raw := make([]byte, 32)
		_, _ = rand.Read(raw)
		tok := base64.RawURLEncoding.EncodeToString(raw)
		sum := sha256.Sum256([]byte(tok))
		if _, err := db.CreateResetToken(ctx, bdb, a.ID, sum[:], time.Now(), time.Hour, ""); err != nil {
			log.Fatal(err)
		}
		tokens[i] = tok
	}
	return tokens
}

func get(target string) ([]byte, error) {
	res, err := http.Get(target)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	return io.ReadAll(res.Body)
}

func post(target string, form url.Values) string {
	res, err := http.PostForm(target, form)
	if err != nil {
		log.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return string(body)
}

func freePort() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func cpuModel() string {
	data, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "model name") {
			_, v, _ := strings.Cut(line, ":")
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}
