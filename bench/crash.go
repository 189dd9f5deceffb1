// The outbox killed with mail claimed, and started again.

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"aikagi/db"
)

// crash queues a burst of reset mails while a fake Resend holds every
// request, kills the instance with SIGKILL while it holds the claims, starts
// it again on the same database, and times until every mail has reached
// the fake and is marked sent. The fake answers a repeated Idempotency-Key
// as Resend does, with the first answer and no second mail, and counts how
// often it accepted each mail.
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

// crashOnce runs the kill and the restart once, on a fresh database.
func (b *bench) crashOnce() crashResult {
	const n = 20
	fake := newHeldResend()
	mux := http.NewServeMux()
	mux.HandleFunc("/emails", fake.serve)
	mux.HandleFunc("/emails/batch", fake.serve)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	defer srv.Close()
	resend := []string{"RESEND_API_KEY=" + benchAPIKey, "RESEND_BASE_URL=http://" + ln.Addr().String() + "/"}

	dsn := b.freshDB()
	s := b.startOn(dsn, resend...)
	queueBurst(s, "crash-", n)
	bdb, err := db.Open(dsn)
	if err != nil {
		log.Fatal(err)
	}
	defer bdb.Close()
	waitClaimed(fake, bdb)
	r := crashResult{mails: n, claimed: outboxCount(bdb, db.OutboxSending)}
	_ = s.cmd.Process.Kill() // SIGKILL: nothing is handed back
	_ = s.cmd.Wait()
	killed := time.Now()
	fake.release()

	s = b.startOn(dsn, resend...)
	defer s.stop()
	r.restarted = time.Since(killed)
	for deadline := time.Now().Add(3 * time.Minute); outboxCount(bdb, db.OutboxSent) < n; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			log.Fatalf("crash: %d of %d mails sent 3 minutes after the restart", outboxCount(bdb, db.OutboxSent), n)
		}
	}
	r.allSent = time.Since(killed)
	fake.tally(&r, killed)
	return r
}

// queueBurst creates n accounts (login IDs prefix0, prefix1, …), confirms
// step 2 for each, then sends step 3 for all of them in a row.
func queueBurst(s *server, prefix string, n int) {
	states := make([]string, n)
	for i := range n {
		id := prefix + strconv.Itoa(i)
		createAccount(s, id, id+"@example.jp")
		states[i] = confirmState(s.base, id, id+"@example.jp")
	}
	for _, state := range states {
		post(s.base+"/password-resetting/send", url.Values{"state": {state}})
	}
}

// waitClaimed waits until the instance has claimed the burst.
func waitClaimed(fake *heldResend, bdb *bun.DB) {
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		// Every request is held, so the worker holds its claims (the
		// first mails, then the rest of the burst as one batch) while the
		// fake holds their requests: the worst moment to die.
		if fake.asked() > 0 && outboxCount(bdb, db.OutboxSending) >= 10 {
			return
		}
		if time.Now().After(deadline) {
			log.Fatal("crash: the burst was not queued and claimed")
		}
	}
}

// outboxCount counts the mails in the outbox with this status.
func outboxCount(bdb *bun.DB, status db.OutboxStatus) int {
	c, err := bdb.NewSelect().Table("outbox").Where("status = ?", status).Count(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	return c
}

// heldResend is a fake Resend API that accepts every request but holds its
// answer until release. It answers a repeated Idempotency-Key as Resend
// does, with no second mail, and counts what it was asked per key and
// accepted per mail (by its outbox_id tag).
type heldResend struct {
	mu        sync.Mutex
	accepted  map[string]int // acceptances per mail
	requests  map[string]int // requests per idempotency key
	firstSeen map[string]time.Time
	hold      chan struct{}
}

func newHeldResend() *heldResend {
	return &heldResend{accepted: map[string]int{}, requests: map[string]int{}, firstSeen: map[string]time.Time{}, hold: make(chan struct{})}
}

func (f *heldResend) serve(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("Idempotency-Key")
	body, _ := io.ReadAll(r.Body)
	batch := r.URL.Path == "/emails/batch"
	var msgs []fakeMessage
	if batch {
		_ = json.Unmarshal(body, &msgs)
	} else {
		var m fakeMessage
		_ = json.Unmarshal(body, &m)
		msgs = []fakeMessage{m}
	}
	f.mu.Lock()
	f.requests[key]++
	if f.requests[key] == 1 { // a key seen before is answered, not accepted again
		for _, m := range msgs {
			id := m.outboxID()
			if f.accepted[id] == 0 {
				f.firstSeen[id] = time.Now()
			}
			f.accepted[id]++
		}
	}
	f.mu.Unlock()
	select { // accepted, but the answer waits: the instance dies meanwhile
	case <-f.hold:
	case <-r.Context().Done():
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if !batch {
		fmt.Fprintf(w, `{"id":"re-%s"}`, key)
		return
	}
	data := make([]map[string]string, len(msgs))
	for i, m := range msgs {
		data[i] = map[string]string{"id": "re-" + m.outboxID()}
	}
	json.NewEncoder(w).Encode(map[string]any{"data": data})
}

// asked is how many distinct mails the fake has been asked to send.
func (f *heldResend) asked() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

// release answers the held requests, and every later one at once.
func (f *heldResend) release() {
	close(f.hold)
}

// tally adds to r the mails accepted, the repeated requests and the last
// new mail after killed.
func (f *heldResend) tally(r *crashResult, killed time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, c := range f.accepted {
		r.accepted += c
		r.lastNew = max(r.lastNew, f.firstSeen[id].Sub(killed))
	}
	for _, c := range f.requests {
		r.repeated += c - 1
	}
}
