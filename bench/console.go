// The support console on a year of data: the account page, the first
// page (/) and search, timed over HTTP on 127.0.0.1, with the console's
// indexes and then without them.

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"aikagi/app/config"
	"aikagi/app/console"
	secretpkg "aikagi/app/secret"
	"aikagi/app/service"
	"aikagi/app/staff"
	"aikagi/db"
)

var (
	consoleRequests = flag.Int("console-requests", 200, "console: requests per page class, sequential and again with -console-clients")
	consoleClients  = flag.Int("console-clients", 4, "console: concurrent clients of the second pass")
	consoleBaseline = flag.Bool("console-baseline", true, "console: also measure with the indexes of "+consoleIndexMigration+" dropped")
	consoleCtype    = flag.String("console-ctype", "C.UTF-8", "console: LC_CTYPE of the database (pg_trgm indexes only the characters that it calls letters or digits: under C, none beyond ASCII)")
	consoleExplain  = flag.Bool("console-explain", false, "console: print EXPLAIN ANALYZE of the account page's and search's queries")
	consoleProfile  = flag.String("console-cpuprofile", "", "console: write a CPU profile of the pass with the indexes to this file (go tool pprof)")
)

// consoleIndexMigration is the migration whose indexes the baseline drops.
const consoleIndexMigration = "20261201000014_console_indexes"

// consoleSearches are typed into the search box: a login ID, an address,
// a store name in Japanese and in English, a full-width login ID, a short
// fragment, and one that matches nothing (the slowest without an index).
var consoleSearches = []string{"shop04217", "owner5123@", "あおぞら 本舗 4", "Kyoto Market", "ＳＨＯＰ０８８", "12", "no-such-shop"}

// pageClass is a kind of console page and how to pick the next URL.
type pageClass struct {
	name string
	next func(r *mrand.Rand) string
}

var consolePages = []pageClass{
	{"GET /accounts/:id (ordinary)", func(r *mrand.Rand) string {
		return fmt.Sprintf("/accounts/%d", seedHeavy+1+r.IntN(seedAccounts-seedHeavy))
	}},
	{"GET /accounts/:id (heavy)", func(r *mrand.Rand) string { return fmt.Sprintf("/accounts/%d", 1+r.IntN(seedHeavy)) }},
	{"GET /", func(*mrand.Rand) string { return "/" }},
	{"GET /search?q=…", func(r *mrand.Rand) string {
		return "/search?q=" + url.QueryEscape(consoleSearches[r.IntN(len(consoleSearches))])
	}},
}

// consoleBench seeds a fresh PostgreSQL database, serves the console on
// it in this process and times its pages.
func (b *bench) consoleBench() {
	ctx := context.Background()
	dsn := b.freshDB("TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE '" + *consoleCtype + "'")
	bdb, err := db.OpenWith(dsn, db.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer bdb.Close()
	if _, err := db.Migrate(ctx, bdb); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("## Support console: %d accounts and a year of events on PostgreSQL (LC_CTYPE %s)\n\n", seedAccounts, *consoleCtype)
	seedConsole(ctx, dsn)
	printTableSizes(ctx, bdb)

	// The console's own handle on the pool, so that the SQL it sends can
	// be recorded for EXPLAIN.
	rec := &capture{}
	cdb := bun.NewDB(bdb.DB, bdb.Dialect())
	cdb.AddQueryHook(rec)
	base, cookie, stop := serveConsole(ctx, cdb, dsn)
	defer stop()
	stopProfile := startProfile(*consoleProfile)
	measureConsole(base, cookie, "with "+consoleIndexMigration)
	stopProfile()
	if *consoleExplain {
		explainConsole(ctx, bdb, rec, base, cookie)
	}
	if *consoleBaseline {
		names := dropConsoleIndexes(ctx, bdb)
		measureConsole(base, cookie, "without "+strings.Join(names, ", "))
		if *consoleExplain {
			explainConsole(ctx, bdb, rec, base, cookie)
		}
	}
}

// startProfile writes a CPU profile to path until the returned function
// is called; with no path it does nothing.
func startProfile(path string) (stop func()) {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		log.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			log.Fatal(err)
		}
	}
}

// printTableSizes lists the rows and size of each seeded table.
func printTableSizes(ctx context.Context, bdb *bun.DB) {
	fmt.Println("| table | rows | size with indexes |\n|---|---|---|")
	for _, table := range []string{"accounts", "audit_events", "reset_tokens", "outbox", "login_failures"} {
		var n int
		var size string
		err := bdb.QueryRowContext(ctx, "SELECT count(*), pg_size_pretty(pg_total_relation_size('"+table+"')) FROM "+table).Scan(&n, &size)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("| %s | %d | %s |\n", table, n, size)
	}
	var kinds []struct {
		Kind string `bun:"kind"`
		N    int    `bun:"n"`
	}
	if err := bdb.NewRaw("SELECT kind, count(*) AS n FROM audit_events GROUP BY kind ORDER BY n DESC").Scan(ctx, &kinds); err != nil {
		log.Fatal(err)
	}
	var parts []string
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%s %d", k.Kind, k.N))
	}
	fmt.Printf("\naudit events by kind: %s\n\n", strings.Join(parts, ", "))
}

