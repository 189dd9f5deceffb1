package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// TokenState says what a reset link is good for.
type TokenState int

const (
	TokenUnknown TokenState = iota // no such token
	TokenValid
	TokenExpired
	TokenUsed
	TokenRevoked // superseded by a newer request or a password change
)

// RevokeReason says why a reset link was revoked. Only a link replaced by
// a newer one may be renewed from its page; every other reason ends what
// the link proved.
type RevokeReason string

const (
	RevokedReplaced RevokeReason = "replaced" // a newer link was made for the account
	RevokedReported RevokeReason = "reported" // 「心当たりがない場合」: the merchant disowned a link
	RevokedPassword RevokeReason = "password" // the password was changed
	RevokedEmail    RevokeReason = "email"    // the registered address was changed
	RevokedDisabled RevokeReason = "disabled" // the account was disabled
)

// ResetLinkRenewable bounds how long after it was made a link can still
// be renewed from its page; the sweep deletes unused links past it.
const ResetLinkRenewable = 7 * 24 * time.Hour

// UsedResetLinkRetention is how long a used link is kept: the console's
// overview charts the time from request to new password over 14 days.
const UsedResetLinkRetention = 15 * 24 * time.Hour

// State reports t's state at now.
func (t *ResetToken) State(now time.Time) TokenState {
	switch {
	case t == nil:
		return TokenUnknown
	case t.UsedAt != nil:
		return TokenUsed
	case t.RevokedAt != nil:
		return TokenRevoked
	case !Stamp(now).Before(t.ExpiresAt):
		return TokenExpired
	default:
		return TokenValid
	}
}

// CreateResetToken revokes the account's unused tokens as replaced and
// stores a new one by its hash. Run it in the transaction that also queues
// the mail.
func CreateResetToken(ctx context.Context, idb bun.IDB, accountID int64, hash []byte, now time.Time, ttl time.Duration, ip string) (*ResetToken, error) {
	if err := RevokeResetTokens(ctx, idb, accountID, now, RevokedReplaced); err != nil {
		return nil, err
	}
	t := &ResetToken{
		AccountID:   accountID,
		TokenHash:   hash,
		CreatedAt:   Stamp(now),
		ExpiresAt:   Stamp(now.Add(ttl)),
		RequestedIP: ip,
	}
	if _, err := idb.NewInsert().Model(t).Returning("id").Exec(ctx); err != nil {
		return nil, fmt.Errorf("db: create reset token: %w", err)
	}
	return t, nil
}

// RevokeResetTokens marks every unused token of the account as revoked,
// for reason.
func RevokeResetTokens(ctx context.Context, idb bun.IDB, accountID int64, now time.Time, reason RevokeReason) error {
	_, err := idb.NewUpdate().Model((*ResetToken)(nil)).
		Set("revoked_at = ?", Stamp(now)).
		Set("revoked_reason = ?", reason).
		Where("account_id = ?", accountID).
		Where("used_at IS NULL").
		Where("revoked_at IS NULL").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("db: revoke reset tokens: %w", err)
	}
	return nil
}

// LookupResetToken returns the token with the given hash, or nil.
func LookupResetToken(ctx context.Context, idb bun.IDB, hash []byte) (*ResetToken, error) {
	var t ResetToken
	err := idb.NewSelect().Model(&t).Where("token_hash = ?", hash).Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("db: lookup reset token: %w", err)
	}
	return &t, nil
}

// GetResetToken returns the token with that ID, or nil.
func GetResetToken(ctx context.Context, idb bun.IDB, id int64) (*ResetToken, error) {
	var t ResetToken
	err := idb.NewSelect().Model(&t).Where("id = ?", id).Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("db: get reset token: %w", err)
	}
	return &t, nil
}

// MarkResetTokenOpened records when the link was first opened; later
// openings change nothing.
func MarkResetTokenOpened(ctx context.Context, idb bun.IDB, id int64, now time.Time) error {
	_, err := idb.NewUpdate().Model((*ResetToken)(nil)).
		Set("opened_at = ?", Stamp(now)).
		Where("id = ?", id).
		Where("opened_at IS NULL").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("db: mark reset token opened: %w", err)
	}
	return nil
}

