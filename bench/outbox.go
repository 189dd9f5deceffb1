// The outbox: from a reset request to the (fake) Resend API.

package main

import (
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"sync"
	"time"
)

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
