package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"aikagi/app/secret"

	"github.com/gofiber/fiber/v2"
)

const base64URLAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

func testSigner() stateSigner {
	return stateSigner{key: secret.DeriveKey(bytes.Repeat([]byte{1}, 32), "request-state"), ttl: 30 * time.Minute}
}

func TestStateSignerRoundTrip(t *testing.T) {
	t.Parallel()
	s := testSigner()
	for _, want := range []requestState{
		{LoginID: "taro01", Email: "taro@example.jp", IssuedAt: testStart.Unix()},
		{LoginID: "店舗-01", Email: "taro..yamada@docomo.ne.jp", IssuedAt: testStart.Unix()},
		{LoginID: `a"b<c>.d`, Email: "x.y@例え.jp", IssuedAt: testStart.Unix()},
	} {
		field := s.sign(want)
		if strings.ContainsAny(field, " +/=\"'<>&") {
			t.Errorf("state %q is not safe in a form field as is", field)
		}
		got, err := s.verify(field, testStart.Add(time.Minute))
		if err != nil || got != want {
			t.Errorf("verify(sign(%+v)) = %+v, %v", want, got, err)
		}
	}
}

// TestStateSignerRejectsAlteredBytes changes every character of a state in
// every possible way and expects each to be refused as tampered. That
// includes the signature's last character, whose two low bits base64 does
// not use: a lenient decoder accepts four spellings of one signature.
func TestStateSignerRejectsAlteredBytes(t *testing.T) {
	t.Parallel()
	s := testSigner()
	field := s.sign(requestState{LoginID: "taro01", Email: "taro@example.jp", IssuedAt: testStart.Unix()})
	for i := range len(field) {
		for _, c := range []byte(base64URLAlphabet + ".=+/ \x00\xff") {
			if c == field[i] {
				continue
			}
			altered := field[:i] + string(c) + field[i+1:]
			if _, err := s.verify(altered, testStart); !errors.Is(err, errStateTampered) {
				t.Errorf("byte %d changed to %q: verify = %v, want tampered", i, c, err)
			}
		}
	}
	for name, bad := range map[string]string{
		"empty":          "",
		"no dot":         strings.ReplaceAll(field, ".", ""),
		"two dots":       field + ".x",
		"extra byte":     field + "A",
		"truncated":      field[:len(field)-1],
		"other purpose":  stateSigner{key: secret.DeriveKey(bytes.Repeat([]byte{1}, 32), "outbox-payload"), ttl: time.Hour}.sign(requestState{LoginID: "taro01", IssuedAt: testStart.Unix()}),
		"other secret":   stateSigner{key: secret.DeriveKey(bytes.Repeat([]byte{2}, 32), "request-state"), ttl: time.Hour}.sign(requestState{LoginID: "taro01", IssuedAt: testStart.Unix()}),
		"over 4096 long": strings.Repeat("A", 4100) + "." + strings.Split(field, ".")[1],
	} {
		if _, err := s.verify(bad, testStart); !errors.Is(err, errStateTampered) {
			t.Errorf("%s: verify = %v, want tampered", name, err)
		}
	}
}

