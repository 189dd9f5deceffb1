package mail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"aikagi/db"

	"github.com/resend/resend-go/v2"
)

// resendEvents maps the webhook events of Resend that we record to the
// outbox's delivery events. Others (sent, opened, clicked, …) are
// acknowledged and ignored.
var resendEvents = map[string]db.DeliveryEvent{
	resend.EventEmailDelivered:       db.DeliveryDelivered,
	resend.EventEmailDeliveryDelayed: db.DeliveryDelayed,
	resend.EventEmailBounced:         db.DeliveryBounced,
	resend.EventEmailComplained:      db.DeliveryComplained,
	resend.EventEmailFailed:          db.DeliveryFailed,
}

// resendWebhook is the part of a Resend webhook payload we use.
type resendWebhook struct {
	Type string `json:"type"`
	Data struct {
		EmailID string     `json:"email_id"`
		Tags    resendTags `json:"tags"`
		Bounce  struct {
			Type    string `json:"type"`
			SubType string `json:"subType"`
			Message string `json:"message"`
		} `json:"bounce"`
		Failed struct {
			Reason string `json:"reason"`
		} `json:"failed"`
	} `json:"data"`
}

// resendTags are the tags a mail was sent with, as Resend echoes them in
// webhooks: an object {"name": "value"} in its documented payloads, a list
// [{"name": …, "value": …}] as they were sent. Either is read; anything else
// reads as no tags, and the provider's id still finds the row.
type resendTags map[string]string

func (t *resendTags) UnmarshalJSON(b []byte) error {
	var m map[string]string
	if json.Unmarshal(b, &m) == nil {
		*t = m
		return nil
	}
	var list []resend.Tag
	if json.Unmarshal(b, &list) == nil {
		m = make(map[string]string, len(list))
		for _, tag := range list {
			m[tag.Name] = tag.Value
		}
		*t = m
	}
	return nil
}

// Report is what a verified Resend webhook says about one mail.
type Report struct {
	Type    string           // Resend's event type, as sent
	Event   db.DeliveryEvent // the outbox's delivery event; "" for one that is not recorded
	Message db.MessageRef    // the mail it is about: the outbox_id tag, and Resend's id
	Detail  string           // what an operator should read: the bounce or the failure reason
}

// WebhookHeaders are the Svix headers that sign a webhook call.
type WebhookHeaders struct{ ID, Timestamp, Signature string }

// ErrWebhookPayload is a signed call whose body is not a webhook payload.
var ErrWebhookPayload = errors.New("webhook: payload is not JSON")

// ReadWebhook checks that body was signed with secret (RESEND_WEBHOOK_SECRET)
// by resend-go's Webhooks.Verify (Svix's scheme, which also refuses a
// timestamp more than 5 minutes off, so a captured call cannot be replayed
// later) and reads it. A refused signature is an error other than
// ErrWebhookPayload.
func ReadWebhook(body string, h WebhookHeaders, secret string) (Report, error) {
	// A throwaway client: Verify needs no API key, only the secret.
	err := resend.NewCustomClient(nil, "").Webhooks.Verify(&resend.VerifyWebhookOptions{
		Payload:       body,
		Headers:       resend.WebhookHeaders{Id: h.ID, Timestamp: h.Timestamp, Signature: h.Signature},
		WebhookSecret: secret,
	})
	if err != nil {
		return Report{}, fmt.Errorf("signature refused: %w", err)
	}
	var hook resendWebhook
	if err := json.Unmarshal([]byte(body), &hook); err != nil {
		return Report{}, ErrWebhookPayload
	}
	return Report{Type: hook.Type, Event: resendEvents[hook.Type], Message: hook.message(), Detail: hook.detail()}, nil
}

// message names the mail the event is about.
func (w *resendWebhook) message() db.MessageRef {
	return db.MessageRef{OutboxID: w.Data.Tags[outboxIDTag], ProviderID: w.Data.EmailID}
}

// detail is what an operator should read about the event.
func (w *resendWebhook) detail() string {
	b := w.Data.Bounce
	switch {
	case b.Type != "" || b.Message != "":
		return strings.Trim(fmt.Sprintf("%s/%s: %s", b.Type, b.SubType, b.Message), "/: ")
	case w.Data.Failed.Reason != "":
		return w.Data.Failed.Reason
	}
	return ""
}

// Record stores what a webhook reports against the outbox row it names,
// audits bounces and complaints, and tells the operator what to do about
// them. A report about a message the outbox does not know, or one less
// final than what is stored, changes nothing.
func (o *Outbox) Record(ctx context.Context, hook Report) error {
	event, msg := hook.Event, hook.Message
	now := o.now()
	row, known, err := db.RecordDeliveryEvent(ctx, o.db, msg, event, hook.Detail, now)
	if err != nil {
		return err
	}
	if !known {
		o.log.Warn("webhook: no outbox row for this message; acknowledged and dropped", "event", hook.Type,
			"outbox_id", msg.OutboxID, "provider_id", msg.ProviderID)
		return nil
	}
	if row == nil {
		o.log.Info("webhook: nothing new to record (a repeat, or a less final event)", "event", hook.Type, "outbox_id", msg.OutboxID, "provider_id", msg.ProviderID)
		return nil
	}
	o.metrics.Reports.WithLabelValues(row.Kind, string(event)).Inc()
	o.log.Info("webhook: recorded", "event", event, "outbox_id", row.ID, "provider_id", msg.ProviderID, "status", row.Status)

	var kind db.AuditKind
	switch event {
	case db.DeliveryBounced, db.DeliveryFailed:
		kind = db.AuditMailBounced
	case db.DeliveryComplained:
		kind = db.AuditMailComplained
	default:
		return nil
	}
	detail := fmt.Sprintf("%s %s: %s", row.Kind, row.ID, event)
	if d := hook.Detail; d != "" {
		detail += " (" + d + ")"
	}
	if err := db.RecordAudit(ctx, o.db, &db.AuditEvent{Kind: kind, AccountID: row.AccountID, Detail: detail}, now); err != nil {
		return err
	}
	action := "see aikagi outbox list --problems"
	if row.Kind == string(KindReset) && kind == db.AuditMailBounced {
		action = "the merchant did not get the reset link: check the account's registered address, then send a new link with aikagi account send-reset LOGIN_ID"
	}
	o.log.Warn("outbox: Resend reports "+string(event), "outbox_id", row.ID, "kind", row.Kind, "account_id", row.AccountID,
		"detail", hook.Detail, "action", action)
	return nil
}
