package app

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"aikagi/app/mail"
	"aikagi/app/mail/resendtest"
	"aikagi/app/web"
	"aikagi/db"
	"aikagi/db/dbtest"
)

var testWebhookSecret = resendtest.WebhookSecret

// signedWebhook builds a webhook call as Resend makes it: the Svix headers
// over body, signed with secret at ts. A server-to-server post carries no
// Sec-Fetch-Site or Origin.
func signedWebhook(secret, body string, ts time.Time) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/webhooks/resend", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resendtest.SignWebhook(req, secret, "msg_"+web.NewRequestID(), body, ts)
	return req
}

func webhookBody(event, emailID string) string {
	return webhookBodyTagged(event, emailID, "")
}

// webhookBodyTagged is webhookBody with the mail's tags as Resend echoes
// them (raw JSON; none when empty).
func webhookBodyTagged(event, emailID, tags string) string {
	data := fmt.Sprintf(`"email_id":%q,"from":"Shop Support <support@example.test>","to":["taro@example.jp"],"subject":"s","created_at":"2026-11-25T01:00:00.000Z"`, emailID)
	if tags != "" {
		data += `,"tags":` + tags
	}
	switch event {
	case "email.bounced":
		data += `,"bounce":{"message":"The recipient's mail server permanently rejected the email.","subType":"General","type":"Permanent"}`
	case "email.failed":
		data += `,"failed":{"reason":"reached_daily_quota"}`
	}
	return fmt.Sprintf(`{"type":%q,"created_at":"2026-11-25T01:00:01.000Z","data":{%s}}`, event, data)
}

