package app

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"aikagi/views"
)

// devMailboxSize bounds the development mailbox; older mail falls out.
const devMailboxSize = 500

// DevMailbox is the Sender used when no mail provider is configured: it
// keeps messages in memory for /_dev/mail. It is never served in production.
type DevMailbox struct {
	mu    sync.Mutex
	next  int
	mails []devMessage // oldest first
	now   func() time.Time
}

type devMessage struct {
	views.DevMail
	HTML string
}

// NewDevMailbox returns an empty mailbox.
func NewDevMailbox() *DevMailbox { return &DevMailbox{now: time.Now} }

// Send stores m.
func (b *DevMailbox) Send(_ context.Context, _ string, m Message) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.next++
	b.mails = append(b.mails, devMessage{
		DevMail: views.DevMail{ID: b.next, At: b.now(), From: m.From, To: m.To, Subject: m.Subject, Text: m.Text},
		HTML:    m.HTML,
	})
	if len(b.mails) > devMailboxSize {
		b.mails = b.mails[len(b.mails)-devMailboxSize:]
	}
	return "dev-" + strconv.Itoa(b.next), nil
}

// Messages returns the mail, newest first.
func (b *DevMailbox) Messages() []views.DevMail {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]views.DevMail, 0, len(b.mails))
	for i := len(b.mails) - 1; i >= 0; i-- {
		out = append(out, b.mails[i].DevMail)
	}
	return out
}

func (b *DevMailbox) find(id int) (devMessage, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range b.mails {
		if m.ID == id {
			return m, true
		}
	}
	return devMessage{}, false
}

func (a *App) listDevMail(c *fiber.Ctx) error {
	t := views.T(a.lang(c))
	return a.render(c, fiber.StatusOK, t.DevMailboxName, views.DevMailList(t, a.mailbox.Messages()))
}

func (a *App) showDevMail(c *fiber.Ctx) error {
	id, _ := c.ParamsInt("id")
	m, ok := a.mailbox.find(id)
	if !ok {
		return fiber.ErrNotFound
	}
	t := views.T(a.lang(c))
	return a.render(c, fiber.StatusOK, m.Subject, views.DevMailShow(t, m.DevMail))
}

// showDevMailHTML serves a message's HTML part as it would reach a mail
// client: inline styles allowed, nothing else, sandboxed.
func (a *App) showDevMailHTML(c *fiber.Ctx) error {
	id, _ := c.ParamsInt("id")
	m, ok := a.mailbox.find(id)
	if !ok {
		return fiber.ErrNotFound
	}
	c.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox allow-popups allow-popups-to-escape-sandbox")
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.SendString(m.HTML)
}