func TestStateSignerExpiry(t *testing.T) {
	t.Parallel()
	s := testSigner()
	want := requestState{LoginID: "taro01", Email: "taro@example.jp", IssuedAt: testStart.Unix()}
	field := s.sign(want)
	cases := []struct {
		name    string
		now     time.Time
		expired bool
	}{
		{"just issued", testStart, false},
		{"at the TTL", testStart.Add(30 * time.Minute), false},
		{"a second past the TTL", testStart.Add(30*time.Minute + time.Second), true},
		{"a day later", testStart.Add(24 * time.Hour), true},
		{"issued 30 s in the future (clock skew)", testStart.Add(-30 * time.Second), false},
		{"issued 2 min in the future", testStart.Add(-2 * time.Minute), true},
	}
	for _, tc := range cases {
		got, err := s.verify(field, tc.now)
		if tc.expired {
			if !errors.Is(err, errStateExpired) {
				t.Errorf("%s: err = %v, want expired", tc.name, err)
			}
			if got != want {
				t.Errorf("%s: an expired state should still carry its values for the form, got %+v", tc.name, got)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("%s: verify = %+v, %v", tc.name, got, err)
		}
	}
}

func TestSealRoundTrip(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	plain := []byte(`{"to":"taro@example.jp","text":"https://reset.example.test/password-resetting/reset?token=abc"}`)
	sealed := a.sealer.Seal("row-1", plain)
	if bytes.Contains(sealed, []byte("token=abc")) || bytes.Contains(sealed, []byte("taro@example.jp")) {
		t.Error("sealed payload shows the plaintext")
	}
	if again := a.sealer.Seal("row-1", plain); bytes.Equal(again, sealed) {
		t.Error("sealing twice gives the same bytes: the nonce is not random")
	}
	got, err := a.sealer.Open("row-1", sealed)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("unseal = %q, %v", got, err)
	}
	if _, err := a.sealer.Open("row-2", sealed); err == nil {
		t.Error("a payload moved to another row unsealed")
	}
	for i := range sealed {
		altered := bytes.Clone(sealed)
		altered[i] ^= 0x01
		if _, err := a.sealer.Open("row-1", altered); err == nil {
			t.Errorf("payload with byte %d altered unsealed", i)
		}
	}
	if _, err := a.sealer.Open("row-1", sealed[:5]); err == nil {
		t.Error("a truncated payload unsealed")
	}
	other := newTestAppEnv(t, "sqlite", map[string]string{"SECRET_KEY": strings.Repeat("cd", 32)})
	_, err = other.sealer.Open("row-1", sealed)
	if err == nil {
		t.Fatal("a payload unsealed under another SECRET_KEY")
	}
	if !strings.Contains(err.Error(), "SECRET_KEY") {
		t.Errorf("error %q does not hint at SECRET_KEY", err)
	}
}

func TestNewResetToken(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 100 {
		token, hash := secret.NewToken()
		raw, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || len(raw) < 32 {
			t.Fatalf("token %q: %d bytes, %v; want ≥ 32 random bytes", token, len(raw), err)
		}
		if url.QueryEscape(token) != token {
			t.Errorf("token %q needs escaping in a URL", token)
		}
		sum := sha256.Sum256([]byte(token))
		if !bytes.Equal(hash, sum[:]) {
			t.Errorf("hash of %q is not its SHA-256", token)
		}
		if seen[token] {
			t.Fatalf("token %q repeated", token)
		}
		seen[token] = true
	}
}

// clientIPRoute adds a route that answers with a.clientIP, for tests.
func clientIPRoute(a *App) string {
	const path = "/_test/client-ip"
	a.Handler().Get(path, func(c *fiber.Ctx) error { return c.SendString(a.clientIP(c).String()) })
	return path
}

