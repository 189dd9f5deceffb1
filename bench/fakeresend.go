// A fake of Resend's sending API on 127.0.0.1, for the measurements of the
// mail pipeline: it takes time to answer and limits requests as Resend
// does, so that what the app achieves against it is what it would achieve
// against Resend.

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log"
	"math"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"time"
)

// benchAPIKey is the only API key fakeResend accepts.
const benchAPIKey = "re_bench"

// fakeResend stands in for Resend's POST /emails and POST /emails/batch
// (strict validation: all mails of a batch or none). Each answer takes
// latency, give or take a tenth. It admits limit requests per sliding
// second, Resend's per-team rate limit, and answers any more with 429 and
// Resend's headers; a refused request does not count against the limit.
// The first successful answer for an Idempotency-Key is kept and given
// again for the same key, without accepting the mails a second time; the
// same key while its first request is under way gets 409
// concurrent_idempotent_requests, and with another body 409
// invalid_idempotent_request.
//
// It notes when each mail, told apart by its outbox_id tag, was first
// accepted, and how many times; a mail accepted twice is a duplicate. While
// held, it refuses everything for the rate limit, as Resend does to a team
// over its limit.
type fakeResend struct {
	URL     string
	latency time.Duration
	limit   int // requests per sliding second; 0 for none
	srv     *http.Server

	mu       sync.Mutex
	held     bool // every request is refused for the rate limit
	admitted []time.Time
	keys     map[string]*keptAnswer
	mails    map[string]*fakeMail // by outbox id
	calls    []fakeCall
	nextID   int
}

// keptAnswer is what an Idempotency-Key was first answered.
type keptAnswer struct {
	body    []byte // the request's body
	answer  []byte // nil while the first request is under way
	pending bool
}

// fakeMail is one mail as the fake saw it.
type fakeMail struct {
	to       string
	first    time.Time // when it was first accepted (its answer left)
	accepted int       // how many requests accepted it
}

// fakeCall is one request to the fake.
type fakeCall struct {
	at     time.Time // when it arrived
	batch  bool      // POST /emails/batch
	status int
	mails  int  // mails it accepted (none for a replayed answer)
	replay bool // answered from its Idempotency-Key
}

