package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/a-h/templ"
	"github.com/resend/resend-go/v2"
	"github.com/uptrace/bun"

	"aikagi/app/config"
	"aikagi/app/mail"
	"aikagi/db"
	"aikagi/db/dbtest"
)

// fakeAPIKey is the only API key fakeResend accepts.
const fakeAPIKey = "re_test_key"

// fakeResend stands in for Resend's POST /emails and behaves as Resend
// documents it: it wants the API key and a valid message; it keeps the first
// successful answer for each Idempotency-Key and gives it again for a repeat
// without delivering another mail; while the first request with a key is
// still being processed a repeat gets 409 concurrent_idempotent_requests, and
// the same key with another payload 409 invalid_idempotent_request.
//
// Faults queued with fail are served one per request, in order.
type fakeResend struct {
	URL    string
	srv    *httptest.Server
	closed chan struct{}

	mu        sync.Mutex
	faults    []fakeFault
	keys      map[string]*fakeKey
	delivered []fakeMail    // every mail accepted, in order
	requests  []fakeRequest // every request, in order
	arrived   chan string   // the key of each request, when someone listens
}

// fakeFault is what the fake does with one request instead of answering
// normally.
type fakeFault struct {
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

type fakeKey struct {
	payload string
	id      string
	busy    int
}

// fakeMail is a mail the fake accepted.
type fakeMail struct {
	Key     string
	ID      string
	From    string       `json:"from"`
	To      []string     `json:"to"`
	Subject string       `json:"subject"`
	HTML    string       `json:"html"`
	Text    string       `json:"text"`
	Tags    []resend.Tag `json:"tags"`
}

// resendTagChars is what Resend allows in a tag's name and value.
var resendTagChars = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// validTags reports whether Resend would accept tags.
func validTags(tags []resend.Tag) bool {
	for _, tag := range tags {
		if !resendTagChars.MatchString(tag.Name) || !resendTagChars.MatchString(tag.Value) {
			return false
		}
	}
	return true
}

// tagsObject renders the mail's tags as Resend's webhooks echo them.
func (m fakeMail) tagsObject() string {
	obj := map[string]string{}
	for _, tag := range m.Tags {
		obj[tag.Name] = tag.Value
	}
	b, _ := json.Marshal(obj)
	return string(b)
}

type fakeRequest struct {
	Key    string
	Status int
}

func newFakeResend(t testing.TB) *fakeResend {
	t.Helper()
	f := &fakeResend{keys: map[string]*fakeKey{}, closed: make(chan struct{})}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serveHTTP))
	f.URL = f.srv.URL
	t.Cleanup(func() {
		close(f.closed)
		f.srv.Close()
	})
	return f
}

// fail queues faults for the next requests.
func (f *fakeResend) fail(faults ...fakeFault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, faults...)
}

// notify returns a channel that receives the key of every request.
func (f *fakeResend) notify() <-chan string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.arrived = make(chan string, 1000)
	return f.arrived
}

func (f *fakeResend) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/emails" {
		fakeError(w, http.StatusNotFound, "not_found", "", "")
		return
	}
	key := r.Header.Get("Idempotency-Key")
	body, _ := io.ReadAll(r.Body)

	f.mu.Lock()
	if f.arrived != nil {
		f.arrived <- key
	}
	var fault fakeFault
	if len(f.faults) > 0 {
		fault, f.faults = f.faults[0], f.faults[1:]
	}
	answer := func(status int, name string) {
		f.requests = append(f.requests, fakeRequest{Key: key, Status: status})
		f.mu.Unlock()
		retryAfter := fault.RetryAfter
		if fault.RetryAt != 0 {
			retryAfter = time.Now().Add(fault.RetryAt).UTC().Format(http.TimeFormat)
		}
		fakeError(w, status, name, name, retryAfter)
	}
	if r.Header.Get("Authorization") != "Bearer "+fakeAPIKey {
		answer(http.StatusUnauthorized, "missing_api_key")
		return
	}
	if fault.Status != 0 {
		answer(fault.Status, fault.Name)
		return
	}
	var m fakeMail
	if err := json.Unmarshal(body, &m); err != nil || m.From == "" || len(m.To) == 0 || m.Subject == "" || (m.HTML == "" && m.Text == "") || !validTags(m.Tags) {
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
			f.requests = append(f.requests, fakeRequest{Key: key, Status: http.StatusOK})
			f.mu.Unlock()
			fakeOK(w, k.id)
		}
		return
	}
	m.Key, m.ID = key, fmt.Sprintf("re-%03d", len(f.delivered)+1)
	f.delivered = append(f.delivered, m)
	if key != "" {
		f.keys[key] = &fakeKey{payload: string(body), id: m.ID, busy: fault.BusyFor}
	}
	f.requests = append(f.requests, fakeRequest{Key: key, Status: http.StatusOK})
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
	fakeOK(w, m.ID)
}

