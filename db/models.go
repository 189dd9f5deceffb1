package db

import (
	"time"

	"github.com/uptrace/bun"
)

// Account is a merchant's login to the admin site.
type Account struct {
	bun.BaseModel `bun:"table:accounts"`

	ID                int64      `bun:"id,pk,autoincrement"`
	LoginID           string     `bun:"login_id"`  // as registered, and as shown
	LoginKey          string     `bun:"login_key"` // LoginKey(LoginID), for matching and uniqueness in any case
	Email             string     `bun:"email"`
	EmailKey          string     `bun:"email_key"` // lower-cased email, for matching
	StoreName         string     `bun:"store_name"`
	Locale            string     `bun:"locale"`
	PasswordHash      string     `bun:"password_hash"`
	CreatedAt         time.Time  `bun:"created_at"`
	UpdatedAt         time.Time  `bun:"updated_at"`
	PasswordChangedAt *time.Time `bun:"password_changed_at"`
	DisabledAt        *time.Time `bun:"disabled_at"`          // nil while the account is active
	SearchText        string     `bun:"search_text,nullzero"` // the console's search key (db.SearchKey of each field)
}

// ResetToken is a password-reset link. Only the SHA-256 of the token is kept.
type ResetToken struct {
	bun.BaseModel `bun:"table:reset_tokens"`

	ID            int64        `bun:"id,pk,autoincrement"`
	AccountID     int64        `bun:"account_id"`
	TokenHash     []byte       `bun:"token_hash"`
	CreatedAt     time.Time    `bun:"created_at"`
	ExpiresAt     time.Time    `bun:"expires_at"`
	UsedAt        *time.Time   `bun:"used_at"`
	RevokedAt     *time.Time   `bun:"revoked_at"`
	RevokedReason RevokeReason `bun:"revoked_reason"` // why, when RevokedAt is set
	OpenedAt      *time.Time   `bun:"opened_at"`      // first opened from the mail (or by a mail scanner)
	RequestedIP   string       `bun:"requested_ip"`
}

// OutboxStatus is where a mail is in the outbox.
type OutboxStatus string

// Outbox statuses.
const (
	OutboxPending OutboxStatus = "pending"
	OutboxSending OutboxStatus = "sending"
	OutboxSent    OutboxStatus = "sent"
	OutboxDead    OutboxStatus = "dead"
	// OutboxExpired: the mail passed its deadline before it could be
	// handed over, and was not sent.
	OutboxExpired OutboxStatus = "expired"
)

// OutboxStatuses lists every outbox status.
var OutboxStatuses = []OutboxStatus{OutboxPending, OutboxSending, OutboxSent, OutboxDead, OutboxExpired}

// OutboxMail is a mail waiting for (or done with) delivery. Payload holds the
// rendered message sealed with the app's key, because a reset mail carries a
// live token; it is cleared once the mail is sent, and from a dead row once
// it has expired or the retention for "outbox retry" has passed.
type OutboxMail struct {
	bun.BaseModel `bun:"table:outbox"`

	ID            string       `bun:"id,pk"`
	Kind          string       `bun:"kind"`
	AccountID     *int64       `bun:"account_id"`
	ToAddr        string       `bun:"to_addr"`
	Payload       []byte       `bun:"payload"`
	Status        OutboxStatus `bun:"status"`
	Attempts      int          `bun:"attempts"`
	NextAttemptAt time.Time    `bun:"next_attempt_at"`
	LockedUntil   *time.Time   `bun:"locked_until"`
	LastError     string       `bun:"last_error"`
	ProviderID    string       `bun:"provider_id"`
	CreatedAt     time.Time    `bun:"created_at"`
	SentAt        *time.Time   `bun:"sent_at"`

	ExpiresAt       *time.Time    `bun:"expires_at"`        // the mail's deadline: not sent after this (a reset link's expiry)
	ExpiredAt       *time.Time    `bun:"expired_at"`        // when it passed its deadline unsent
	BatchID         string        `bun:"batch_id,nullzero"` // the batch it was claimed into: its idempotency key
	BatchSize       int           `bun:"batch_size"`        // the batch's size when claimed
	Alone           bool          `bun:"alone"`             // sent only on its own: a batch was refused for one mail's content
	IsRepeat        bool          `bun:"is_repeat"`         // its recipient had mail queued shortly before: served after first mails
	DeadAt          *time.Time    `bun:"dead_at"`
	DeliveryEvent   DeliveryEvent `bun:"delivery_event"` // the provider's latest word: delivered, bounced, …
	DeliveryEventAt *time.Time    `bun:"delivery_event_at"`
	DeliveryDetail  string        `bun:"delivery_detail"`

	LoginID string `bun:"login_id,scanonly"` // the account's, for operators' lists
}

// AuditEvent records who did what, from where.
type AuditEvent struct {
	bun.BaseModel `bun:"table:audit_events"`

	ID        int64     `bun:"id,pk,autoincrement"`
	At        time.Time `bun:"at"`
	Kind      AuditKind `bun:"kind"`
	AccountID *int64    `bun:"account_id"`
	LoginID   string    `bun:"login_id"`
	IP        string    `bun:"ip"`
	UserAgent string    `bun:"user_agent"`
	Detail    string    `bun:"detail"`
	Count     int       `bun:"count"`             // events the row stands for: 1, or more when aggregated
	AggKey    string    `bun:"agg_key,nullzero"`  // the aggregate a row adds to (RecordAuditAggregated)
	StaffID   *int64    `bun:"staff_id"`          // the staff member who acted, for console events
	AddrTag   []byte    `bun:"addr_tag,nullzero"` // an unmatched request's address, as a keyed tag (recovery.AddressTag)
}

// Session is a logged-in browser of the admin site. Only the SHA-256 of the
// cookie value is stored.
type Session struct {
	bun.BaseModel `bun:"table:sessions"`

	IDHash    []byte    `bun:"id_hash,pk"`
	AccountID int64     `bun:"account_id"`
	CreatedAt time.Time `bun:"created_at"`
	ExpiresAt time.Time `bun:"expires_at"`
	IP        string    `bun:"ip"`
	UserAgent string    `bun:"user_agent"`
}

// LoginFailure is one failed login for a login ID as typed.
type LoginFailure struct {
	bun.BaseModel `bun:"table:login_failures"`

	ID      int64     `bun:"id,pk,autoincrement"`
	LoginID string    `bun:"login_id"` // the LoginKey of the ID typed
	At      time.Time `bun:"at"`
	IP      string    `bun:"ip"`
}
