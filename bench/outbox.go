// The outbox: from a reset request to the (fake) Resend API.

package main

import (
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// outbox times a reset request to the moment a fake Resend, answering in
// about 200 ms and admitting 2 requests per second, accepts its mail.
func (b *bench) outbox() {
	fake := newFakeResend(resendLatency, 2)
	defer fake.close()
	s := b.start(fake.env()...)
	defer s.stop()
	const n = 30
	sent := map[string]time.Time{}
	for i := range n {
		id := "bench-" + strconv.Itoa(i)
		createAccount(s, id, id+"@example.jp")
		state := confirmState(s.base, id, id+"@example.jp")
		sent[id+"@example.jp"] = time.Now() // from the moment the merchant presses 送信する
		post(s.base+"/password-resetting/send", url.Values{"state": {state}})
		time.Sleep(600 * time.Millisecond) // within Resend's 2 requests/s
	}
	fake.waitFor(n, 30*time.Second)
	time.Sleep(2 * time.Second) // a second copy of any mail would arrive now
	var lat []time.Duration
	for to, at := range fake.firstAccepted() {
		if s, ok := sent[to]; ok {
			lat = append(lat, at.Sub(s))
		}
	}
	fmt.Printf("## Outbox: request to the (fake) Resend API\n\n%d of %d mails accepted, %d twice; p50 %s, p99 %s, max %s, of which about %s the fake's answer (goal p50 ≤ 1 s).\n\n",
		len(lat), n, fake.tally(time.Time{}).duplicates, pct(lat, 50), pct(lat, 99), pct(lat, 100), resendLatency)
}
