// Package mail delivers the app's mail: the message and its kinds, the
// Senders (Resend, and the development mailbox), the outbox that queues
// mail in the database and the worker that sends it, and the reading of
// Resend's delivery webhooks.
package mail

import (
	"context"
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

// providerRateKey counts the requests of every instance to the mail
// provider in rate_counters.
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

// rateLimitedSender is a Sender whose provider limits requests per second
// (Resend); the worker paces its calls under RESEND_RATE_LIMIT.
type rateLimitedSender interface {
	Sender
	rateLimited()
}

// PermanentError marks a failure that retrying cannot fix.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// RetryLaterError marks a failure that may pass: the provider was
// unreachable, overloaded or rate limiting. After, when set, is how long the
// provider asked us to wait (Retry-After); the worker then pauses too.
type RetryLaterError struct {
	Err   error
	After time.Duration
}

func (e *RetryLaterError) Error() string { return e.Err.Error() }
func (e *RetryLaterError) Unwrap() error { return e.Err }

// NewID is a new outbox row's id: random (secret.NewID), so it also
// serves as the provider's idempotency key.
func NewID() string { return secret.NewID() }

// Wake tells the worker a row is waiting, without blocking.
func (o *Outbox) Wake() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}
