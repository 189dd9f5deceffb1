package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// StaffInvite is a one-time link by which a member added in the console
// sets their own password, stored by the hash of its token.
type StaffInvite struct {
	bun.BaseModel `bun:"table:staff_invites"`

	ID        int64      `bun:"id,pk,autoincrement"`
	StaffID   int64      `bun:"staff_id"`
	TokenHash []byte     `bun:"token_hash"`
	CreatedAt time.Time  `bun:"created_at"`
	ExpiresAt time.Time  `bun:"expires_at"`
	UsedAt    *time.Time `bun:"used_at"`
}

// StaffListed is a member as the staff list shows them.
type StaffListed struct {
	Staff
	LastLogin *time.Time // the last staff_login_succeeded still in the audit trail
}

// ListStaff returns every member, by email, with their last login.
func ListStaff(ctx context.Context, idb bun.IDB) ([]StaffListed, error) {
	var members []Staff
	if err := idb.NewSelect().Model(&members).OrderExpr("email").Scan(ctx); err != nil {
		return nil, fmt.Errorf("db: list staff: %w", err)
	}
	var logins []struct {
		StaffID int64     `bun:"staff_id"`
		At      time.Time `bun:"last_at"`
	}
	if err := idb.NewSelect().TableExpr("audit_events").ColumnExpr("staff_id, MAX(at) AS last_at").
		Where("kind = ?", AuditStaffLoginSucceeded).Where("staff_id IS NOT NULL").
		GroupExpr("staff_id").Scan(ctx, &logins); err != nil {
		return nil, fmt.Errorf("db: list staff logins: %w", err)
	}
	last := map[int64]time.Time{}
	for _, l := range logins {
		last[l.StaffID] = l.At
	}
	listed := make([]StaffListed, len(members))
	for i, m := range members {
		listed[i].Staff = m
		if at, ok := last[m.ID]; ok {
			listed[i].LastLogin = &at
		}
	}
	return listed, nil
}

// LockStaff reads a member and, on PostgreSQL, locks their row until the
// transaction ends (SQLite's write transactions are serial already).
func LockStaff(ctx context.Context, tx bun.Tx, id int64) (*Staff, error) {
	return lockByID[Staff](ctx, tx, id, "staff")
}

// LockEnabledAdmins returns the ids of the enabled admins and, on
// PostgreSQL, locks their rows until the transaction ends: two admins
// demoting each other at once then wait for one another, and the second
// sees the first's change.
func LockEnabledAdmins(ctx context.Context, tx bun.Tx) ([]int64, error) {
	var ids []int64
	q := tx.NewSelect().Model((*Staff)(nil)).Column("id").
		Where("role = ?", RoleAdmin).Where("disabled_at IS NULL").OrderExpr("id")
	if IsPostgres(tx) {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx, &ids); err != nil {
		return nil, fmt.Errorf("db: lock admins: %w", err)
	}
	return ids, nil
}

// SetStaffRole gives a member role.
func SetStaffRole(ctx context.Context, idb bun.IDB, id int64, role StaffRole) error {
	if _, err := idb.NewUpdate().Model((*Staff)(nil)).Set("role = ?", role).Where("id = ?", id).Exec(ctx); err != nil {
		return fmt.Errorf("db: set staff role: %w", err)
	}
	return nil
}

// SetStaffDisabled disables a member from at, or enables them when at is nil.
func SetStaffDisabled(ctx context.Context, idb bun.IDB, id int64, at *time.Time) error {
	var stamp *time.Time
	if at != nil {
		t := Stamp(*at)
		stamp = &t
	}
	if _, err := idb.NewUpdate().Model((*Staff)(nil)).Set("disabled_at = ?", stamp).Where("id = ?", id).Exec(ctx); err != nil {
		return fmt.Errorf("db: set staff disabled: %w", err)
	}
	return nil
}

// DeleteStaffSessions ends every session of a member, pending or full.
func DeleteStaffSessions(ctx context.Context, idb bun.IDB, staffID int64) error {
	if _, err := idb.NewDelete().Model((*StaffSession)(nil)).Where("staff_id = ?", staffID).Exec(ctx); err != nil {
		return fmt.Errorf("db: delete staff sessions: %w", err)
	}
	return nil
}

// ResetStaffSecondFactor drops a member's TOTP secret and recovery codes:
// they enrol again at their next login. The last step used stays, so no
// code seen before the reset counts after it.
func ResetStaffSecondFactor(ctx context.Context, idb bun.IDB, id int64) error {
	if _, err := idb.NewUpdate().Model((*Staff)(nil)).Set("totp_sealed = NULL").Set("enrolled_at = NULL").
		Where("id = ?", id).Exec(ctx); err != nil {
		return fmt.Errorf("db: reset second factor: %w", err)
	}
	if _, err := idb.NewDelete().Model((*StaffRecoveryCode)(nil)).Where("staff_id = ?", id).Exec(ctx); err != nil {
		return fmt.Errorf("db: reset second factor: %w", err)
	}
	return nil
}

// SetStaffPassword stores a member's new password hash.
func SetStaffPassword(ctx context.Context, idb bun.IDB, id int64, hash string) error {
	if _, err := idb.NewUpdate().Model((*Staff)(nil)).Set("password_hash = ?", hash).Where("id = ?", id).Exec(ctx); err != nil {
		return fmt.Errorf("db: set staff password: %w", err)
	}
	return nil
}

// CreateStaffInvite stores inv, valid for ttl from now, in place of any
// earlier invitation of the member: only the newest link works.
func CreateStaffInvite(ctx context.Context, idb bun.IDB, inv *StaffInvite, now time.Time, ttl time.Duration) error {
	if _, err := idb.NewDelete().Model((*StaffInvite)(nil)).Where("staff_id = ?", inv.StaffID).Exec(ctx); err != nil {
		return fmt.Errorf("db: create staff invite: %w", err)
	}
	inv.CreatedAt, inv.ExpiresAt = Stamp(now), Stamp(now.Add(ttl))
	if _, err := idb.NewInsert().Model(inv).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("db: create staff invite: %w", err)
	}
	return nil
}

// FindStaffInvite returns the invitation with tokenHash, used or not,
// expired or not, or nil.
func FindStaffInvite(ctx context.Context, idb bun.IDB, tokenHash []byte) (*StaffInvite, error) {
	var inv StaffInvite
	err := idb.NewSelect().Model(&inv).Where("token_hash = ?", tokenHash).Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("db: find staff invite: %w", err)
	}
	return &inv, nil
}

// UseStaffInvite marks an unused, unexpired invitation used, in one
// statement, and reports whether it was: two submissions of one link
// cannot both pass.
func UseStaffInvite(ctx context.Context, idb bun.IDB, id int64, now time.Time) (bool, error) {
	res, err := idb.NewUpdate().Model((*StaffInvite)(nil)).Set("used_at = ?", Stamp(now)).
		Where("id = ?", id).Where("used_at IS NULL").Where("expires_at > ?", Stamp(now)).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("db: use staff invite: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// DeleteExpiredStaffInvites removes the invitations past their expiry,
// used or not, and reports how many went.
func DeleteExpiredStaffInvites(ctx context.Context, idb bun.IDB, now time.Time) (int64, error) {
	res, err := idb.NewDelete().Model((*StaffInvite)(nil)).Where("expires_at <= ?", Stamp(now)).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("db: delete expired staff invites: %w", err)
	}
	return res.RowsAffected()
}