func fakeOK(w http.ResponseWriter, id string) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"id":%q}`, id)
}

func fakeError(w http.ResponseWriter, status int, name, message, retryAfter string) {
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

// deliveries counts the accepted mails by idempotency key.
func (f *fakeResend) deliveries() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := map[string]int{}
	for _, m := range f.delivered {
		n[m.Key]++
	}
	return n
}

// mails returns the accepted mails, in order.
func (f *fakeResend) mails() []fakeMail {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeMail(nil), f.delivered...)
}

// requestsFor counts the requests with key.
func (f *fakeResend) requestsFor(key string) int {
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

// requestCount counts every request.
func (f *fakeResend) requestCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

// fakeTimeout is how long the app waits for the fake in tests: generous,
// so that a busy machine never turns a normal answer into a timeout. A test
// of the timeout itself stalls the fake and passes a short timeout.
const fakeTimeout = 30 * time.Second

// newResendApp builds an app on the database at dsn whose mail goes through
// ResendSender to fake, with a sender timeout (fakeTimeout when zero).
// With a clock, the app and its worker run on it; without, on real time.
func newResendApp(t testing.TB, dsn string, fake *fakeResend, clock *fakeClock, timeout time.Duration, overrides map[string]string) *App {
	t.Helper()
	env := testEnv()
	env["RESEND_API_KEY"] = fakeAPIKey
	env["RESEND_BASE_URL"] = fake.URL
	for k, v := range overrides {
		if v == "" {
			delete(env, k)
			continue
		}
		env[k] = v
	}
	cfg, err := config.Load(getenvFrom(env), noRandomKey(t))
	if err != nil {
		t.Fatalf("config.Load: %v", err)
	}
	if timeout == 0 {
		timeout = fakeTimeout
	}
	sender, err := mail.NewResendSender(cfg.ResendAPIKey, cfg.Resend.BaseURL, timeout)
	if err != nil {
		t.Fatal(err)
	}
	a := New(cfg, dbtest.OpenDSN(t, dsn), slog.New(slog.NewTextHandler(io.Discard, nil)), sender)
	if clock != nil {
		a.now = clock.Now
		a.outbox.Sleep = clock.Sleep
	}
	return a
}

// queueNotices queues n small mails without an expiry for acct, in one
// transaction, and returns their outbox ids.
func queueNotices(t testing.TB, a *App, acct *db.Account, n int) []string {
	t.Helper()
	ctx := context.Background()
	before := map[string]bool{}
	var existing []string
	if err := a.db.NewSelect().Table("outbox").Column("id").Scan(ctx, &existing); err != nil {
		t.Fatal(err)
	}
	for _, id := range existing {
		before[id] = true
	}
	err := a.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		for i := range n {
			if err := a.outbox.Queue(ctx, tx, mail.Outgoing{
				Kind: mail.KindPasswordChanged, AccountID: acct.ID, To: acct.Email, Subject: fmt.Sprintf("notice %d", i),
				Text: fmt.Sprintf("text %d", i), HTML: templ.Raw(fmt.Sprintf("<p>html %d</p>", i)),
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("queue notices: %v", err)
	}
	var all []string
	if err := a.db.NewSelect().Table("outbox").Column("id").Order("created_at", "id").Scan(ctx, &all); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, id := range all {
		if !before[id] {
			ids = append(ids, id)
		}
	}
	if len(ids) != n {
		t.Fatalf("queued %d notices, found %d new rows", n, len(ids))
	}
	return ids
}

// outboxRow reads one outbox row.
func outboxRow(t testing.TB, a *App, id string) db.OutboxMail {
	t.Helper()
	row, err := db.GetOutboxMail(context.Background(), a.db, id)
	if err != nil || row == nil {
		t.Fatalf("outbox row %s: %v, %v", id, row, err)
	}
	return *row
}