// TestResendWebhook records delivery events from signed calls and refuses
// everything else.
func TestResendWebhook(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		a := newTestAppEnv(t, dialect, map[string]string{"RESEND_WEBHOOK_SECRET": testWebhookSecret})
		logs := captureLog(a)
		acct := newAccount(t, a, "taro01", "taro@example.jp", "ja")
		if _, _, err := a.recovery.SendResetByOperator(ctx, "taro01", time.Hour); err != nil {
			t.Fatal(err)
		}
		if sent, err := a.outbox.DeliverDue(ctx); err != nil || sent != 1 {
			t.Fatalf("DeliverDue = %d, %v", sent, err)
		}
		rows, _ := db.ListOutbox(ctx, a.db, db.OutboxFilter{})
		mail := rows[0]
		providerID := mail.ProviderID // the development mailbox's id plays Resend's

		post := func(req *http.Request) *response {
			t.Helper()
			return send(t, a, req)
		}
		event := func() db.DeliveryEvent {
			t.Helper()
			return outboxRow(t, a, mail.ID).DeliveryEvent
		}
		now := time.Now()

		// Refused: nothing changes.
		unsigned := httptest.NewRequest(http.MethodPost, "/webhooks/resend", strings.NewReader(webhookBody("email.bounced", providerID)))
		wrong := signedWebhook(testWebhookSecret, webhookBody("email.bounced", providerID), now)
		wrong.Header.Set("svix-signature", "v1,"+base64.StdEncoding.EncodeToString(make([]byte, 32)))
		tampered := httptest.NewRequest(http.MethodPost, "/webhooks/resend", strings.NewReader(webhookBody("email.bounced", providerID)))
		tampered.Header = signedWebhook(testWebhookSecret, webhookBody("email.delivered", providerID), now).Header
		otherSecret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("another secret, another webhook"))
		for name, req := range map[string]*http.Request{
			"unsigned":           unsigned,
			"wrong signature":    wrong,
			"tampered body":      tampered,
			"another secret":     signedWebhook(otherSecret, webhookBody("email.bounced", providerID), now),
			"stale (6 minutes)":  signedWebhook(testWebhookSecret, webhookBody("email.bounced", providerID), now.Add(-6*time.Minute)),
			"future (6 minutes)": signedWebhook(testWebhookSecret, webhookBody("email.bounced", providerID), now.Add(6*time.Minute)),
		} {
			if res := post(req); res.Status != http.StatusUnauthorized {
				t.Errorf("%s: status %d, want 401\n%s", name, res.Status, res.Body)
			}
		}
		if res := post(signedWebhook(testWebhookSecret, "not json", now)); res.Status != http.StatusBadRequest {
			t.Errorf("signed garbage: status %d, want 400", res.Status)
		}
		if got := event(); got != "" {
			t.Fatalf("after refused calls the row records %q", got)
		}

		// Accepted, from a server: no Sec-Fetch-Site, no Origin, and still
		// never framable.
		res := post(signedWebhook(testWebhookSecret, webhookBody("email.delivered", providerID), now.Add(-4*time.Minute)))
		if res.Status != http.StatusOK || event() != db.DeliveryDelivered {
			t.Fatalf("delivered: status %d, row records %q", res.Status, event())
		}
		if csp := res.Header.Get("Content-Security-Policy"); cspDirective(csp, "frame-ancestors") != "'none'" {
			t.Errorf("webhook response CSP = %q, want frame-ancestors 'none'", csp)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Error("webhook response lacks nosniff")
		}

		bounce := signedWebhook(testWebhookSecret, webhookBody("email.bounced", providerID), now)
		if res := post(bounce); res.Status != http.StatusOK {
			t.Fatalf("bounced: status %d", res.Status)
		}
		row := outboxRow(t, a, mail.ID)
		if row.DeliveryEvent != db.DeliveryBounced || !strings.Contains(row.DeliveryDetail, "Permanent/General") || row.DeliveryEventAt == nil {
			t.Errorf("after the bounce: event %q, detail %q", row.DeliveryEvent, row.DeliveryDetail)
		}
		if !strings.Contains(logs.String(), "account send-reset") {
			t.Errorf("no log line telling the operator what to do about the bounced reset mail:\n%s", logs.String())
		}
		problems, _ := db.ListOutbox(ctx, a.db, db.OutboxFilter{Problems: true})
		if len(problems) != 1 || problems[0].ID != mail.ID || problems[0].LoginID != acct.LoginID {
			t.Errorf("problem list = %+v, want the bounced reset mail of %s", problems, acct.LoginID)
		}

		// A replay, a late "delivered" and an unknown message change nothing;
		// a complaint is recorded.
		post(signedWebhook(testWebhookSecret, webhookBody("email.bounced", providerID), now))
		post(signedWebhook(testWebhookSecret, webhookBody("email.delivered", providerID), now))
		if res := post(signedWebhook(testWebhookSecret, webhookBody("email.bounced", "re-unknown"), now)); res.Status != http.StatusOK {
			t.Errorf("unknown message: status %d, want 200 (Resend would retry otherwise)", res.Status)
		}
		if res := post(signedWebhook(testWebhookSecret, webhookBody("email.opened", providerID), now)); res.Status != http.StatusOK {
			t.Errorf("ignored event: status %d", res.Status)
		}
		if got := event(); got != db.DeliveryBounced {
			t.Errorf("after a replay and a late delivered: %q, want bounced", got)
		}
		if n := countWhere(t, a, "audit_events", "kind", db.AuditMailBounced); n != 1 {
			t.Errorf("%d mail_bounced audit events, want 1", n)
		}
		// Counted once, for the alert on the bounce rate: the replay and
		// the late "delivered" changed nothing.
		if m := metricsBody(t, a); !strings.Contains(m, `aikagi_mail_reports_total{event="bounced",kind="reset_link"} 1`) {
			t.Errorf("/metrics does not count the bounce once:\n%s", grepLines(m, "aikagi_mail_reports_total"))
		}
		post(signedWebhook(testWebhookSecret, webhookBody("email.complained", providerID), now))
		if got := event(); got != db.DeliveryComplained || countWhere(t, a, "audit_events", "kind", db.AuditMailComplained) != 1 {
			t.Errorf("after a complaint: %q, %d audit events", got, countWhere(t, a, "audit_events", "kind", db.AuditMailComplained))
		}

		// A browser's cross-site post is still refused by the cross-site check.
		cross := signedWebhook(testWebhookSecret, webhookBody("email.delivered", providerID), now)
		cross.Header.Set("Sec-Fetch-Site", "cross-site")
		if res := post(cross); res.Status != http.StatusForbidden {
			t.Errorf("cross-site browser post: status %d, want 403", res.Status)
		}
		if res := get(t, a, "/webhooks/resend"); res.Status != http.StatusMethodNotAllowed && res.Status != http.StatusNotFound {
			t.Errorf("GET: status %d", res.Status)
		}
	})
}