// newFakeResend serves a fake Resend on 127.0.0.1 that answers in about
// latency and admits limit requests per second (0: no limit).
func newFakeResend(latency time.Duration, limit int) *fakeResend {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	f := &fakeResend{URL: "http://" + ln.Addr().String() + "/", latency: latency, limit: limit,
		keys: map[string]*keptAnswer{}, mails: map[string]*fakeMail{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /emails", f.serveSingle)
	mux.HandleFunc("POST /emails/batch", f.serveBatch)
	f.srv = &http.Server{Handler: mux}
	go f.srv.Serve(ln)
	return f
}

func (f *fakeResend) close() { f.srv.Close() }

// env is the app's settings for sending through the fake.
func (f *fakeResend) env() []string {
	return []string{"RESEND_API_KEY=" + benchAPIKey, "RESEND_BASE_URL=" + f.URL}
}

// fakeMessage is one mail of a request, as Resend's API takes it.
type fakeMessage struct {
	From        string            `json:"from"`
	To          []string          `json:"to"`
	Subject     string            `json:"subject"`
	HTML        string            `json:"html"`
	Text        string            `json:"text"`
	Cc          []string          `json:"cc"`
	Bcc         []string          `json:"bcc"`
	ReplyTo     string            `json:"reply_to"`
	Headers     map[string]string `json:"headers"`
	Tags        []fakeTag         `json:"tags"`
	Attachments []json.RawMessage `json:"attachments"`
	ScheduledAt string            `json:"scheduled_at"`
}

type fakeTag struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// tagChars is what Resend allows in a tag's name and value.
var tagChars = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// problem says what Resend would refuse in m, or "" when nothing; a batch
// takes neither attachments nor scheduling.
func (m fakeMessage) problem(batch bool) string {
	if _, err := mail.ParseAddress(m.From); err != nil {
		return "from: " + err.Error()
	}
	if len(m.To) == 0 || len(m.To) > 50 {
		return "to: 1 to 50 addresses"
	}
	for _, to := range m.To {
		if _, err := mail.ParseAddress(to); err != nil {
			return "to: " + err.Error()
		}
	}
	if m.Subject == "" {
		return "subject: missing"
	}
	if m.HTML == "" && m.Text == "" {
		return "html or text: missing"
	}
	for _, tag := range m.Tags {
		if !tagChars.MatchString(tag.Name) || !tagChars.MatchString(tag.Value) {
			return "tags: only ASCII letters, digits, _ and -"
		}
	}
	if m.outboxID() == "" {
		return "tags: no outbox_id (every mail of the app carries one)"
	}
	if batch && (len(m.Attachments) > 0 || m.ScheduledAt != "") {
		return "attachments and scheduled_at are not supported in a batch"
	}
	return ""
}

func (m fakeMessage) outboxID() string {
	for _, tag := range m.Tags {
		if tag.Name == "outbox_id" {
			return tag.Value
		}
	}
	return ""
}

// decodeStrict reads body into v, refusing fields Resend does not know.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func (f *fakeResend) serveSingle(w http.ResponseWriter, r *http.Request) {
	f.serve(w, r, false, func(body []byte) ([]fakeMessage, string) {
		var m fakeMessage
		if err := decodeStrict(body, &m); err != nil {
			return nil, err.Error()
		}
		return []fakeMessage{m}, m.problem(false)
	})
}

func (f *fakeResend) serveBatch(w http.ResponseWriter, r *http.Request) {
	if v := r.Header.Get("X-Batch-Validation"); v != "" && v != "strict" {
		// The app relies on all or none; the fake implements no other mode.
		writeResendError(w, http.StatusBadRequest, "validation_error", "fake: only strict batch validation")
		return
	}
	f.serve(w, r, true, func(body []byte) ([]fakeMessage, string) {
		var ms []fakeMessage
		if err := decodeStrict(body, &ms); err != nil {
			return nil, err.Error()
		}
		if len(ms) == 0 || len(ms) > 100 {
			return nil, "a batch holds 1 to 100 mails"
		}
		for i, m := range ms {
			if p := m.problem(true); p != "" {
				return nil, fmt.Sprintf("mail %d: %s", i, p)
			}
		}
		return ms, ""
	})
}

// serve answers one request whose body parse reads, as Resend would:
// the rate limit is counted when the request arrives, the answer leaves
// about latency later, and the mails count as accepted then.
func (f *fakeResend) serve(w http.ResponseWriter, r *http.Request, batch bool, parse func([]byte) ([]fakeMessage, string)) {
	arrived := time.Now()
	var body bytes.Buffer
	_, _ = body.ReadFrom(r.Body)
	call := fakeCall{at: arrived, batch: batch}
	defer func() {
		f.mu.Lock()
		f.calls = append(f.calls, call)
		f.mu.Unlock()
	}()
	refuse := func(status int, name, message string) {
		call.status = status
		time.Sleep(f.jitteredLatency())
		writeResendError(w, status, name, "fake: "+message)
	}

	if r.Header.Get("Authorization") != "Bearer "+benchAPIKey {
		refuse(http.StatusUnauthorized, "missing_api_key", "missing or wrong API key")
		return
	}
	wait, remaining, ok := f.admit(arrived)
	if f.limit > 0 {
		w.Header().Set("Ratelimit-Limit", strconv.Itoa(f.limit))
		w.Header().Set("Ratelimit-Remaining", strconv.Itoa(remaining))
		w.Header().Set("Ratelimit-Reset", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
	}
	if !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		refuse(http.StatusTooManyRequests, "rate_limit_exceeded", "too many requests")
		return
	}
	msgs, problem := parse(body.Bytes())
	if problem != "" {
		refuse(http.StatusUnprocessableEntity, "validation_error", problem)
		return
	}

	key := r.Header.Get("Idempotency-Key")
	f.mu.Lock()
	if kept := f.keys[key]; key != "" && kept != nil {
		f.mu.Unlock()
		switch {
		case !bytes.Equal(kept.body, body.Bytes()):
			refuse(http.StatusConflict, "invalid_idempotent_request", "same key, another body")
		case kept.pending:
			refuse(http.StatusConflict, "concurrent_idempotent_requests", "same key under way")
		default:
			call.status, call.replay = http.StatusOK, true
			time.Sleep(f.jitteredLatency())
			w.Header().Set("Content-Type", "application/json")
			w.Write(kept.answer)
		}
		return
	}
	kept := &keptAnswer{body: body.Bytes(), pending: true}
	if key != "" {
		f.keys[key] = kept
	}
	ids := make([]string, len(msgs))
	for i := range msgs {
		f.nextID++
		ids[i] = fmt.Sprintf("re-bench-%07d", f.nextID)
	}
	f.mu.Unlock()

	var answer []byte
	if batch {
		data := make([]map[string]string, len(ids))
		for i, id := range ids {
			data[i] = map[string]string{"id": id}
		}
		answer, _ = json.Marshal(map[string]any{"data": data})
	} else {
		answer, _ = json.Marshal(map[string]string{"id": ids[0]})
	}
	time.Sleep(f.jitteredLatency())
	accepted := time.Now()
	f.mu.Lock()
	kept.answer, kept.pending = answer, false
	for _, m := range msgs {
		id := m.outboxID()
		fm := f.mails[id]
		if fm == nil {
			fm = &fakeMail{to: m.To[0], first: accepted}
			f.mails[id] = fm
		}
		fm.accepted++
	}
	f.mu.Unlock()
	call.status, call.mails = http.StatusOK, len(msgs)
	w.Header().Set("Content-Type", "application/json")
	w.Write(answer)
}

// jitteredLatency is the latency give or take a tenth.
func (f *fakeResend) jitteredLatency() time.Duration {
	if f.latency <= 0 {
		return 0
	}
	return time.Duration(float64(f.latency) * (0.9 + 0.2*mrand.Float64()))
}

// admit reports whether a request arriving at now is within the rate
// limit, and counts it when it is; when not, it says how long until a
// request would be.
func (f *fakeResend) admit(now time.Time) (wait time.Duration, remaining int, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.held {
		return time.Second, 0, false
	}
	if f.limit == 0 {
		return 0, 0, true
	}
	kept := f.admitted[:0]
	for _, at := range f.admitted {
		if now.Sub(at) < time.Second {
			kept = append(kept, at)
		}
	}
	f.admitted = kept
	if len(f.admitted) >= f.limit {
		return f.admitted[0].Add(time.Second).Sub(now), 0, false
	}
	f.admitted = append(f.admitted, now)
	return 0, f.limit - len(f.admitted), true
}

func writeResendError(w http.ResponseWriter, status int, name, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"statusCode":%d,"name":%q,"message":%q}`, status, name, message)
}

// hold refuses every request for the rate limit, asking to come back in a
// second, until open: the provider holds the app back while a measurement
// queues mail.
func (f *fakeResend) hold() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.held = true
}

// open ends hold and says when.
func (f *fakeResend) open() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.held = false
	return time.Now()
}

// waitFor waits until n distinct mails have been accepted, or for limit,
// and reports whether they were.
func (f *fakeResend) waitFor(n int, limit time.Duration) bool {
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if f.acceptedMails() >= n {
			return true
		}
	}
	return f.acceptedMails() >= n
}

// acceptedMails counts the distinct mails accepted.
func (f *fakeResend) acceptedMails() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.mails)
}

// firstAccepted is when each mail was first accepted, by recipient; the
// measurements send each recipient one mail at most, or take the first.
func (f *fakeResend) firstAccepted() map[string]time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	at := map[string]time.Time{}
	for _, m := range f.mails {
		if t, ok := at[m.to]; !ok || m.first.Before(t) {
			at[m.to] = m.first
		}
	}
	return at
}

// acceptedTimes lists when each mail was first accepted, earliest first.
func (f *fakeResend) acceptedTimes() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	times := make([]time.Time, 0, len(f.mails))
	for _, m := range f.mails {
		times = append(times, m.first)
	}
	slices.SortFunc(times, time.Time.Compare)
	return times
}

// fakeTally is what the fake saw of the calls that arrived in a span of
// time.
type fakeTally struct {
	calls      int // every request
	batches    int // of them to POST /emails/batch
	throttled  int // answered 429
	replays    int // answered from their Idempotency-Key
	refused    int // answered with any other error
	mails      int // mails accepted (a duplicate counts again)
	duplicates int // mails accepted more than once, over the fake's life
}

// tally counts the calls that arrived from from on (all of them when from
// is zero).
func (f *fakeResend) tally(from time.Time) fakeTally {
	f.mu.Lock()
	defer f.mu.Unlock()
	var t fakeTally
	for _, c := range f.calls {
		if c.at.Before(from) {
			continue
		}
		t.calls++
		if c.batch {
			t.batches++
		}
		switch {
		case c.status == http.StatusTooManyRequests:
			t.throttled++
		case c.replay:
			t.replays++
		case c.status != http.StatusOK:
			t.refused++
		}
		t.mails += c.mails
	}
	for _, m := range f.mails {
		if m.accepted > 1 {
			t.duplicates++
		}
	}
	return t
}

// accepting counts the calls that accepted mail.
func (t fakeTally) accepting() int { return t.calls - t.throttled - t.replays - t.refused }

// throttledShare is the share of calls answered 429, in per cent.
func (t fakeTally) throttledShare() float64 {
	if t.calls == 0 {
		return 0
	}
	return 100 * float64(t.throttled) / float64(t.calls)
}

// perCall is the mails accepted per accepting call.
func (t fakeTally) perCall() float64 {
	if t.accepting() == 0 {
		return 0
	}
	return float64(t.mails) / float64(t.accepting())
}

// logCalls logs every call from from on, with -mail-calls, for looking
// into a run.
func (f *fakeResend) logCalls(from time.Time) {
	if !*mailCalls {
		return
	}
	f.mu.Lock()
	calls := slices.Clone(f.calls)
	f.mu.Unlock()
	slices.SortFunc(calls, func(a, b fakeCall) int { return a.at.Compare(b.at) })
	for _, c := range calls {
		if c.at.Before(from) {
			continue
		}
		log.Printf("fake Resend: call at %8.3f s status %d mails %d batch %v replay %v", c.at.Sub(from).Seconds(), c.status, c.mails, c.batch, c.replay)
	}
}
