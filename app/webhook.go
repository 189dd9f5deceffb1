package app

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/resend/resend-go/v2"

	"aikagi/db"
)

// resendEvents maps the webhook events of Resend that we record to the
// outbox's delivery events. Others (sent, opened, clicked, …) are
// acknowledged and ignored.
var resendEvents = map[string]string{
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

// receiveResendWebhook records what Resend reports about a mail it took:
// delivered, delayed, bounced, complained or failed, against the outbox row
// named by the mail's outbox_id tag, or else by Resend's message id. The tag
// finds the row even when the event overtakes the worker, before it has
// stored Resend's id. It accepts only calls signed with
// RESEND_WEBHOOK_SECRET, checked by resend-go's Webhooks.Verify (Svix's
// scheme), which also refuses a timestamp more than 5 minutes off so that a
// captured call cannot be replayed later; a repeat within those minutes
// changes nothing, since an event only replaces a less final one.
//
// Resend retries until it gets a 2xx, so a verified call is answered 200
// even for a message we do not know (another system may send through the
// same Resend account).
func (a *App) receiveResendWebhook(c *fiber.Ctx) error {
	body := string(c.Body())
	// A throwaway client: Verify needs no API key, only the secret.
	err := resend.NewCustomClient(nil, "").Webhooks.Verify(&resend.VerifyWebhookOptions{
		Payload: body,
		Headers: resend.WebhookHeaders{
			Id:        c.Get("svix-id"),
			Timestamp: c.Get("svix-timestamp"),
			Signature: c.Get("svix-signature"),
		},
		WebhookSecret: a.cfg.Resend.WebhookSecret,
	})
	if err != nil {
		a.log.Warn("webhook: refused", "request_id", c.Locals(localRequestID), "ip", a.clientIP(c).String(), "err", err)
		return c.Status(fiber.StatusUnauthorized).SendString("signature refused: " + err.Error())
	}
	var hook resendWebhook
	if err := json.Unmarshal([]byte(body), &hook); err != nil {
		return c.Status(fiber.StatusBadRequest).SendString("payload is not JSON")
	}
	event, ok := resendEvents[hook.Type]
	msg := hook.message()
	if !ok || (msg.OutboxID == "" && msg.ProviderID == "") {
		return c.SendString("ignored")
	}
	ctx := c.UserContext()
	now := a.now()
	row, known, err := db.RecordDeliveryEvent(ctx, a.db, msg, event, hook.detail(), now)
	if err != nil {
		return err
	}
	if !known {
		a.log.Warn("webhook: no outbox row for this message; acknowledged and dropped", "event", hook.Type,
			"outbox_id", msg.OutboxID, "provider_id", msg.ProviderID)
		return c.SendString("ok")
	}
	if row == nil {
		a.log.Info("webhook: nothing new to record (a repeat, or a less final event)", "event", hook.Type, "outbox_id", msg.OutboxID, "provider_id", msg.ProviderID)
		return c.SendString("ok")
	}
	a.log.Info("webhook: recorded", "event", event, "outbox_id", row.ID, "provider_id", msg.ProviderID, "status", row.Status)

	kind := ""
	switch event {
	case db.DeliveryBounced, db.DeliveryFailed:
		kind = db.AuditMailBounced
	case db.DeliveryComplained:
		kind = db.AuditMailComplained
	default:
		return c.SendString("ok")
	}
	detail := fmt.Sprintf("%s %s: %s", row.Kind, row.ID, event)
	if d := hook.detail(); d != "" {
		detail += " (" + d + ")"
	}
	if err := db.RecordAudit(ctx, a.db, &db.AuditEvent{Kind: kind, AccountID: row.AccountID, Detail: detail}, now); err != nil {
		return err
	}
	action := "see aikagi outbox list --problems"
	if row.Kind == mailKindReset && kind == db.AuditMailBounced {
		action = "the merchant did not get the reset link: check the account's registered address, then send a new link with aikagi account send-reset LOGIN_ID"
	}
	a.log.Warn("outbox: Resend reports "+event, "outbox_id", row.ID, "kind", row.Kind, "account_id", row.AccountID,
		"detail", hook.detail(), "action", action)
	return c.SendString("ok")
}
