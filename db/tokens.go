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

// CreateResetToken revokes the account's unused tokens and stores a new one
// by its hash. Run it in the transaction that also queues the mail.
func CreateResetToken(ctx context.Context, idb bun.IDB, accountID int64, hash []byte, now time.Time, ttl time.Duration, ip string) (*ResetToken, error) {
	if err := RevokeResetTokens(ctx, idb, accountID, now); err != nil {
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

// RevokeResetTokens marks every unused token of the account as revoked.
func RevokeResetTokens(ctx context.Context, idb bun.IDB, accountID int64, now time.Time) error {
	_, err := idb.NewUpdate().Model((*ResetToken)(nil)).
		Set("revoked_at = ?", Stamp(now)).
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

// RevokeResetToken revokes one token in one conditional statement, so that
// it cannot be revoked after it was used (or the other way round); ok is
// false when it was no longer usable.
func RevokeResetToken(ctx context.Context, idb bun.IDB, id int64, now time.Time) (ok bool, err error) {
	res, err := idb.NewUpdate().Model((*ResetToken)(nil)).
		Set("revoked_at = ?", Stamp(now)).
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
