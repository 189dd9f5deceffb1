package mail

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/a-h/templ"
	"github.com/uptrace/bun"

	"aikagi/db"
)

// Outgoing is a mail to queue for one recipient.
type Outgoing struct {
	Kind      Kind
	AccountID int64
	To        string
	Subject   string
	Text      string
	HTML      templ.Component
	// ExpiresAt is the mail's deadline: when it becomes useless (a reset
	// link expires). The worker never sends it later, and the sealed link is
	// dropped from a dead row then. Zero means the kind's bound (deadline).
	ExpiresAt time.Time
}

// Queue renders m, seals it and writes it to the outbox in tx. Call Wake
// once tx has committed.
func (o *Outbox) Queue(ctx context.Context, tx bun.IDB, m Outgoing) error {
	var buf bytes.Buffer
	if err := m.HTML.Render(ctx, &buf); err != nil {
		return fmt.Errorf("render %s mail: %w", m.Kind, err)
	}
	plain, err := json.Marshal(Message{From: o.from, To: m.To, Subject: m.Subject, Text: m.Text, HTML: buf.String()})
	if err != nil {
		return fmt.Errorf("encode mail: %w", err)
	}
	now := o.now()
	// A recipient who already had mail in the window waits behind
	// everyone's first mail (docs/architecture.md, "Fair order").
	repeat, err := db.HasRecentMail(ctx, tx, m.AccountID, now.Add(-o.repeatWindow))
	if err != nil {
		return err
	}
	id := NewID()
	expires := m.ExpiresAt
	if expires.IsZero() {
		expires = deadline(m.Kind, now)
	}
	row := &db.OutboxMail{
		ID:        id,
		Kind:      string(m.Kind),
		AccountID: &m.AccountID,
		ToAddr:    m.To,
		Payload:   o.sealer.Seal(id, plain),
		ExpiresAt: &expires,
		IsRepeat:  repeat,
	}
	return db.EnqueueMail(ctx, tx, row, now)
}
