package app

import (
	"github.com/gofiber/fiber/v2"

	"aikagi/app/mail"
	"aikagi/views"
)

func (a *App) listDevMail(c *fiber.Ctx) error {
	t := views.T(a.lang(c))
	return a.render(c, fiber.StatusOK, t.DevMailboxName, views.DevMailList(t, devMails(a.mailbox.Messages()...)))
}

func (a *App) showDevMail(c *fiber.Ctx) error {
	id, _ := c.ParamsInt("id")
	m, ok := a.mailbox.Find(id)
	if !ok {
		return fiber.ErrNotFound
	}
	t := views.T(a.lang(c))
	return a.render(c, fiber.StatusOK, m.Subject, views.DevMailShow(t, devMails(m)[0]))
}

// showDevMailHTML serves a message's HTML part as it would reach a mail
// client: inline styles allowed, nothing else, sandboxed.
func (a *App) showDevMailHTML(c *fiber.Ctx) error {
	id, _ := c.ParamsInt("id")
	m, ok := a.mailbox.Find(id)
	if !ok {
		return fiber.ErrNotFound
	}
	c.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox allow-popups allow-popups-to-escape-sandbox")
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.SendString(m.HTML)
}

// devMails is what the mailbox's pages show of messages.
func devMails(messages ...mail.DevMessage) []views.DevMail {
	out := make([]views.DevMail, len(messages))
	for i, m := range messages {
		out[i] = views.DevMail{ID: m.ID, At: m.At, From: m.From, To: m.To, Subject: m.Subject, Text: m.Text}
	}
	return out
}
