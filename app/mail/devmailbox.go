package mail

import (
	"context"
	"strconv"
	"sync"
	"time"
)

// DevMailboxSize bounds the development mailbox; older mail falls out.
const DevMailboxSize = 500

// DevMailbox is the Sender used when no mail provider is configured: it
// keeps messages in memory for /_dev/mail. It is never served in production.
type DevMailbox struct {
	mu    sync.Mutex
	next  int
	mails []DevMessage // oldest first
	now   func() time.Time
}

// DevMessage is a mail in the development mailbox, numbered in the order
// it arrived.
type DevMessage struct {
	ID      int
	At      time.Time
	From    string
	To      string
	Subject string
	Text    string
	HTML    string
}

// NewDevMailbox returns an empty mailbox.
func NewDevMailbox() *DevMailbox { return &DevMailbox{now: time.Now} }

// Send stores m.
func (b *DevMailbox) Send(_ context.Context, _ string, m Message) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.next++
	b.mails = append(b.mails, DevMessage{ID: b.next, At: b.now(), From: m.From, To: m.To, Subject: m.Subject, Text: m.Text, HTML: m.HTML})
	if len(b.mails) > DevMailboxSize {
		b.mails = b.mails[len(b.mails)-DevMailboxSize:]
	}
	return "dev-" + strconv.Itoa(b.next), nil
}

// Messages returns the mail, newest first.
func (b *DevMailbox) Messages() []DevMessage {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]DevMessage, 0, len(b.mails))
	for i := len(b.mails) - 1; i >= 0; i-- {
		out = append(out, b.mails[i])
	}
	return out
}

// Find returns the mail numbered id.
func (b *DevMailbox) Find(id int) (DevMessage, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range b.mails {
		if m.ID == id {
			return m, true
		}
	}
	return DevMessage{}, false
}
