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
		EmailID string `json:"email_id"`
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
// by Resend's message id. It accepts only calls signed with
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
	if !ok || hook.Data.EmailID == "" {
		return c.SendString("ignored")
	}
	ctx := c.UserContext()
	now := a.now()
	row, err := db.RecordDeliveryEvent(ctx, a.db, hook.Data.EmailID, event, hook.detail(), now)
	if err != nil {
		return err
	}
	if row == nil {
		a.log.Info("webhook: nothing to record", "event", hook.Type, "provider_id", hook.Data.EmailID)
		return c.SendString("ok")
	}
	a.log.Info("webhook: recorded", "event", event, "outbox_id", row.ID, "provider_id", hook.Data.EmailID)

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