// TestResendWebhookOvertakesTheWorker delivers a bounce while the worker
// still waits for Resend's answer, before it has stored Resend's id: the
// outbox_id tag finds the row, the bounce is recorded, and marking the row
// sent keeps it. Replays change nothing; unknown messages are acknowledged.
func TestResendWebhookOvertakesTheWorker(t *testing.T) {
	t.Parallel()
	for _, shape := range []string{"object", "list"} {
		t.Run(shape, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			fake := newFakeResend(t)
			dsn := dbtest.Fresh(t, "sqlite")
			clock := newFakeClock(testStart)
			a := newResendApp(t, dsn, fake, clock, 0, map[string]string{"RESEND_WEBHOOK_SECRET": testWebhookSecret})
			logs := captureLog(a)
			newAccount(t, a, "taro01", "taro@example.jp", "ja")
			if _, _, err := a.recovery.SendResetByOperator(ctx, "taro01", time.Hour); err != nil {
				t.Fatal(err)
			}
			hold := make(chan struct{})
			fake.Fail(fakeFault{Hold: hold})
			arrived := fake.Notify()
			delivered := make(chan int, 1)
			go func() {
				sent, _ := a.outbox.DeliverDue(ctx)
				delivered <- sent
			}()
			var id string
			select {
			case id = <-arrived:
			case <-time.After(waitLong):
				t.Fatal("the worker sent nothing")
			}

			// Resend has the mail; the worker has not heard back.
			m := fake.Mails()[0]
			if len(m.Tags) != 1 || m.Tags[0].Name != "outbox_id" || m.Tags[0].Value != id {
				t.Fatalf("tags sent to Resend = %+v, want outbox_id=%s", m.Tags, id)
			}
			tags := m.TagsObject()
			if shape == "list" {
				tags = fmt.Sprintf(`[{"name":"outbox_id","value":%q}]`, id)
			}
			bounce := webhookBodyTagged("email.bounced", m.ID, tags)
			if res := send(t, a, signedWebhook(testWebhookSecret, bounce, time.Now())); res.Status != http.StatusOK {
				t.Fatalf("bounce: status %d\n%s", res.Status, res.Body)
			}
			row := outboxRow(t, a, id)
			if row.Status != db.OutboxSending || row.ProviderID != "" || row.DeliveryEvent != db.DeliveryBounced {
				t.Fatalf("before the worker heard back: status %s, provider id %q, event %q; want sending, none, bounced",
					row.Status, row.ProviderID, row.DeliveryEvent)
			}

			close(hold)
			if sent := <-delivered; sent != 1 {
				t.Fatalf("DeliverDue sent %d, want 1", sent)
			}
			row = outboxRow(t, a, id)
			if row.Status != db.OutboxSent || row.ProviderID != m.ID || row.DeliveryEvent != db.DeliveryBounced || !strings.Contains(row.DeliveryDetail, "Permanent/General") {
				t.Errorf("after the worker heard back: status %s, provider id %q, event %q, detail %q; want sent, %s, the bounce kept",
					row.Status, row.ProviderID, row.DeliveryEvent, row.DeliveryDetail, m.ID)
			}
			problems, err := db.ListOutbox(context.Background(), a.db, db.OutboxFilter{Problems: true, Limit: 10})
			if err != nil || len(problems) != 1 || problems[0].ID != id {
				t.Errorf("mail needing attention: %+v, %v; want the bounced %s", problems, err, id)
			}

			// A replay changes nothing and audits nothing more.
			if res := send(t, a, signedWebhook(testWebhookSecret, bounce, time.Now())); res.Status != http.StatusOK {
				t.Errorf("replay: status %d", res.Status)
			}
			if n := countWhere(t, a, "audit_events", "kind", db.AuditMailBounced); n != 1 {
				t.Errorf("%d mail_bounced audit events after a replay, want 1", n)
			}

			// A message we never sent: acknowledged, logged once.
			unknown := webhookBodyTagged("email.bounced", "re-unknown", `{"outbox_id":"0123abcd"}`)
			if res := send(t, a, signedWebhook(testWebhookSecret, unknown, time.Now())); res.Status != http.StatusOK {
				t.Errorf("unknown message: status %d, want 200 (Resend would retry otherwise)", res.Status)
			}
			if n := strings.Count(logs.String(), "0123abcd"); n != 1 {
				t.Errorf("the unknown message is named in %d log lines, want 1:\n%s", n, logs.String())
			}
		})
	}
}

