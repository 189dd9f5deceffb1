package app

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/crypto/bcrypt"

	"aikagi/app/config"
	"aikagi/app/mail"
	"aikagi/app/service"
	"aikagi/app/testkit"
	"aikagi/db"
	"aikagi/db/dbtest"
)

// testSecretHex is a fixed SECRET_KEY (32 bytes) so that signed values are
// reproducible across apps in one test.
const testSecretHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

// testStart is the test clock's time when an app is built:
// 2026-11-25 10:00 in Japan.
var testStart = time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)

// testEnv is the environment every test app starts from.
func testEnv() map[string]string {
	return map[string]string{
		"SECRET_KEY": testSecretHex,
		"BASE_URL":   "https://reset.example.test",
		"MAIL_FROM":  "Shop Support <support@example.test>",
		"SITE_NAME":  "テスト加盟店管理サイト",
		// The failed-login floor is tested on its own; elsewhere it only
		// slows the suite down.
		"LOGIN_FAILURE_MIN_DURATION": "0s",
		// The demo help center is a development convenience that would
		// otherwise add its origin to FRAME_ANCESTORS.
		"DEMO_ADDR": "off",
	}
}

// getenvFrom turns a map into a getenv function.
func getenvFrom(env map[string]string) func(string) string {
	return func(name string) string { return env[name] }
}

// noRandomKey fails the test if config.Load asks for a random key.
func noRandomKey(t testing.TB) func() []byte {
	return func() []byte {
		t.Helper()
		t.Error("config.Load generated a random key although SECRET_KEY was set")
		return make([]byte, 32)
	}
}

// newTestApp builds an app on a fresh migrated database of dialect, with
// the development mailbox and a clock fixed at testStart.
func newTestApp(t testing.TB, dialect string) *App {
	t.Helper()
	return newTestAppEnv(t, dialect, nil)
}

// newTestAppEnv is newTestApp with some environment variables added to (or,
// when empty, removed from) testEnv.
func newTestAppEnv(t testing.TB, dialect string, overrides map[string]string) *App {
	t.Helper()
	return newTestAppOn(t, dbtest.Fresh(t, dialect), overrides)
}

// newTestAppOn builds an app on the database at dsn; two apps on one dsn
// play two instances sharing a database.
func newTestAppOn(t testing.TB, dsn string, overrides map[string]string) *App {
	t.Helper()
	env := testEnv()
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
	bdb := dbtest.OpenDSN(t, dsn)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a := New(service.New(cfg, bdb, log, time.Now, mail.NewDevMailbox()))
	setClock(a, testStart)
	// The test clock stands still; TestIntakeWaitsForTheResponse covers
	// the delay.
	a.intake.Delay = 0
	return a
}

// setClock stops a's clock at at.
func setClock(a *App, at time.Time) {
	a.svc.SetClock(func() time.Time { return at })
}

// advanceClock moves a's stopped clock forward by d.
func advanceClock(a *App, d time.Duration) {
	setClock(a, a.now().Add(d))
}

// newAccount stores an account with the given login ID, e-mail and
// locale ("ja" or "en").
func newAccount(t testing.TB, a *App, loginID, email, locale string) *db.Account {
	t.Helper()
	acct := &db.Account{
		LoginID:      loginID,
		Email:        email,
		StoreName:    "テスト商店 " + loginID,
		Locale:       locale,
		PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
	}
	if err := db.CreateAccount(context.Background(), a.db, acct, a.now()); err != nil {
		t.Fatalf("create account %s: %v", loginID, err)
	}
	return acct
}

// response is a finished request, read in full.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Doc parses the body as HTML.
func (r *response) Doc(t testing.TB) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatalf("parse HTML: %v\n%s", err, r.Body)
	}
	return doc
}

// reqOption changes a request before it is sent.
type reqOption func(*http.Request)

// asHTMX marks the request as htmx's.
func asHTMX(r *http.Request) { r.Header.Set("HX-Request", "true") }

// withHeader sets (or, with an empty value, removes) a request header.
func withHeader(name, value string) reqOption {
	return func(r *http.Request) {
		if value == "" {
			r.Header.Del(name)
			return
		}
		r.Header.Set(name, value)
	}
}

// withHost sets the Host header (httptest's default is example.com).
func withHost(host string) reqOption {
	return func(r *http.Request) { r.Host = host }
}

