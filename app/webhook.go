package app

import (
	"errors"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"aikagi/app/mail"
	"aikagi/db"
)

// receiveResendWebhook records what Resend reports about a mail it took:
// delivered, delayed, bounced, complained or failed, against the outbox row
// named by the mail's outbox_id tag, or else by Resend's message id. The tag
// finds the row even when the event overtakes the worker, before it has
// stored Resend's id. It accepts only signed calls (mail.ReadWebhook); a
// repeat changes nothing, since an event only replaces a less final one.
//
// Resend retries until it gets a 2xx, so a verified call is answered 200
// even for a message we do not know (another system may send through the
// same Resend account).
func (a *App) receiveResendWebhook(c *fiber.Ctx) error {
	hook, err := mail.ReadWebhook(string(c.Body()), mail.WebhookHeaders{
		ID:        c.Get("svix-id"),
		Timestamp: c.Get("svix-timestamp"),
		Signature: c.Get("svix-signature"),
	}, a.cfg.Resend.WebhookSecret)
	if errors.Is(err, mail.ErrWebhookPayload) {
		return c.Status(fiber.StatusBadRequest).SendString("payload is not JSON")
	}
	if err != nil {
		a.log.Warn("webhook: refused", "request_id", c.Locals(localRequestID), "ip", a.clientIP(c).String(), "err", err)
		return c.Status(fiber.StatusUnauthorized).SendString(err.Error())
	}
	event, msg := hook.Event, hook.Message
	if event == "" || (msg.OutboxID == "" && msg.ProviderID == "") {
		return c.SendString("ignored")
	}
	ctx := c.UserContext()
	now := a.now()
	row, known, err := db.RecordDeliveryEvent(ctx, a.db, msg, event, hook.Detail, now)
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

	var kind db.AuditKind
	switch event {
	case db.DeliveryBounced, db.DeliveryFailed:
		kind = db.AuditMailBounced
	case db.DeliveryComplained:
		kind = db.AuditMailComplained
	default:
		return c.SendString("ok")
	}
	detail := fmt.Sprintf("%s %s: %s", row.Kind, row.ID, event)
	if d := hook.Detail; d != "" {
		detail += " (" + d + ")"
	}
	if err := db.RecordAudit(ctx, a.db, &db.AuditEvent{Kind: kind, AccountID: row.AccountID, Detail: detail}, now); err != nil {
		return err
	}
	action := "see aikagi outbox list --problems"
	if row.Kind == string(mail.KindReset) && kind == db.AuditMailBounced {
		action = "the merchant did not get the reset link: check the account's registered address, then send a new link with aikagi account send-reset LOGIN_ID"
	}
	a.log.Warn("outbox: Resend reports "+string(event), "outbox_id", row.ID, "kind", row.Kind, "account_id", row.AccountID,
		"detail", hook.Detail, "action", action)
	return c.SendString("ok")
}