// TestResendWebhookFindsBatchMail delivers webhooks for the mails of a
// batch while the worker still waits for the batch's answer: each mail's
// own outbox_id tag finds its row, and the worker's record keeps the
// events.
func TestResendWebhookFindsBatchMail(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := newFakeResend(t)
	clock := newFakeClock(testStart)
	a := newResendApp(t, dbtest.Fresh(t, "sqlite"), fake, clock, 0, map[string]string{"RESEND_WEBHOOK_SECRET": testWebhookSecret})
	for i := range 3 {
		newAccount(t, a, fmt.Sprintf("taro%02d", i), fmt.Sprintf("taro%02d@example.jp", i), "ja")
	}
	for i := range 3 {
		if _, _, err := a.recovery.SendResetByOperator(ctx, fmt.Sprintf("taro%02d", i), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	hold := make(chan struct{})
	fake.Fail(fakeFault{Hold: hold})
	arrived := fake.Notify()
	delivered := make(chan int, 1)
	go func() {
		sent, _ := a.outbox.DeliverDue(ctx)
		delivered <- sent
	}()
	select {
	case <-arrived:
	case <-time.After(waitLong):
		t.Fatal("the worker sent nothing")
	}
	if n := fake.CallsTo("/emails/batch"); n != 1 {
		t.Fatalf("%d batch requests, want the three mails in one", n)
	}
	mails := fake.Mails()
	events := []string{"email.delivered", "email.bounced", "email.delivery_delayed"}
	want := []db.DeliveryEvent{db.DeliveryDelivered, db.DeliveryBounced, db.DeliveryDelayed}
	for i, m := range mails {
		body := webhookBodyTagged(events[i], m.ID, m.TagsObject())
		if res := send(t, a, signedWebhook(testWebhookSecret, body, time.Now())); res.Status != http.StatusOK {
			t.Fatalf("webhook %d: status %d\n%s", i, res.Status, res.Body)
		}
	}
	close(hold)
	if sent := <-delivered; sent != 3 {
		t.Fatalf("DeliverDue sent %d, want 3", sent)
	}
	for i, m := range mails {
		row := outboxRow(t, a, m.OutboxID())
		if row.Status != db.OutboxSent || row.ProviderID != m.ID || row.DeliveryEvent != want[i] {
			t.Errorf("mail %d: %s, provider id %q, event %q; want sent as %s with %s", i, row.Status, row.ProviderID, row.DeliveryEvent, m.ID, want[i])
		}
	}
}

// TestOutboxIDsFitResendTags checks that an outbox id is a valid tag value.
func TestOutboxIDsFitResendTags(t *testing.T) {
	t.Parallel()
	for range 100 {
		if id := mail.NewID(); !resendtest.TagChars.MatchString(id) {
			t.Fatalf("outbox id %q is not a valid Resend tag value", id)
		}
	}
}

// TestResendWebhookNeedsSecret checks that without RESEND_WEBHOOK_SECRET the
// endpoint does not exist.
func TestResendWebhookNeedsSecret(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	if res := send(t, a, signedWebhook(testWebhookSecret, webhookBody("email.delivered", "x"), time.Now())); res.Status != http.StatusNotFound {
		t.Errorf("status %d, want 404", res.Status)
	}
}

// grepLines is the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, sub) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
