// Package resendtest is a fake of Resend's sending API for tests: the
// outbox's, the web app's and the commands'. It speaks HTTP on a local
// port, so the real ResendSender talks to it.
package resendtest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resend/resend-go/v2"
)

// APIKey is the only API key Fake accepts.
const APIKey = "re_test_key"

// Fake stands in for Resend's POST /emails and POST /emails/batch
// (strict validation: all mails or none) and behaves as Resend documents
// it: it wants the API key and a valid message; it keeps the first
// successful answer for each Idempotency-Key and gives it again for a repeat
// without delivering another mail; while the first request with a key is
// still being processed a repeat gets 409 concurrent_idempotent_requests, and
// the same key with another payload 409 invalid_idempotent_request.
//
// Faults queued with Fail are served one per request, in order. With
// Limit set, it also answers 429 (with Retry-After and ratelimit-reset) to
// a request that would make more than limit in the last second, as
// Resend's per-team rate limit does.
type Fake struct {
	// Delay is how long each request takes to answer, as a real API's
	// round trip does (set before use).
	Delay  time.Duration
	Limit  int            // requests per second; 0 for no limit
	recent []time.Time    // the requests it took within the last second
	calls  map[string]int // requests by path

	URL    string
	srv    *httptest.Server
	closed chan struct{}

	mu        sync.Mutex
	faults    []Fault
	keys      map[string]*idemKey
	delivered []Mail      // every mail accepted, in order
	requests  []request   // every request, in order
	arrived   chan string // the key of each request, when someone listens
}

// Fault is what the fake does with one request instead of answering
// normally.
type Fault struct {
	Status     int           // answer with this error status and accept nothing…
	Name       string        // …the error's name in the body
	RetryAfter string        // …and this Retry-After header
	RetryAt    time.Duration // …or a Retry-After date this far from when it answers

	// Or accept the mail (deliver it), and then:
	Stall   bool          // never answer: the client gives up first, however fast it is
	Drop    bool          // close the connection without an answer
	BusyFor int           // treat the key as still in progress for this many more requests
	Hold    chan struct{} // answer only once this is closed
}

type idemKey struct {
	payload string
	ids     []string
	busy    int
}

// Mail is a mail the fake accepted.
type Mail struct {
	Key     string
	ID      string
	From    string       `json:"from"`
	To      []string     `json:"to"`
	Subject string       `json:"subject"`
	HTML    string       `json:"html"`
	Text    string       `json:"text"`
	Tags    []resend.Tag `json:"tags"`
}

// TagChars is what Resend allows in a tag's name and value.
var TagChars = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// validTags reports whether Resend would accept tags.
func validTags(tags []resend.Tag) bool {
	for _, tag := range tags {
		if !TagChars.MatchString(tag.Name) || !TagChars.MatchString(tag.Value) {
			return false
		}
	}
	return true
}

// TagsObject renders the mail's tags as Resend's webhooks echo them.
func (m Mail) TagsObject() string {
	obj := map[string]string{}
	for _, tag := range m.Tags {
		obj[tag.Name] = tag.Value
	}
	b, _ := json.Marshal(obj)
	return string(b)
}

type request struct {
	Key    string
	Status int
	Batch  int // Mails in a batch request; 0 for POST /emails
}

// OutboxID is the outbox id a mail carries as its tag.
func (m Mail) OutboxID() string {
	for _, tag := range m.Tags {
		if tag.Name == "outbox_id" {
			return tag.Value
		}
	}
	return ""
}

func New(t testing.TB) *Fake {
	t.Helper()
	f := &Fake{keys: map[string]*idemKey{}, closed: make(chan struct{}), calls: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serveHTTP))
	f.URL = f.srv.URL
	t.Cleanup(func() {
		close(f.closed)
		f.srv.Close()
	})
	return f
}

// Fail queues faults for the next requests.
func (f *Fake) Fail(faults ...Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, faults...)
}

// Notify returns a channel that receives the key of every request.
func (f *Fake) Notify() <-chan string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.arrived = make(chan string, 1000)
	return f.arrived
}

// throttle reports whether a request now would pass the fake's rate
// limit, and counts it when it does.
func (f *Fake) throttle(now time.Time) bool {
	if f.Limit == 0 {
		return false
	}
	kept := f.recent[:0]
	for _, at := range f.recent {
		if now.Sub(at) < time.Second {
			kept = append(kept, at)
		}
	}
	f.recent = kept
	if len(f.recent) >= f.Limit {
		return true
	}
	f.recent = append(f.recent, now)
	return false
}

