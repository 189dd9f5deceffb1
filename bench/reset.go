// Setting a new password under concurrency.

package main

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"time"
)

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
					d := setNewPassword(s.base, tok)
					mu.Lock()
					lat = append(lat, d)
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

// setNewPassword opens the link with this token, with cookies of its own,
// sets a new password there and says how long the two requests took.
func setNewPassword(base, tok string) time.Duration {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 60 * time.Second}
	t0 := time.Now()
	res, err := hc.Get(base + "/password-resetting/reset?token=" + tok)
	if err != nil {
		log.Fatal(err)
	}
	res.Body.Close()
	form := url.Values{"password": {"a new and long passphrase " + tok[:6]}, "password_confirm": {"a new and long passphrase " + tok[:6]}}
	req, _ := http.NewRequest(http.MethodPost, base+"/password-resetting/reset", strings.NewReader(form.Encode()))
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
	return time.Since(t0)
}