// serveConsole starts the console on 127.0.0.1 with a signed-in support
// member and returns its base URL, the member's cookie and its stop.
func serveConsole(ctx context.Context, bdb *bun.DB, dsn string) (base string, cookie *http.Cookie, stop func()) {
	env := map[string]string{"SECRET_KEY": secret, "DATABASE_URL": dsn}
	cfg, err := config.Load(func(k string) string { return env[k] }, secretpkg.Random)
	if err != nil {
		log.Fatal(err)
	}
	member := &db.Staff{Email: "bench@example.jp", Role: db.RoleAdmin, PasswordHash: "not used: the session is made directly"}
	if err := db.CreateStaff(ctx, bdb, member, time.Now()); err != nil {
		log.Fatal(err)
	}
	token, hashed := secretpkg.NewToken()
	sess := &db.StaffSession{IDHash: hashed, StaffID: member.ID, Stage: db.StageFull, IP: "127.0.0.1"}
	if err := db.CreateStaffSession(ctx, bdb, sess, time.Now(), staff.IdleTimeout); err != nil {
		log.Fatal(err)
	}
	c := console.New(service.New(cfg, bdb, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now, nil))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go func() { _ = c.Handler().Listener(ln) }()
	return "http://" + ln.Addr().String(), &http.Cookie{Name: cfg.CookieName("aikagi_staff"), Value: token},
		func() { _ = c.Handler().ShutdownWithTimeout(5 * time.Second) }
}

// measureConsole times each page class: *consoleRequests requests one
// after another, then as many again from *consoleClients clients at once.
func measureConsole(base string, cookie *http.Cookie, label string) {
	fmt.Printf("### %s\n\n| page | clients | requests | p50 | p95 | p99 | max | bytes (last page) |\n|---|---|---|---|---|---|---|---|\n", label)
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	deadline := time.Now().Add(10 * time.Minute)
	for _, p := range consolePages {
		warm := mrand.New(mrand.NewPCG(0, 1))
		for range 5 {
			getConsole(client, base+p.next(warm), cookie)
		}
		for _, clients := range []int{1, *consoleClients} {
			lat, size := loadConsole(client, base, cookie, p, clients, deadline)
			fmt.Printf("| %s | %d | %d | %s | %s | %s | %s | %d |\n", p.name, clients, len(lat), pct(lat, 50), pct(lat, 95), pct(lat, 99), pct(lat, 100), size)
		}
	}
	fmt.Println()
}

// loadConsole sends *consoleRequests requests of class p from clients
// clients and returns their latencies and the size of the last page.
func loadConsole(client *http.Client, base string, cookie *http.Cookie, p pageClass, clients int, deadline time.Time) ([]time.Duration, int) {
	var mu sync.Mutex
	var lat []time.Duration
	var size int
	var wg sync.WaitGroup
	for w := range clients {
		wg.Go(func() {
			r := mrand.New(mrand.NewPCG(uint64(w), 42))
			for i := w; i < *consoleRequests && time.Now().Before(deadline); i += clients {
				u := base + p.next(r)
				start := time.Now()
				n := getConsole(client, u, cookie)
				d := time.Since(start)
				mu.Lock()
				lat, size = append(lat, d), n
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return lat, size
}

// getConsole fetches u as the signed-in member and returns the page's
// size; anything but 200 stops the measurement.
func getConsole(client *http.Client, u string, cookie *http.Cookie) int {
	req, _ := http.NewRequest("GET", u, nil)
	req.AddCookie(cookie)
	res, err := client.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		log.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		log.Fatalf("console: GET %s: %d %s", u, res.StatusCode, body)
	}
	return len(body)
}

// dropConsoleIndexes drops the indexes that the console's migration
// creates (named in its PostgreSQL file) and analyses again.
func dropConsoleIndexes(ctx context.Context, bdb *bun.DB) []string {
	sql, err := os.ReadFile("db/migrations/postgres/" + consoleIndexMigration + ".up.sql")
	if err != nil {
		log.Fatalf("console: run from the repository's root: %v", err)
	}
	var names []string
	for _, m := range regexp.MustCompile(`(?i)CREATE INDEX (?:IF NOT EXISTS )?(\w+)`).FindAllStringSubmatch(string(sql), -1) {
		if _, err := bdb.ExecContext(ctx, "DROP INDEX "+m[1]); err != nil {
			log.Fatal(err)
		}
		names = append(names, m[1])
	}
	if _, err := bdb.ExecContext(ctx, "ANALYZE"); err != nil {
		log.Fatal(err)
	}
	return names
}

// capture records the SQL that bun sends while it is on, for EXPLAIN.
type capture struct {
	on      atomic.Bool
	mu      sync.Mutex
	queries []string
}

func (c *capture) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }

func (c *capture) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	if !c.on.Load() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !slices.Contains(c.queries, e.Query) {
		c.queries = append(c.queries, e.Query)
	}
}

// explainConsole opens the first page (the overview), the account page of
// a heavy and of an ordinary account and every search once, records the SQL the console sent, and
// prints each statement with its plan (EXPLAIN ANALYZE) and time.
func explainConsole(ctx context.Context, bdb *bun.DB, rec *capture, base string, cookie *http.Cookie) {
	client := &http.Client{Timeout: 30 * time.Second}
	rec.mu.Lock()
	rec.queries = nil
	rec.mu.Unlock()
	rec.on.Store(true)
	getConsole(client, base+"/", cookie)
	getConsole(client, base+"/accounts/1", cookie)
	getConsole(client, base+"/accounts/4242", cookie)
	for _, q := range consoleSearches {
		getConsole(client, base+"/search?q="+url.QueryEscape(q), cookie)
	}
	rec.on.Store(false)
	fmt.Println("```")
	for _, q := range rec.queries {
		rows, err := bdb.DB.QueryContext(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+q)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(q)
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				log.Fatal(err)
			}
			fmt.Println("  " + line)
		}
		rows.Close()
		fmt.Println()
	}
	fmt.Println("```")
}