// onLocalhost asks by this machine's name, as the development mailbox and
// /metrics require.
var onLocalhost = withHost("localhost:8080")

// send runs req through the app, then lets the intake worker process what
// the request recorded, as a running server's worker would at once.
func send(t testing.TB, a *App, req *http.Request, opts ...reqOption) *response {
	t.Helper()
	res := sendOnly(t, a, req, opts...)
	processIntake(t, a)
	return res
}

// processIntake runs the intake worker until nothing is due.
func processIntake(t testing.TB, a *App) int {
	t.Helper()
	n, err := a.intake.ProcessDue(context.Background())
	if err != nil {
		t.Fatalf("process intake: %v", err)
	}
	return n
}

// sendOnly runs req through the app; what it records stays in the intake.
func sendOnly(t testing.TB, a *App, req *http.Request, opts ...reqOption) *response {
	t.Helper()
	for _, opt := range opts {
		opt(req)
	}
	res, err := a.Handler().Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return &response{Status: res.StatusCode, Header: res.Header, Body: body}
}

// get sends a GET request.
func get(t testing.TB, a *App, target string, opts ...reqOption) *response {
	t.Helper()
	return send(t, a, httptest.NewRequest(http.MethodGet, target, nil), opts...)
}

// postRaw sends a POST with the given content type and body, as a browser
// would from the app's own page (Sec-Fetch-Site: same-origin).
func postRaw(t testing.TB, a *App, target, contentType, body string, opts ...reqOption) *response {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return send(t, a, req, opts...)
}

// postForm sends form urlencoded, as a browser would from the app's page.
func postForm(t testing.TB, a *App, target string, form url.Values, opts ...reqOption) *response {
	t.Helper()
	return postRaw(t, a, target, "application/x-www-form-urlencoded", form.Encode(), opts...)
}

// postFormOnly is postForm without running the intake worker afterwards.
func postFormOnly(t testing.TB, a *App, target string, form url.Values, opts ...reqOption) *response {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return sendOnly(t, a, req, opts...)
}

// confirmState submits step 1 and returns the signed state of step 2.
func confirmState(t testing.TB, a *App, loginID, email string) string {
	t.Helper()
	res := postFormOnly(t, a, "/password-resetting/confirm", url.Values{"login_id": {loginID}, "email": {email}})
	if res.Status != http.StatusOK {
		t.Fatalf("confirm %q %q: status %d\n%s", loginID, email, res.Status, res.Body)
	}
	state, ok := res.Doc(t).Find(`form input[type=hidden][name=state]`).Attr("value")
	if !ok || state == "" {
		t.Fatalf("confirm %q %q: no state field\n%s", loginID, email, res.Body)
	}
	return state
}

// requestResetFlow runs steps 1–3 for loginID and email and returns step 3.
func requestResetFlow(t testing.TB, a *App, loginID, email string, opts ...reqOption) *response {
	t.Helper()
	state := confirmState(t, a, loginID, email)
	res := postForm(t, a, "/password-resetting/send", url.Values{"state": {state}}, opts...)
	if res.Status != http.StatusOK {
		t.Fatalf("send %q %q: status %d\n%s", loginID, email, res.Status, res.Body)
	}
	return res
}

// forEachDialect runs f once per database dialect.
func forEachDialect(t *testing.T, f func(t *testing.T, dialect string)) {
	for _, d := range dbtest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			f(t, d)
		})
	}
}

// serve runs a on a real listener, for what app.Test cannot show (Fiber's
// Test reports an oversized body as an error instead of a response), and
// returns its base URL.
func serve(t testing.TB, a *App) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = a.Handler().Listener(ln)
	}()
	t.Cleanup(func() {
		_ = a.Handler().Shutdown()
		<-done
	})
	return "http://" + ln.Addr().String()
}

type syncBuffer = testkit.SyncBuffer

// captureLog sends a's log to a buffer and returns it. It replaces the
// logger in place, so that the workers, which share it, log there too.
func captureLog(a *App) *syncBuffer {
	buf := &syncBuffer{}
	*a.log = *slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return buf
}

// waitLong bounds a wait for a state that should come soon: generous, since
// it only decides when a state that never comes fails the test. How soon
// things happen is measured in BENCHMARKS.md, not asserted here.
const waitLong = 2 * time.Minute

// bcryptHash is password's bcrypt hash at the lowest cost, as an import
// from the former admin site would hold.
func bcryptHash(t testing.TB, password string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}
