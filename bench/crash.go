// The outbox killed with mail claimed, and started again.

package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"aikagi/db"
)

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
