package cli

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeAPIKey is the only API key fakeResend accepts.
const fakeAPIKey = "re_test_key"

// fakeResend stands in for Resend's POST /emails, as much as the commands'
// tests need: it wants the API key and a message, answers a repeated
// Idempotency-Key with the first answer without delivering again, and
// serves queued faults one per request. The web app's own tests have the
// thorough fake (app/fakeresend_test.go).
type fakeResend struct {
	URL string

	mu        sync.Mutex
	faults    []fakeFault
	ids       map[string]string // the message id given for each key
	delivered []fakeMail        // every mail accepted, in order
	requested []string          // the key of every request, in order
}

// fakeFault is an error answer the fake gives instead of accepting a mail.
type fakeFault struct {
	Status int
	Name   string
}

// fakeMail is a mail the fake accepted.
type fakeMail struct {
	Key     string
	ID      string
	From    string   `json:"from"`
	To      []string `json:"to"`
	Subject string   `json:"subject"`
	HTML    string   `json:"html"`
	Text    string   `json:"text"`
	Tags    []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"tags"`
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

func newFakeResend(t testing.TB) *fakeResend {
	t.Helper()
	f := &fakeResend{ids: map[string]string{}}
	srv := httptest.NewServer(http.HandlerFunc(f.serveHTTP))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// fail queues faults for the next requests.
func (f *fakeResend) fail(faults ...fakeFault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, faults...)
}

func (f *fakeResend) serveHTTP(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("Idempotency-Key")
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requested = append(f.requested, key)
	var m fakeMail
	switch {
	case r.Method != http.MethodPost || r.URL.Path != "/emails":
		fakeError(w, http.StatusNotFound, "not_found")
	case r.Header.Get("Authorization") != "Bearer "+fakeAPIKey:
		fakeError(w, http.StatusUnauthorized, "missing_api_key")
	case len(f.faults) > 0:
		fault := f.faults[0]
		f.faults = f.faults[1:]
		fakeError(w, fault.Status, fault.Name)
	case json.Unmarshal(body, &m) != nil || m.From == "" || len(m.To) == 0 || m.Subject == "":
		fakeError(w, http.StatusUnprocessableEntity, "validation_error")
	case key != "" && f.ids[key] != "":
		fakeOK(w, f.ids[key])
	default:
		m.Key, m.ID = key, fmt.Sprintf("re-%03d", len(f.delivered)+1)
		f.delivered = append(f.delivered, m)
		if key != "" {
			f.ids[key] = m.ID
		}
		fakeOK(w, m.ID)
	}
}

func fakeOK(w http.ResponseWriter, id string) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"id":%q}`, id)
}

func fakeError(w http.ResponseWriter, status int, name string) {
	if name == "" {
		name = "application_error"
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"statusCode":%d,"name":%q,"message":"fake"}`, status, name)
}

// mails returns the accepted mails, in order.
func (f *fakeResend) mails() []fakeMail {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeMail(nil), f.delivered...)
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

// requestsFor counts the requests with key.
func (f *fakeResend) requestsFor(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, k := range f.requested {
		if k == key {
			n++
		}
	}
	return n
}

// testWebhookSecret is a signing secret in Resend's (Svix's) form.
var testWebhookSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))

// signedWebhook is a webhook call to url as Resend makes it: the Svix
// headers over body, signed with secret at ts.
func signedWebhook(t *testing.T, url, secret, body string, ts time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	id := "msg_" + strconv.FormatInt(ts.UnixNano(), 36)
	stamp := strconv.FormatInt(ts.Unix(), 10)
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%s.%s", id, stamp, body)
	req.Header.Set("svix-id", id)
	req.Header.Set("svix-timestamp", stamp)
	req.Header.Set("svix-signature", "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	return req
}

// bounceWebhookBody is Resend's email.bounced event for the mail with
// emailID and tags (raw JSON, as Resend echoes them).
func bounceWebhookBody(emailID, tags string) string {
	return fmt.Sprintf(`{"type":"email.bounced","created_at":"2026-11-25T01:00:01.000Z","data":{`+
		`"email_id":%q,"from":"Shop Support <support@example.test>","to":["taro@example.jp"],"subject":"s","created_at":"2026-11-25T01:00:00.000Z",`+
		`"tags":%s,"bounce":{"message":"The recipient's mail server permanently rejected the email.","subType":"General","type":"Permanent"}}}`, emailID, tags)
}