func (f *Fake) serveHTTP(w http.ResponseWriter, r *http.Request) {
	batch := r.URL.Path == "/emails/batch"
	if r.Method != http.MethodPost || (r.URL.Path != "/emails" && !batch) {
		writeError(w, http.StatusNotFound, "not_found", "", "")
		return
	}
	key := r.Header.Get("Idempotency-Key")
	body, _ := io.ReadAll(r.Body)
	arrivedAt := time.Now() // the rate limit counts a request when it arrives
	if f.Delay > 0 {
		select {
		case <-time.After(f.Delay):
		case <-r.Context().Done():
			return
		}
	}

	f.mu.Lock()
	f.calls[r.URL.Path]++
	if f.arrived != nil {
		f.arrived <- key
	}
	var fault Fault
	if len(f.faults) > 0 {
		fault, f.faults = f.faults[0], f.faults[1:]
	}
	var mails []Mail
	valid := true
	if batch {
		valid = json.Unmarshal(body, &mails) == nil && len(mails) > 0 && len(mails) <= 100
	} else {
		var m Mail
		valid = json.Unmarshal(body, &m) == nil
		mails = []Mail{m}
	}
	for _, m := range mails {
		if m.From == "" || len(m.To) == 0 || !strings.Contains(m.To[0], "@") || m.Subject == "" || (m.HTML == "" && m.Text == "") || !validTags(m.Tags) {
			valid = false
		}
	}
	size := 0
	if batch {
		size = len(mails)
	}
	answer := func(status int, name string) {
		f.requests = append(f.requests, request{Key: key, Status: status, Batch: size})
		f.mu.Unlock()
		retryAfter := fault.RetryAfter
		if fault.RetryAt != 0 {
			retryAfter = time.Now().Add(fault.RetryAt).UTC().Format(http.TimeFormat)
		}
		if status == http.StatusTooManyRequests && retryAfter == "" {
			retryAfter = "1"
			w.Header().Set("Ratelimit-Reset", "1")
		}
		writeError(w, status, name, name, retryAfter)
	}
	if r.Header.Get("Authorization") != "Bearer "+APIKey {
		answer(http.StatusUnauthorized, "missing_api_key")
		return
	}
	if fault.Status != 0 {
		answer(fault.Status, fault.Name)
		return
	}
	if f.throttle(arrivedAt) {
		answer(http.StatusTooManyRequests, "rate_limit_exceeded")
		return
	}
	if !valid {
		answer(http.StatusUnprocessableEntity, "validation_error")
		return
	}
	if k := f.keys[key]; key != "" && k != nil {
		switch {
		case k.busy > 0:
			k.busy--
			answer(http.StatusConflict, "concurrent_idempotent_requests")
		case k.payload != string(body):
			answer(http.StatusConflict, "invalid_idempotent_request")
		default:
			f.requests = append(f.requests, request{Key: key, Status: http.StatusOK, Batch: size})
			f.mu.Unlock()
			f.ok(w, batch, k.ids)
		}
		return
	}
	ids := make([]string, len(mails))
	for i, m := range mails {
		m.Key, m.ID = key, fmt.Sprintf("re-%03d", len(f.delivered)+1)
		if batch {
			// A batch's mails are told apart by their outbox tag.
			m.Key = m.OutboxID()
		}
		ids[i] = m.ID
		f.delivered = append(f.delivered, m)
	}
	if key != "" {
		f.keys[key] = &idemKey{payload: string(body), ids: ids, busy: fault.BusyFor}
	}
	f.requests = append(f.requests, request{Key: key, Status: http.StatusOK, Batch: size})
	f.mu.Unlock()

	if fault.Hold != nil {
		select {
		case <-fault.Hold:
		case <-f.closed:
		}
	}
	if fault.Stall {
		select {
		case <-r.Context().Done():
		case <-f.closed:
		}
		return
	}
	if fault.Drop {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	}
	f.ok(w, batch, ids)
}

// ok answers a request the fake accepted with its message ids.
func (f *Fake) ok(w http.ResponseWriter, batch bool, ids []string) {
	if !batch {
		writeOK(w, ids[0])
		return
	}
	data := make([]map[string]string, len(ids))
	for i, id := range ids {
		data[i] = map[string]string{"id": id}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"data": data})
}

// CallsTo counts the requests to path ("/emails" or "/emails/batch").
func (f *Fake) CallsTo(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[path]
}

// Throttled counts the requests answered 429.
func (f *Fake) Throttled() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.requests {
		if r.Status == http.StatusTooManyRequests {
			n++
		}
	}
	return n
}

func writeOK(w http.ResponseWriter, id string) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"id":%q}`, id)
}

func writeError(w http.ResponseWriter, status int, name, message, retryAfter string) {
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if name == "" {
		name = "application_error"
	}
	fmt.Fprintf(w, `{"statusCode":%d,"name":%q,"message":%q}`, status, name, "fake: "+message)
}

// Deliveries counts the accepted mails by idempotency key.
func (f *Fake) Deliveries() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := map[string]int{}
	for _, m := range f.delivered {
		n[m.Key]++
	}
	return n
}

// Mails returns the accepted mails, in order.
func (f *Fake) Mails() []Mail {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Mail(nil), f.delivered...)
}

// RequestsFor counts the requests with key.
func (f *Fake) RequestsFor(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.requests {
		if r.Key == key {
			n++
		}
	}
	return n
}

// RequestCount counts every request.
func (f *Fake) RequestCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

// WebhookSecret is a signing secret in Resend's (Svix's) form.
var WebhookSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))

// SignWebhook signs req, whose body is body, as Resend (Svix) signs its
// webhook calls: with secret, at ts, under the message id msgID.
func SignWebhook(req *http.Request, secret, msgID, body string, ts time.Time) {
	stamp := strconv.FormatInt(ts.Unix(), 10)
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%s.%s", msgID, stamp, body)
	req.Header.Set("svix-id", msgID)
	req.Header.Set("svix-timestamp", stamp)
	req.Header.Set("svix-signature", "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
}
