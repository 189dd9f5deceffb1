package db

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// AuditKind names what an audit event records.
type AuditKind string

// Audit event kinds.
const (
	AuditResetRequested    AuditKind = "reset_requested"       // a request matched an account; token and mail queued
	AuditResetUnmatched    AuditKind = "reset_request_nomatch" // a request matched no account
	AuditMailSent          AuditKind = "mail_sent"
	AuditMailDead          AuditKind = "mail_dead"
	AuditAccountCreated    AuditKind = "account_created"
	AuditAccountImported   AuditKind = "account_imported"
	AuditAccountUpdated    AuditKind = "account_updated" // account import --update corrected its address, store name or locale
	AuditAccountDisabled   AuditKind = "account_disabled"
	AuditAccountEnabled    AuditKind = "account_enabled"
	AuditAccountDeleted    AuditKind = "account_deleted"
	AuditResetDisabled     AuditKind = "reset_request_disabled"     // matched a disabled account: answered, not mailed
	AuditReminderDisabled  AuditKind = "login_id_reminder_disabled" // every account on the address is disabled: answered, not mailed
	AuditTokenRefused      AuditKind = "reset_token_refused"        // an invalid, expired, used or revoked link was opened or submitted
	AuditPasswordChanged   AuditKind = "password_changed"           // a reset completed; the token was used
	AuditPasswordRejected  AuditKind = "password_rejected"          // the new password failed the policy
	AuditLoginSucceeded    AuditKind = "login_succeeded"
	AuditLoginFailed       AuditKind = "login_failed"
	AuditLoginLocked       AuditKind = "login_locked"
	AuditPasswordRehashed  AuditKind = "password_rehashed" // a bcrypt hash, or one of the password as typed before normalising, was replaced by argon2id
	AuditLogout            AuditKind = "logout"
	AuditResetLimited      AuditKind = "reset_request_limited"       // matched, but over a mail limit: answered, not mailed
	AuditRateLimited       AuditKind = "rate_limited"                // refused with 429 by a per-client limit
	AuditReminderRequested AuditKind = "login_id_reminder_requested" // an address matched; the reminder mail is queued
	AuditReminderUnmatched AuditKind = "login_id_reminder_nomatch"
	AuditReminderLimited   AuditKind = "login_id_reminder_limited" // matched, but over a mail limit: answered, not mailed
	AuditRequestFailed     AuditKind = "request_failed"            // a recorded step 3 could not be processed; nothing was sent
	AuditRequestExpired    AuditKind = "request_expired"           // a recorded step 3 waited over a day; nothing was sent
	// AuditResetReported flags the account for support: the merchant said,
	// through 「心当たりがない場合」 in the mail, that a reset link was not
	// theirs; the link was revoked.
	AuditResetReported AuditKind = "reset_reported"
)

// Audit event kinds of mail delivery and its operators.
const (
	AuditMailBounced     AuditKind = "mail_bounced"           // the provider reports a bounce, or that it could not send at all
	AuditMailComplained  AuditKind = "mail_complained"        // the recipient marked the mail as spam
	AuditMailRetried     AuditKind = "mail_retried"           // an operator put a dead mail back in the outbox
	AuditResetByOperator AuditKind = "reset_sent_by_operator" // support staff queued a reset link (account send-reset)
	AuditEmailChanged    AuditKind = "email_changed"          // an operator changed the registered address (account set-email)
)

// Audit event kinds of the support console's account actions (the other
// actions reuse the kinds above, with the member in StaffID).
const (
	AuditLoginPauseLifted AuditKind = "login_pause_lifted" // a member cleared the login failures that paused an account's logins
)

// Audit event kinds of staff management in the console: StaffID is the
// admin who acted (the new member for staff_invite_accepted); Detail names
// the member and the reason.
const (
	AuditStaffInvited        AuditKind = "staff_invited"         // added without a password; an invitation link issued
	AuditStaffReinvited      AuditKind = "staff_reinvited"       // a new invitation link in place of the last
	AuditStaffInviteAccepted AuditKind = "staff_invite_accepted" // the member set their password by the link
	AuditStaffRoleChanged    AuditKind = "staff_role_changed"
	AuditStaffDisabled       AuditKind = "staff_disabled" // their sessions ended
	AuditStaffEnabled        AuditKind = "staff_enabled"
	AuditStaffFactorReset    AuditKind = "staff_second_factor_reset" // TOTP and recovery codes dropped; re-enrolment at next login
	AuditStaffPauseLifted    AuditKind = "staff_login_pause_lifted"
)

// Audit field limits, in characters: room for any real value, while input
// made oversized on purpose cannot grow the trail beyond them.
const (
	AuditMaxLoginID   = 256
	AuditMaxIP        = 64
	AuditMaxUserAgent = 512
	AuditMaxDetail    = 1024
)

// RecordAudit appends e to the audit trail, its fields cut to the limits.
func RecordAudit(ctx context.Context, idb bun.IDB, e *AuditEvent, now time.Time) error {
	prepareAudit(e, now)
	if _, err := idb.NewInsert().Model(e).Exec(ctx); err != nil {
		return fmt.Errorf("db: record audit %s: %w", e.Kind, err)
	}
	return nil
}

// RecordAuditAggregated records e as one more event of the aggregate named
// key: the first one is stored as it is, later ones only add to its count.
// It is one atomic upsert, so concurrent instances never lose one.
func RecordAuditAggregated(ctx context.Context, idb bun.IDB, e *AuditEvent, key string, now time.Time) error {
	prepareAudit(e, now)
	e.AggKey = key
	_, err := idb.NewRaw(`
INSERT INTO audit_events (at, kind, account_id, login_id, ip, user_agent, detail, count, agg_key)
VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)
ON CONFLICT (agg_key) DO UPDATE SET count = audit_events.count + 1`,
		e.At, e.Kind, e.AccountID, e.LoginID, e.IP, e.UserAgent, e.Detail, key).Exec(ctx)
	if err != nil {
		return fmt.Errorf("db: record audit %s: %w", e.Kind, err)
	}
	return nil
}

func prepareAudit(e *AuditEvent, now time.Time) {
	e.At = Stamp(now)
	e.Count = 1
	e.LoginID = capField(e.LoginID, AuditMaxLoginID)
	e.IP = capField(e.IP, AuditMaxIP)
	e.UserAgent = capField(e.UserAgent, AuditMaxUserAgent)
	e.Detail = capField(e.Detail, AuditMaxDetail)
}

// capField makes s storable in a text column of both databases (valid UTF-8,
// no NUL, which PostgreSQL refuses) and at most max characters long, cut at
// a character boundary and marked with "…".
func capField(s string, max int) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max-1]) + "…"
}

// DeleteAuditBefore deletes up to batch audit events recorded before cutoff,
// oldest first, and reports how many went. A bounded batch keeps each
// sweep's statement short on a large trail; the next sweep goes on.
func DeleteAuditBefore(ctx context.Context, idb bun.IDB, cutoff time.Time, batch int) (int64, error) {
	old := idb.NewSelect().Table("audit_events").Column("id").
		Where("at < ?", Stamp(cutoff)).OrderExpr("at, id").Limit(batch)
	res, err := idb.NewDelete().Table("audit_events").Where("id IN (?)", old).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("db: delete old audit events: %w", err)
	}
	return res.RowsAffected()
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
