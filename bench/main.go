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
	"maps"
	"math"
	mrand "math/rand/v2"
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
	"github.com/uptrace/bun"
	"golang.org/x/crypto/bcrypt"

	"aikagi/db"
)

var (
	duration = flag.Duration("duration", 10*time.Second, "length of each load run")
	runs     = flag.Int("runs", 3, "runs per measurement; medians are reported")
	only     = flag.String("only", "regist,enum,step3rate,intakelatency,loginfloor,reset,memory,outbox,crash", "measurements to run")
	soak     = flag.Duration("soak", 0, "also soak GET step 1 for this long, sampling memory (e.g. 10m)")
	dbs      = flag.String("db", "postgres,sqlite", "databases that enum compares")
	logins   = flag.Int("logins", 150, "loginfloor: pairs of failed logins (each about 2 × LOGIN_FAILURE_MIN_DURATION)")
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
		case "enum":
			b.enum()
		case "step3rate":
			b.step3rate()
		case "intakelatency":
			b.intakeLatency()
		case "loginfloor":
			b.loginFloor()
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
	log  string // its log file
}

// start runs the binary on a fresh PostgreSQL database with the limits
// lifted (they would refuse a load test) and extra settings.
func (b *bench) start(extra ...string) *server {
	return b.startOn(b.freshDB(), extra...)
}

// startOn runs the binary on the database dsn, which may already hold
// accounts and other servers, with the limits lifted and extra settings.
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
	s := &server{cmd: cmd, base: "http://" + addr, dsn: dsn, log: logFile.Name()}
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
	type result struct {
		dbName, load string
		clients      int
		run          journeyRun
		drain        time.Duration
		counts       map[string]int
	}
	var results []result
	for _, dbName := range strings.Split(*dbs, ",") {
		for _, clients := range []int{4, 16} {
			dsn := b.freshDSN(dbName)
			b.importAccounts(dsn, ids, minCostHash())
			s := b.startOn(dsn)
			r := result{dbName: dbName, clients: clients, load: loadAvg()}
			r.run = journeyLoop(s.base, ids, clients, *duration)
			r.drain = waitIntakeDrained(dsn, 2*time.Minute)
			r.counts = auditCounts(dsn)
			s.stop()
			results = append(results, r)
		}
	}
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

var stateField = regexp.MustCompile(`name="state" value="([^"]+)"`)

// fetch GETs target, or POSTs form to it, and wants a 200.
func fetch(hc *http.Client, target string, form url.Values) (string, error) {
	var res *http.Response
	var err error
	if form == nil {
		res, err = hc.Get(target)
	} else {
		res, err = hc.PostForm(target, form)
	}
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err == nil && res.StatusCode != http.StatusOK {
		err = fmt.Errorf("%s: status %d", target, res.StatusCode)
	}
	return string(body), err
}

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

// perSecond lists the p50 and p99 of each second of a fixedRate run.
func perSecond(lat []time.Duration, rate int) string {
	var parts []string
	for start := 0; start < len(lat); start += rate {
		ok := slices.DeleteFunc(slices.Clone(lat[start:min(len(lat), start+rate)]), func(d time.Duration) bool { return d < 0 })
		parts = append(parts, fmt.Sprintf("%s / %s", pct(ok, 50), pct(ok, 99)))
	}
	return strings.Join(parts, "; ")
}

