package cli

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"aikagi/app/mail/resendtest"
)

// The fake Resend of every test (app/mail/resendtest).
type (
	fakeResend = resendtest.Fake
	fakeFault  = resendtest.Fault
)

const fakeAPIKey = resendtest.APIKey

func newFakeResend(t testing.TB) *fakeResend { return resendtest.New(t) }

var testWebhookSecret = resendtest.WebhookSecret

// signedWebhook is a webhook call to url as Resend makes it: the Svix
// headers over body, signed with secret at ts.
func signedWebhook(t *testing.T, url, secret, body string, ts time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resendtest.SignWebhook(req, secret, "msg_"+strconv.FormatInt(ts.UnixNano(), 36), body, ts)
	return req
}

// bounceWebhookBody is Resend's email.bounced event for the mail with
// emailID and tags (raw JSON, as Resend echoes them).
func bounceWebhookBody(emailID, tags string) string {
	return fmt.Sprintf(`{"type":"email.bounced","created_at":"2026-11-25T01:00:01.000Z","data":{`+
		`"email_id":%q,"from":"Shop Support <support@example.test>","to":["taro@example.jp"],"subject":"s","created_at":"2026-11-25T01:00:00.000Z",`+
		`"tags":%s,"bounce":{"message":"The recipient's mail server permanently rejected the email.","subType":"General","type":"Permanent"}}}`, emailID, tags)
}