// RevokeResetToken revokes one token, for reason, in one conditional
// statement, so that it cannot be revoked after it was used (or the other
// way round); ok is false when it was no longer usable.
func RevokeResetToken(ctx context.Context, idb bun.IDB, id int64, now time.Time, reason RevokeReason) (ok bool, err error) {
	res, err := idb.NewUpdate().Model((*ResetToken)(nil)).
		Set("revoked_at = ?", Stamp(now)).
		Set("revoked_reason = ?", reason).
		Where("id = ?", id).
		Where("used_at IS NULL").
		Where("revoked_at IS NULL").
		Where("expires_at > ?", Stamp(now)).
		Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("db: revoke reset token: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("db: revoke reset token: %w", err)
	}
	return n == 1, nil
}

// ConsumeResetToken uses the token up in one conditional statement, so that
// of concurrent submissions exactly one gets its account ID; the others get
// ok == false.
func ConsumeResetToken(ctx context.Context, idb bun.IDB, hash []byte, now time.Time) (accountID int64, ok bool, err error) {
	err = idb.NewUpdate().Model((*ResetToken)(nil)).
		Set("used_at = ?", Stamp(now)).
		Where("token_hash = ?", hash).
		Where("used_at IS NULL").
		Where("revoked_at IS NULL").
		Where("expires_at > ?", Stamp(now)).
		Returning("account_id").
		Scan(ctx, &accountID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("db: consume reset token: %w", err)
	}
	return accountID, true, nil
}

// ResetLinkSuperseded reports whether the account got another reset link,
// or changed its password, after since: a link mailed at since is dead then.
func ResetLinkSuperseded(ctx context.Context, idb bun.IDB, accountID int64, since time.Time) (bool, error) {
	newer, err := idb.NewSelect().Model((*ResetToken)(nil)).
		Where("account_id = ?", accountID).Where("created_at > ?", Stamp(since)).Exists(ctx)
	if err != nil {
		return false, fmt.Errorf("db: newer reset links: %w", err)
	}
	if newer {
		return true, nil
	}
	changed, err := idb.NewSelect().Model((*Account)(nil)).
		Where("id = ?", accountID).Where("password_changed_at > ?", Stamp(since)).Exists(ctx)
	if err != nil {
		return false, fmt.Errorf("db: password changed since: %w", err)
	}
	return changed, nil
}

// ResetLinksEndedSince reports whether one of the account's links was
// revoked at or after since for another reason than a newer link (a
// report, a new address, a disabled account, a password change): what an
// older link proved no longer holds.
func ResetLinksEndedSince(ctx context.Context, idb bun.IDB, accountID int64, since time.Time) (bool, error) {
	ended, err := idb.NewSelect().Model((*ResetToken)(nil)).
		Where("account_id = ?", accountID).
		Where("revoked_at >= ?", Stamp(since)).
		Where("revoked_reason <> ?", RevokedReplaced).
		Exists(ctx)
	if err != nil {
		return false, fmt.Errorf("db: reset links ended since: %w", err)
	}
	return ended, nil
}

// DeleteOldResetTokens deletes the links that can no longer be used or
// renewed: unused ones made before now less ResetLinkRenewable (and
// expired), used ones after UsedResetLinkRetention.
func DeleteOldResetTokens(ctx context.Context, idb bun.IDB, now time.Time) (int64, error) {
	res, err := idb.NewDelete().Model((*ResetToken)(nil)).
		Where("(used_at IS NULL AND created_at < ? AND expires_at <= ?) OR used_at < ?",
			Stamp(now.Add(-ResetLinkRenewable)), Stamp(now), Stamp(now.Add(-UsedResetLinkRetention))).
		Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("db: delete old reset tokens: %w", err)
	}
	return res.RowsAffected()
}