// TestClientIP checks that X-Forwarded-For is believed only from a trusted
// proxy, and only as far as the hops that trusted proxies added. Fiber's
// app.Test connects from 0.0.0.0, which stands for the proxy here.
func TestClientIP(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		trusted string
		xff     []string
		want    string
	}{
		{"no trusted proxy: header ignored", "", []string{"203.0.113.7"}, "0.0.0.0"},
		{"peer not a trusted proxy: header ignored", "10.0.0.1", []string{"203.0.113.7"}, "0.0.0.0"},
		{"trusted proxy without header", "0.0.0.0", nil, "0.0.0.0"},
		{"trusted proxy", "0.0.0.0", []string{"203.0.113.7"}, "203.0.113.7"},
		{"trusted proxy as CIDR", "0.0.0.0/8", []string{"203.0.113.7"}, "203.0.113.7"},
		{"client-supplied hop ignored", "0.0.0.0", []string{"198.51.100.66, 203.0.113.7"}, "203.0.113.7"},
		{"chain of trusted proxies", "0.0.0.0 10.0.0.0/8", []string{"203.0.113.7, 10.1.2.3"}, "203.0.113.7"},
		{"all hops trusted", "0.0.0.0,10.0.0.0/8", []string{"10.1.2.3, 10.4.5.6"}, "10.1.2.3"},
		{"IPv4-mapped hop", "0.0.0.0", []string{"::ffff:203.0.113.7"}, "203.0.113.7"},
		{"IPv6 hop", "0.0.0.0", []string{"2001:db8::1"}, "2001:db8::1"},
		{"garbage", "0.0.0.0", []string{"unknown"}, "0.0.0.0"},
		{"garbage added by a trusted proxy", "0.0.0.0", []string{"203.0.113.7, nonsense"}, "0.0.0.0"},
		{"with port", "0.0.0.0", []string{"203.0.113.7:4711"}, "0.0.0.0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newTestAppEnv(t, "sqlite", map[string]string{"TRUSTED_PROXIES": tc.trusted})
			req := httptest.NewRequest(http.MethodGet, clientIPRoute(a), nil)
			for _, v := range tc.xff {
				req.Header.Add("X-Forwarded-For", v)
			}
			res := send(t, a, req)
			if got := string(res.Body); got != tc.want {
				t.Errorf("client IP = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestClientIPSeveralForwardedForHeaders checks a proxy that adds its hop
// as a header line of its own (HAProxy's option forwardfor does), after a
// line the client sent: the client's line must not win.
func TestClientIPSeveralForwardedForHeaders(t *testing.T) {
	t.Parallel()
	a := newTestAppEnv(t, "sqlite", map[string]string{"TRUSTED_PROXIES": "0.0.0.0"})
	req := httptest.NewRequest(http.MethodGet, clientIPRoute(a), nil)
	req.Header.Add("X-Forwarded-For", "198.51.100.66") // sent by the client
	req.Header.Add("X-Forwarded-For", "203.0.113.7")   // added by the proxy
	res := send(t, a, req)
	if got := string(res.Body); got != "203.0.113.7" {
		t.Errorf("client IP = %s, want 203.0.113.7 (the hop the trusted proxy added)", got)
	}
}

// TestTokenNotLogged checks that reset tokens are redacted from the
// request log, in the query and in the path, and that the mail worker does
// not log them either.
func TestTokenNotLogged(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	logs := captureLog(a)
	const secret = "s3cr3tT0kenValueXYZ"
	get(t, a, "/password-resetting/reset?token="+secret+"&lang=en")
	get(t, a, "/password-resetting/reset/"+secret)
	if strings.Contains(logs.String(), secret) {
		t.Errorf("log shows the token:\n%s", logs)
	}
	if !strings.Contains(logs.String(), "REDACTED") {
		t.Errorf("log does not show the redacted requests:\n%s", logs)
	}

	newAccount(t, a, "taro01", "taro@example.jp", "ja")
	requestResetFlow(t, a, "taro01", "taro@example.jp")
	if _, err := a.outbox.DeliverDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	mails := a.mailbox.Messages()
	if len(mails) != 1 {
		t.Fatalf("mailbox has %d mails", len(mails))
	}
	token := resetMailURL(t, mails[0].Text).Query().Get("token")
	if strings.Contains(logs.String(), token) {
		t.Errorf("log shows a mailed token:\n%s", logs)
	}
}

func TestRedactURL(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"/password-resetting/reset?token=abc":         "/password-resetting/reset?token=REDACTED",
		"/password-resetting/reset?lang=en&token=abc": "/password-resetting/reset?lang=en&token=REDACTED",
		"/password-resetting/reset/abc":               "/password-resetting/reset/REDACTED",
		"/password-resetting/regist?lang=en":          "/password-resetting/regist?lang=en",
		"/anything?token=abc&token=def":               "/anything?token=REDACTED",
	}
	for in, want := range cases {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
