// Package mail delivers the app's mail: the message and its kinds, the
// Senders (Resend, and the development mailbox), the outbox that queues
// mail in the database and the worker that sends it, and the reading of
// Resend's delivery webhooks.
package mail

import (
	"context"
	"fmt"
	"time"

	"aikagi/app/secret"
)

// Kind names what a mail is for, as the outbox stores it.
type Kind string

const (
	KindReset           Kind = "reset_link"        // the link to set a new password
	KindPasswordChanged Kind = "password_changed"  // the notice after a new password
	KindReminder        Kind = "login_id_reminder" // the login IDs of an address
	KindEmailChanged    Kind = "email_changed"     // the notice to both addresses after a change
)

// Kinds lists every mail kind.
var Kinds = []Kind{KindReset, KindPasswordChanged, KindReminder, KindEmailChanged}

// Deadlines of the mails that carry no link: a mail that cannot be
// handed over within this of being queued is not sent (it ends expired).
// A reset mail's deadline is its link's expiry.
const (
	ReminderDeadline = time.Hour      // a login-ID reminder: the merchant is waiting for it now
	NoticeDeadline   = 24 * time.Hour // a notice of a change already made
)

// deadline is when a mail of kind, queued at now, stops being worth
// sending, when its sender gave none.
func deadline(kind Kind, now time.Time) time.Time {
	switch kind {
	case KindReminder:
		return now.Add(ReminderDeadline)
	case KindReset, KindPasswordChanged, KindEmailChanged:
		return now.Add(NoticeDeadline)
	}
	panic("mail: unknown kind " + kind)
}

// providerRateKey names the mail provider's pace in provider_pace, which
// every instance shares.
const providerRateKey = "provider:resend"

// Message is one rendered mail.
type Message struct {
	From    string `json:"from"`
	To      string `json:"to"`
	Subject string `json:"subject"`
	Text    string `json:"text"`
	HTML    string `json:"html"`
}

// Sender delivers a message. id is the outbox row id, stable across retries,
// so a provider can use it as an idempotency key.
type Sender interface {
	Send(ctx context.Context, id string, m Message) (providerID string, err error)
}

// BatchSender is a Sender that can also hand over several messages in one
// request (Resend's batch endpoint). key names the set of messages, stable
// across retries of the same set, so the provider can use it as the
// batch's idempotency key. providerIDs are in the order of msgs.
type BatchSender interface {
	Sender
	SendBatch(ctx context.Context, key string, msgs []Tagged) (providerIDs []string, err error)
}

// Tagged is a message with its outbox id, which it carries as a tag so
// that the provider's webhooks name its row.
type Tagged struct {
	ID string
	Message
}

// rateLimitedSender is a Sender whose provider limits requests per second
// (Resend); the worker paces its calls under RESEND_RATE_LIMIT.
type rateLimitedSender interface {
	Sender
	rateLimited()
}

// PermanentError marks a failure that retrying cannot fix. Content is set
// when the provider refused the content of a request (a bad address, say)
// rather than the request itself: a batch so refused is sent again one mail
// at a time, so that one bad mail does not hold back the others.
type PermanentError struct {
	Err     error
	Content bool
}

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// RetryLaterError marks a failure that may pass: the provider was
// unreachable, overloaded or rate limiting. After, when set, is how long the
// provider asked us to wait (Retry-After); the worker then pauses too.
//
// Throttled is set when the provider refused the request for its rate
// limit (429): nothing was accepted, and the attempt does not count.
type RetryLaterError struct {
	Err       error
	After     time.Duration
	Throttled bool
}

func (e *RetryLaterError) Error() string { return e.Err.Error() }
func (e *RetryLaterError) Unwrap() error { return e.Err }

// NewID is a new outbox row's id: the time, then 64 random bits, in hex.
// Random enough to serve as the provider's idempotency key, and in the
// order queued, so that mail queued within one second (the database's
// resolution) goes out first come, first served.
func NewID() string {
	return fmt.Sprintf("%016x", uint64(time.Now().UnixNano())) + secret.NewID()[:16]
}

// Wake tells the worker a row is waiting, without blocking.
func (o *Outbox) Wake() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}
