package app

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"aikagi/app/mail"
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
	if hook.Event == "" || (hook.Message.OutboxID == "" && hook.Message.ProviderID == "") {
		return c.SendString("ignored")
	}
	if err := a.outbox.Record(c.UserContext(), hook); err != nil {
		return err
	}
	return c.SendString("ok")
}
