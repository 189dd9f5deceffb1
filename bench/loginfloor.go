// Failed logins: the floor that hides whether a login ID exists, and
// memory under concurrent bcrypt checks.

package main

import (
	"fmt"
	"io"
	"log"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

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
