package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// CreateSession stores a session by the hash of its cookie value.
func CreateSession(ctx context.Context, idb bun.IDB, s *Session, now time.Time, ttl time.Duration) error {
	s.CreatedAt, s.ExpiresAt = Stamp(now), Stamp(now.Add(ttl))
	if _, err := idb.NewInsert().Model(s).Exec(ctx); err != nil {
		return fmt.Errorf("db: create session: %w", err)
	}
	return nil
}

// FindSessionAccount returns the account of an unexpired session, or nil.
func FindSessionAccount(ctx context.Context, idb bun.IDB, idHash []byte, now time.Time) (*Account, error) {
	var a Account
	err := idb.NewSelect().Model(&a).
		Join("JOIN sessions AS s ON s.account_id = account.id").
		Where("s.id_hash = ?", idHash).
		Where("s.expires_at > ?", Stamp(now)).
		Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("db: find session: %w", err)
	}
	return &a, nil
}

// DeleteSession ends one session.
func DeleteSession(ctx context.Context, idb bun.IDB, idHash []byte) error {
	if _, err := idb.NewDelete().Model((*Session)(nil)).Where("id_hash = ?", idHash).Exec(ctx); err != nil {
		return fmt.Errorf("db: delete session: %w", err)
	}
	return nil
}

// DeleteAccountSessions ends every session of the account.
func DeleteAccountSessions(ctx context.Context, idb bun.IDB, accountID int64) error {
	if _, err := idb.NewDelete().Model((*Session)(nil)).Where("account_id = ?", accountID).Exec(ctx); err != nil {
		return fmt.Errorf("db: delete account sessions: %w", err)
	}
	return nil
}

// RecordLoginFailure notes a failed login for loginID and returns its id.
// Failures are kept by LoginKey, so that typing an ID in another case
// counts towards the same pause.
func RecordLoginFailure(ctx context.Context, idb bun.IDB, loginID, ip string, now time.Time) (int64, error) {
	f := &LoginFailure{LoginID: LoginKey(loginID), IP: ip, At: Stamp(now)}
	if _, err := idb.NewInsert().Model(f).Returning("id").Exec(ctx); err != nil {
		return 0, fmt.Errorf("db: record login failure: %w", err)
	}
	return f.ID, nil
}

// DeleteLoginFailure removes one recorded failure.
func DeleteLoginFailure(ctx context.Context, idb bun.IDB, id int64) error {
	if _, err := idb.NewDelete().Model((*LoginFailure)(nil)).Where("id = ?", id).Exec(ctx); err != nil {
		return fmt.Errorf("db: delete login failure: %w", err)
	}
	return nil
}

// CountLoginFailures counts the failures for loginID, in any case, since
// since.
func CountLoginFailures(ctx context.Context, idb bun.IDB, loginID string, since time.Time) (int, error) {
	n, err := idb.NewSelect().Model((*LoginFailure)(nil)).
		Where("login_id = ?", LoginKey(loginID)).
		Where("at > ?", Stamp(since)).
		Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("db: count login failures: %w", err)
	}
	return n, nil
}

// ClearLoginFailures lifts the lockout of loginID, in any case.
func ClearLoginFailures(ctx context.Context, idb bun.IDB, loginID string) error {
	if _, err := idb.NewDelete().Model((*LoginFailure)(nil)).Where("login_id = ?", LoginKey(loginID)).Exec(ctx); err != nil {
		return fmt.Errorf("db: clear login failures: %w", err)
	}
	return nil
}

// DeleteExpired removes sessions that have expired and login failures
// older than failuresBefore.
func DeleteExpired(ctx context.Context, idb bun.IDB, now, failuresBefore time.Time) error {
	if _, err := idb.NewDelete().Model((*Session)(nil)).Where("expires_at <= ?", Stamp(now)).Exec(ctx); err != nil {
		return fmt.Errorf("db: delete expired sessions: %w", err)
	}
	if _, err := idb.NewDelete().Model((*LoginFailure)(nil)).Where("at <= ?", Stamp(failuresBefore)).Exec(ctx); err != nil {
		return fmt.Errorf("db: delete old login failures: %w", err)
	}
	return nil
}
