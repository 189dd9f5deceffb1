package db

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// StaffLoginFailure is one failed console login for a staff email as
// typed, whether or not a member has it. It has its own table so that
// nothing typed into the merchants' login can count against a member.
type StaffLoginFailure struct {
	bun.BaseModel `bun:"table:staff_login_failures"`

	ID    int64     `bun:"id,pk,autoincrement"`
	Email string    `bun:"email"`
	At    time.Time `bun:"at"`
	IP    string    `bun:"ip"`
}

// RecordStaffLoginFailure notes a failed console login for email and
// returns its id.
func RecordStaffLoginFailure(ctx context.Context, idb bun.IDB, email, ip string, now time.Time) (int64, error) {
	f := &StaffLoginFailure{Email: email, IP: ip, At: Stamp(now)}
	if _, err := idb.NewInsert().Model(f).Returning("id").Exec(ctx); err != nil {
		return 0, fmt.Errorf("db: record staff login failure: %w", err)
	}
	return f.ID, nil
}

// DeleteStaffLoginFailure removes one recorded failure.
func DeleteStaffLoginFailure(ctx context.Context, idb bun.IDB, id int64) error {
	if _, err := idb.NewDelete().Model((*StaffLoginFailure)(nil)).Where("id = ?", id).Exec(ctx); err != nil {
		return fmt.Errorf("db: delete staff login failure: %w", err)
	}
	return nil
}

// CountStaffLoginFailures counts the failures for email since since.
func CountStaffLoginFailures(ctx context.Context, idb bun.IDB, email string, since time.Time) (int, error) {
	n, err := idb.NewSelect().Model((*StaffLoginFailure)(nil)).
		Where("email = ?", email).
		Where("at > ?", Stamp(since)).
		Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("db: count staff login failures: %w", err)
	}
	return n, nil
}

// ClearStaffLoginFailures lifts a member's lockout.
func ClearStaffLoginFailures(ctx context.Context, idb bun.IDB, email string) error {
	if _, err := idb.NewDelete().Model((*StaffLoginFailure)(nil)).Where("email = ?", email).Exec(ctx); err != nil {
		return fmt.Errorf("db: clear staff login failures: %w", err)
	}
	return nil
}

// DeleteOldStaffLoginFailures removes the failures at or before before,
// which no lockout counts any more.
func DeleteOldStaffLoginFailures(ctx context.Context, idb bun.IDB, before time.Time) error {
	if _, err := idb.NewDelete().Model((*StaffLoginFailure)(nil)).Where("at <= ?", Stamp(before)).Exec(ctx); err != nil {
		return fmt.Errorf("db: delete old staff login failures: %w", err)
	}
	return nil
}

// StaffLoginPausedUntil is when the console login pause of email ends, or
// nil, by the rule of LoginPausedUntil.
func StaffLoginPausedUntil(ctx context.Context, idb bun.IDB, email string, now time.Time, threshold int, window time.Duration) (*time.Time, error) {
	var ats []time.Time
	if err := idb.NewSelect().Model((*StaffLoginFailure)(nil)).Column("at").Where("email = ?", email).
		Where("at > ?", Stamp(now.Add(-window))).OrderExpr("at, id").Scan(ctx, &ats); err != nil {
		return nil, fmt.Errorf("db: staff login pause: %w", err)
	}
	return pauseEnd(ats, threshold, window), nil
}