// intakeLatency times a reset request from the press of 送信する to the
// moment a fake Resend API accepts its mail, at 200 requests/s over two
// instances sharing one PostgreSQL database, each request for its own
// account.
func (b *bench) intakeLatency() {
	const rate = 200
	n := int(duration.Seconds() * rate)
	var mu sync.Mutex
	received := map[int]time.Time{}
	arrivals := map[int]int{}
	var nextID atomic.Int64
	recipient := regexp.MustCompile(`lat-(\d+)@example\.jp`)
	fake := http.NewServeMux()
	fake.HandleFunc("/emails", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		at := time.Now()
		if m := recipient.FindSubmatch(body); m != nil {
			i, _ := strconv.Atoi(string(m[1]))
			mu.Lock()
			if _, seen := received[i]; !seen {
				received[i] = at
			}
			arrivals[i]++
			mu.Unlock()
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"bench-%d"}`, nextID.Add(1))
	})
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	srv := &http.Server{Handler: fake}
	go srv.Serve(ln)
	defer srv.Close()

	dsn := b.freshDB()
	ids := accountIDs("lat", n)
	b.importAccounts(dsn, ids, minCostHash())
	mailer := []string{"RESEND_API_KEY=re_bench", "RESEND_BASE_URL=http://" + ln.Addr().String() + "/", "RESEND_RATE_LIMIT=1000"}
	servers := []*server{b.startOn(dsn, mailer...), b.startOn(dsn, mailer...)}
	defer servers[1].stop()
	defer servers[0].stop()
	// Requests for login IDs that do not exist open the connections first
	// (client to servers, servers to the database); they send no mail.
	warm := int(warmUp.Seconds() * rate)
	states, warmStates := make([]string, n), make([]string, warm)
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
	for wait := time.Now(); time.Since(wait) < time.Minute; time.Sleep(100 * time.Millisecond) {
		mu.Lock()
		got := len(received)
		mu.Unlock()
		if got == n {
			break
		}
	}
	peakIntake, peakOutbox := stopSampling()
	time.Sleep(2 * time.Second) // a second copy of any mail would arrive now
	var mail []time.Duration
	bySecond := make([]time.Duration, n) // -1: never arrived
	var last time.Time
	twice := 0
	mu.Lock()
	for i := range bySecond {
		bySecond[i] = -1
	}
	for i, at := range received {
		mail = append(mail, at.Sub(sent[i]))
		bySecond[i] = at.Sub(sent[i])
		if arrivals[i] > 1 {
			twice++
		}
		if at.After(last) {
			last = at
		}
	}
	mu.Unlock()
	ok := slices.DeleteFunc(slices.Clone(lat), func(d time.Duration) bool { return d < 0 })
	failed := len(lat) - len(ok)
	fmt.Printf("## Intake and outbox: 送信する to the (fake) Resend API, two instances\n\n")
	fmt.Printf("%d requests at %d/s open loop for %s after a %s warm-up at the same rate (unknown login IDs, no mail), alternating between two instances on one PostgreSQL database, each for its own account (imported beforehand, states confirmed beforehand); `RESEND_RATE_LIMIT=1000`. Load average before (1/5/15 min): %s.\n\n", n, rate, *duration, warmUp, load)
	fmt.Printf("| mails arrived | arrived more than once | failed requests | p50 | p99 | max | step 3 response p50 / p99 | largest backlog: intake / outbox |\n|---|---|---|---|---|---|---|---|\n")
	fmt.Printf("| %d of %d | %d | %d | %s | %s | %s | %s / %s | %d / %d |\n\n", len(mail), n, twice, failed, pct(mail, 50), pct(mail, 99), pct(mail, 100), pct(ok, 50), pct(ok, 99), peakIntake, peakOutbox)
	fmt.Printf("Goal p50 ≤ 1 s. From the first press to the last mail: %s, %.0f mails/s through both instances. p50 / p99 by the second the request was sent: %s.\n\n",
		last.Sub(sent[0]).Round(10*time.Millisecond), float64(len(mail))/last.Sub(sent[0]).Seconds(), perSecond(bySecond, rate))
}

// loginFloor compares failed logins for an account imported with a bcrypt
// cost-12 hash (the slowest accepted) with those for unknown login IDs,
// sequentially, in random order within each pair; then sends failed logins
// for that account 8 at a time and reads the server's peak memory.
func (b *bench) loginFloor() {
	pairs := min(*logins, 900) // under LOGIN_LOCKOUT_THRESHOLD
	dsn := b.freshDB()
	hash, err := bcrypt.GenerateFromPassword([]byte("the right passphrase"), 12)
	if err != nil {
		log.Fatal(err)
	}
	b.importAccounts(dsn, []string{"slow-00001"}, string(hash))
	s := b.startOn(dsn, "LOGIN_LOCKOUT_THRESHOLD=1000")
	defer s.stop()
	time.Sleep(3 * time.Second) // let the start-up check of the floor finish first
	hc := &http.Client{Timeout: 30 * time.Second}
	load := loadAvg()
	var known, unknown []time.Duration
	for i := range pairs {
		first := mrand.IntN(2)
		for k := range 2 {
			loginID := fmt.Sprintf("gone-%05d", i)
			if k == first {
				loginID = "slow-00001"
			}
			d := failedLogin(hc, s.base, loginID, fmt.Sprintf("wrong passphrase %d", i))
			if loginID == "slow-00001" {
				known = append(known, d)
			} else {
				unknown = append(unknown, d)
			}
		}
	}
	_, peakBefore := s.rssKB()
	var mu sync.Mutex
	var burst []time.Duration
	const rounds, concurrent = 5, 8
	for round := range rounds {
		var wg sync.WaitGroup
		for c := range concurrent {
			wg.Go(func() {
				d := failedLogin(hc, s.base, "slow-00001", fmt.Sprintf("wrong burst %d/%d", round, c))
				mu.Lock()
				burst = append(burst, d)
				mu.Unlock()
			})
		}
		wg.Wait()
	}
	_, peak := s.rssKB()
	fmt.Printf("## Failed logins: bcrypt cost 12 against an unknown login ID\n\n")
	fmt.Printf("%d pairs of wrong-password POSTs to /login, one at a time, the order within each pair random: an account imported with a bcrypt cost-12 hash, and a login ID that does not exist (the server checks a dummy argon2id hash). `LOGIN_FAILURE_MIN_DURATION` at its default, 400 ms; `LOGIN_LOCKOUT_THRESHOLD=1000` so the account is not paused. Load average before (1/5/15 min): %s. %s\n\n", pairs, load, floorCheck(s.log))
	fmt.Printf("| login ID | failures | p50 | p99 | max |\n|---|---|---|---|---|\n")
	fmt.Printf("| existing, bcrypt cost 12 | %d | %s | %s | %s |\n", len(known), pct(known, 50), pct(known, 99), pct(known, 100))
	fmt.Printf("| unknown | %d | %s | %s | %s |\n\n", len(unknown), pct(unknown, 50), pct(unknown, 99), pct(unknown, 100))
	fmt.Printf("Medians differ by %s (goal within 5 ms); KS distance (5 %% critical value): %s.\n\n", delta(known, unknown), ksCell(known, unknown))
	fmt.Printf("Then %d rounds of %d concurrent failed logins for the same account: p50 %s, max %s; server peak RSS %.1f MB (%.1f MB before the bursts).\n\n",
		rounds, concurrent, pct(burst, 50), pct(burst, 100), float64(peak)/1024, float64(peakBefore)/1024)
}

// failedLogin POSTs a wrong password and wants the refusal.
func failedLogin(hc *http.Client, base, loginID, password string) time.Duration {
	t0 := time.Now()
	res, err := hc.PostForm(base+"/login", url.Values{"login_id": {loginID}, "password": {password}})
	if err != nil {
		log.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	d := time.Since(t0)
	if res.StatusCode != http.StatusUnauthorized {
		log.Fatalf("login %s: status %d, want 401", loginID, res.StatusCode)
	}
	return d
}

// floorCheck is what the server's start-up check of the failed-login
// floor logged.
func floorCheck(logFile string) string {
	data, _ := os.ReadFile(logFile)
	m := regexp.MustCompile(`"msg":"([^"]*(?:floor|FLOOR|MIN_DURATION)[^"]*)".*"slowest_verification":"([^"]+)"`).FindSubmatch(data)
	if m == nil {
		return "The server's start-up check of the floor logged nothing."
	}
	return fmt.Sprintf("At start the server measured the slowest accepted hash at %s (%q).", m[2], m[1])
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

