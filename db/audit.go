package db

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Audit event kinds.
const (
	AuditResetRequested    = "reset_requested"       // a request matched an account; token and mail queued
	AuditResetUnmatched    = "reset_request_nomatch" // a request matched no account
	AuditMailSent          = "mail_sent"
	AuditMailDead          = "mail_dead"
	AuditAccountCreated    = "account_created"
	AuditAccountImported   = "account_imported"
	AuditTokenRefused      = "reset_token_refused" // an invalid, expired, used or revoked link was opened or submitted
	AuditPasswordChanged   = "password_changed"    // a reset completed; the token was used
	AuditPasswordRejected  = "password_rejected"   // the new password failed the policy
	AuditLoginSucceeded    = "login_succeeded"
	AuditLoginFailed       = "login_failed"
	AuditLoginLocked       = "login_locked"
	AuditPasswordRehashed  = "password_rehashed" // a bcrypt hash, or one of the password as typed before normalising, was replaced by argon2id
	AuditLogout            = "logout"
	AuditResetLimited      = "reset_request_limited"       // matched, but over a mail limit: answered, not mailed
	AuditRateLimited       = "rate_limited"                // refused with 429 by a per-client limit
	AuditReminderRequested = "login_id_reminder_requested" // an address matched; the reminder mail is queued
	AuditReminderUnmatched = "login_id_reminder_nomatch"
	AuditReminderLimited   = "login_id_reminder_limited" // matched, but over a mail limit: answered, not mailed
	// AuditResetReported flags the account for support: the merchant said,
	// through 「心当たりがない場合」 in the mail, that a reset link was not
	// theirs; the link was revoked.
	AuditResetReported = "reset_reported"
)

// Audit event kinds of mail delivery and its operators.
const (
	AuditMailBounced     = "mail_bounced"           // the provider reports a bounce, or that it could not send at all
	AuditMailComplained  = "mail_complained"        // the recipient marked the mail as spam
	AuditMailRetried     = "mail_retried"           // an operator put a dead mail back in the outbox
	AuditResetByOperator = "reset_sent_by_operator" // support staff queued a reset link (account send-reset)
)

// RecordAudit appends e to the audit trail.
func RecordAudit(ctx context.Context, idb bun.IDB, e *AuditEvent, now time.Time) error {
	e.At = Stamp(now)
	if _, err := idb.NewInsert().Model(e).Exec(ctx); err != nil {
		return fmt.Errorf("db: record audit %s: %w", e.Kind, err)
	}
	return nil
}

// ListAudit returns the newest events first, optionally for one login ID:
// the events recorded with it as typed and those of its account (such as
// mail sent).
func ListAudit(ctx context.Context, idb bun.IDB, loginID string, limit int) ([]AuditEvent, error) {
	var events []AuditEvent
	q := idb.NewSelect().Model(&events).OrderExpr("at DESC, id DESC").Limit(limit)
	if loginID != "" {
		q = q.Where("login_id = ? OR account_id IN (SELECT id FROM accounts WHERE login_id = ?)", loginID, loginID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("db: list audit: %w", err)
	}
	return events, nil
}