// randomHalves splits ds at random into two halves, for a control: two
// samples of the same thing, to show how far apart noise alone puts them.
func randomHalves(ds []time.Duration) (a, b []time.Duration) {
	for _, i := range mrand.Perm(len(ds)) {
		if len(a) < len(ds)/2 {
			a = append(a, ds[i])
		} else {
			b = append(b, ds[i])
		}
	}
	return a, b
}

// ksCell is the KS distance of a and b, its critical value and what they
// say.
func ksCell(a, b []time.Duration) string {
	d, crit := ksDistance(a, b)
	if d < crit {
		return fmt.Sprintf("%.3f (%.3f), indistinguishable", d, crit)
	}
	return fmt.Sprintf("%.3f (%.3f), distinguishable", d, crit)
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

// accountIDs are n login IDs such as acct-00042.
func accountIDs(prefix string, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s-%05d", prefix, i)
	}
	return ids
}

// minCostHash is a bcrypt hash at the lowest cost, for accounts whose
// password the measurement never checks.
var minCostHash = sync.OnceValue(func() string {
	h, err := bcrypt.GenerateFromPassword([]byte("a bench passphrase"), bcrypt.MinCost)
	if err != nil {
		log.Fatal(err)
	}
	return string(h)
})

// importAccounts loads accounts with the given login IDs (each address is
// the ID at example.jp) and password hash through `aikagi account import`,
// as an operator would.
func (b *bench) importAccounts(dsn string, ids []string, hash string) {
	var csv strings.Builder
	csv.WriteString("login_id,email,store_name,locale,password_hash\n")
	for _, id := range ids {
		fmt.Fprintf(&csv, "%s,%s@example.jp,Bench shop,ja,%s\n", id, id, hash)
	}
	f, err := os.CreateTemp(b.tmp, "import-*.csv")
	if err != nil {
		log.Fatal(err)
	}
	defer os.Remove(f.Name())
	if _, err := f.WriteString(csv.String()); err != nil {
		log.Fatal(err)
	}
	f.Close()
	cmd := exec.Command(b.bin, "account", "import", f.Name())
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dsn, "SECRET_KEY="+secret)
	if out, err := cmd.CombinedOutput(); err != nil {
		log.Fatalf("account import: %v\n%s", err, out)
	}
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
			if n, err := bdb.NewSelect().Model((*db.OutboxMail)(nil)).Where("status IN (?)", bun.In([]string{db.OutboxPending, db.OutboxSending})).Count(ctx); err == nil {
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
func auditCounts(dsn string) map[string]int {
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
	counts := map[string]int{}
	for rows.Next() {
		var kind string
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

// delta is the difference of two medians, signed.
func delta(a, b []time.Duration) string {
	d := pct(a, 50) - pct(b, 50)
	return fmt.Sprintf("%+.2f ms", float64(d)/float64(time.Millisecond))
}

// sizes lists the distinct response sizes seen.
func sizes(counts map[int]int) string {
	var s []string
	for _, size := range slices.Sorted(maps.Keys(counts)) {
		s = append(s, strconv.Itoa(size))
	}
	return strings.Join(s, ", ")
}

// loadAvg is the machine's load average over 1, 5 and 15 minutes.
func loadAvg() string {
	data, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " / ")
}

func createAccount(s *server, loginID, email string) {
	cmd := exec.Command(s.cmd.Path, "account", "create", "--login-id", loginID, "--email", email, "--store", "Bench shop", "--password", "a bench passphrase")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+s.dsn, "SECRET_KEY="+secret)
	if out, err := cmd.CombinedOutput(); err != nil {
		log.Fatalf("account create: %v\n%s", err, out)
	}
}

func confirmState(base, loginID, email string) string {
	body := post(base+"/password-resetting/confirm", url.Values{"login_id": {loginID}, "email": {email}})
	m := stateField.FindStringSubmatch(body)
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
