package db

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
	"golang.org/x/crypto/argon2"
)

// StaffRole is what a staff member may do in the console.
type StaffRole string

// Staff roles.
const (
	RoleSupport StaffRole = "support" // find accounts, send links, lift pauses, requeue mail
	RoleAdmin   StaffRole = "admin"   // and change addresses, disable and enable accounts
)

// StaffRoles lists every role.
var StaffRoles = []StaffRole{RoleSupport, RoleAdmin}

// SessionStage is how far a console login has come.
type SessionStage string

// Session stages.
const (
	StagePending SessionStage = "pending" // password checked; the second factor (or enrolment) is due
	StageFull    SessionStage = "full"    // signed in
)

// Audit event kinds of the console; StaffID names who acted.
const (
	AuditStaffCreated        AuditKind = "staff_created"
	AuditStaffLoginSucceeded AuditKind = "staff_login_succeeded"
	AuditStaffLoginFailed    AuditKind = "staff_login_failed"  // wrong email or password
	AuditStaffCodeFailed     AuditKind = "staff_code_failed"   // wrong TOTP or recovery code
	AuditStaffLoginLocked    AuditKind = "staff_login_locked"  // too many failures for the email
	AuditStaffEnrolled       AuditKind = "staff_enrolled"      // TOTP confirmed; recovery codes issued
	AuditStaffRecoveryUsed   AuditKind = "staff_recovery_used" // a recovery code stood in for TOTP
	AuditStaffLogout         AuditKind = "staff_logout"
	AuditStaffRateLimited    AuditKind = "staff_login_rate_limited" // refused by the per-IP limit
)

// Staff is a member of the support desk.
type Staff struct {
	bun.BaseModel `bun:"table:staff"`

	ID           int64      `bun:"id,pk,autoincrement"`
	Email        string     `bun:"email"`
	Role         StaffRole  `bun:"role"`
	PasswordHash string     `bun:"password_hash"`
	TOTPSealed   []byte     `bun:"totp_sealed"`    // the TOTP secret, sealed under "staff-totp:<id>"
	TOTPLastStep int64      `bun:"totp_last_step"` // the last time step accepted, so a code is used once
	EnrolledAt   *time.Time `bun:"enrolled_at"`
	DisabledAt   *time.Time `bun:"disabled_at"`
	CreatedAt    time.Time  `bun:"created_at"`
}

// StaffSession is a console browser, stored by the hash of its cookie.
type StaffSession struct {
	bun.BaseModel `bun:"table:staff_sessions"`

	IDHash    []byte       `bun:"id_hash,pk"`
	StaffID   int64        `bun:"staff_id"`
	Stage     SessionStage `bun:"stage"`
	CreatedAt time.Time    `bun:"created_at"`
	ExpiresAt time.Time    `bun:"expires_at"`
	IP        string       `bun:"ip"`
	UserAgent string       `bun:"user_agent"`
}

// StaffRecoveryCode is one single-use recovery code, by its hash
// (RecoveryCodeHash under Salt).
type StaffRecoveryCode struct {
	bun.BaseModel `bun:"table:staff_recovery_codes"`

	ID       int64      `bun:"id,pk,autoincrement"`
	StaffID  int64      `bun:"staff_id"`
	CodeHash []byte     `bun:"code_hash"`
	Salt     []byte     `bun:"salt"` // one per set of codes; nil until WrapRecoveryCodes has wrapped an old row
	UsedAt   *time.Time `bun:"used_at"`
}

// Parameters of RecoveryCodeHash: OWASP's for argon2id, as the passwords'.
const (
	recoveryArgonTime    = 2
	recoveryArgonMemory  = 19 * 1024 // KiB
	recoveryArgonThreads = 1
	recoveryArgonKeyLen  = 32
	RecoverySaltLen      = 16
)

// RecoveryCodeHash is what the database keeps of a recovery code: argon2id
// of digest, the SHA-256 of the normalised code, under salt.
//
// A slow salted hash rather than an HMAC: an HMAC key derived from
// SECRET_KEY would stop matching the codes a member holds once the key is
// rotated out of SECRET_KEYS_OLD, and codes are kept for years, unused; a
// key that never rotates would sit in the same configuration anyway.
// argon2id needs no key, so it survives any rotation, and a database copy
// holds only salt and hash: the codes' 50 bits cost 2^50 argon2id
// evaluations of 19 MiB per member. Hashing the SHA-256 of the code, not
// the code, lets the old unsalted SHA-256 rows be wrapped in place.
func RecoveryCodeHash(digest, salt []byte) []byte {
	return argon2.IDKey(digest, salt, recoveryArgonTime, recoveryArgonMemory, recoveryArgonThreads, recoveryArgonKeyLen)
}

// RecoveryCodeMemory is the argon2 memory (KiB) of one RecoveryCodeHash,
// for a caller that bounds the memory of hashes in flight.
const RecoveryCodeMemory = recoveryArgonMemory

// ErrStaffExists is a staff email already taken.
var ErrStaffExists = errors.New("db: a staff member with this email exists")

// CreateStaff adds s; its email must already be normalised.
func CreateStaff(ctx context.Context, idb bun.IDB, s *Staff, now time.Time) error {
	s.CreatedAt = Stamp(now)
	n, err := idb.NewSelect().Model((*Staff)(nil)).Where("email = ?", s.Email).Count(ctx)
	if err != nil {
		return fmt.Errorf("db: create staff: %w", err)
	}
	if n > 0 {
		return ErrStaffExists
	}
	if _, err := idb.NewInsert().Model(s).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("db: create staff: %w", err)
	}
	return nil
}

// FindStaffByEmail returns the staff member with the normalised email, or nil.
func FindStaffByEmail(ctx context.Context, idb bun.IDB, email string) (*Staff, error) {
	return findStaff(ctx, idb, "email = ?", email)
}

// FindStaff returns the staff member with id, or nil.
func FindStaff(ctx context.Context, idb bun.IDB, id int64) (*Staff, error) {
	return findStaff(ctx, idb, "id = ?", id)
}

func findStaff(ctx context.Context, idb bun.IDB, where string, arg any) (*Staff, error) {
	var s Staff
	err := idb.NewSelect().Model(&s).Where(where, arg).Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("db: find staff: %w", err)
	}
	return &s, nil
}

// SetStaffTOTP stores a sealed TOTP secret awaiting confirmation; it fails
// quietly (false) once the member is enrolled.
func SetStaffTOTP(ctx context.Context, idb bun.IDB, id int64, sealed []byte) (bool, error) {
	res, err := idb.NewUpdate().Model((*Staff)(nil)).Set("totp_sealed = ?", sealed).
		Where("id = ?", id).Where("enrolled_at IS NULL").Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("db: set staff totp: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// UseStaffTOTPStep records step as used, only when it is later than the
// last one: two submissions of one code cannot both pass. enrol also marks
// the member enrolled.
func UseStaffTOTPStep(ctx context.Context, idb bun.IDB, id, step int64, enrol bool, now time.Time) (bool, error) {
	q := idb.NewUpdate().Model((*Staff)(nil)).Set("totp_last_step = ?", step).
		Where("id = ?", id).Where("totp_last_step < ?", step)
	if enrol {
		q = q.Set("enrolled_at = ?", Stamp(now)).Where("enrolled_at IS NULL")
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("db: use totp step: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ReplaceRecoveryCodes stores the hashes of a new set of codes, all under
// salt, in place of any earlier ones.
func ReplaceRecoveryCodes(ctx context.Context, idb bun.IDB, staffID int64, salt []byte, hashes [][]byte) error {
	if _, err := idb.NewDelete().Model((*StaffRecoveryCode)(nil)).Where("staff_id = ?", staffID).Exec(ctx); err != nil {
		return fmt.Errorf("db: replace recovery codes: %w", err)
	}
	codes := make([]StaffRecoveryCode, len(hashes))
	for i, h := range hashes {
		codes[i] = StaffRecoveryCode{StaffID: staffID, CodeHash: h, Salt: salt}
	}
	if len(codes) == 0 {
		return nil
	}
	if _, err := idb.NewInsert().Model(&codes).Exec(ctx); err != nil {
		return fmt.Errorf("db: replace recovery codes: %w", err)
	}
	return nil
}

// RecoverySalts lists the salts of a member's unused recovery codes: one,
// unless two instances wrapped old rows at once.
func RecoverySalts(ctx context.Context, idb bun.IDB, staffID int64) ([][]byte, error) {
	var salts [][]byte
	if err := idb.NewSelect().Model((*StaffRecoveryCode)(nil)).ColumnExpr("DISTINCT salt").
		Where("staff_id = ?", staffID).Where("used_at IS NULL").Where("salt IS NOT NULL").
		Scan(ctx, &salts); err != nil {
		return nil, fmt.Errorf("db: recovery salts: %w", err)
	}
	return salts, nil
}

// UseRecoveryCode marks the member's unused code with one of hashes (the
// code typed, under each salt) as used, in one statement, and reports
// whether there was one.
func UseRecoveryCode(ctx context.Context, idb bun.IDB, staffID int64, hashes [][]byte, now time.Time) (bool, error) {
	if len(hashes) == 0 {
		return false, nil
	}
	res, err := idb.NewUpdate().Model((*StaffRecoveryCode)(nil)).Set("used_at = ?", Stamp(now)).
		Where("staff_id = ?", staffID).Where("code_hash IN (?)", bun.List(hashes)).Where("used_at IS NULL").Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("db: use recovery code: %w", err)
	}
	n, _ := res.RowsAffected()
	return n >= 1, nil
}

// WrapRecoveryCodes turns the recovery codes stored before salts (the
// SHA-256 of the code) into RecoveryCodeHash of that SHA-256 under a new
// salt per member, so the codes members hold keep working and a database
// copy no longer gives them away. It finds nothing to do once done.
func WrapRecoveryCodes(ctx context.Context, idb bun.IDB) (int, error) {
	var rows []StaffRecoveryCode
	if err := idb.NewSelect().Model(&rows).Where("salt IS NULL").OrderExpr("staff_id, id").Scan(ctx); err != nil {
		return 0, fmt.Errorf("db: wrap recovery codes: %w", err)
	}
	salts := map[int64][]byte{}
	for _, r := range rows {
		salt, ok := salts[r.StaffID]
		if !ok {
			salt = make([]byte, RecoverySaltLen)
			_, _ = rand.Read(salt)
			salts[r.StaffID] = salt
		}
		// salt IS NULL again: another instance starting at the same time
		// may have wrapped the row already.
		if _, err := idb.NewUpdate().Model((*StaffRecoveryCode)(nil)).
			Set("code_hash = ?", RecoveryCodeHash(r.CodeHash, salt)).Set("salt = ?", salt).
			Where("id = ?", r.ID).Where("salt IS NULL").Exec(ctx); err != nil {
			return 0, fmt.Errorf("db: wrap recovery codes: %w", err)
		}
	}
	return len(rows), nil
}

// CreateStaffSession stores s, expiring idle after now.
func CreateStaffSession(ctx context.Context, idb bun.IDB, s *StaffSession, now time.Time, idle time.Duration) error {
	s.CreatedAt, s.ExpiresAt = Stamp(now), Stamp(now.Add(idle))
	if _, err := idb.NewInsert().Model(s).Exec(ctx); err != nil {
		return fmt.Errorf("db: create staff session: %w", err)
	}
	return nil
}

// FindStaffSession returns the unexpired session with idHash and its staff
// member, or nils.
func FindStaffSession(ctx context.Context, idb bun.IDB, idHash []byte, now time.Time) (*StaffSession, *Staff, error) {
	var s StaffSession
	err := idb.NewSelect().Model(&s).Where("id_hash = ?", idHash).Where("expires_at > ?", Stamp(now)).Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("db: find staff session: %w", err)
	}
	member, err := FindStaff(ctx, idb, s.StaffID)
	if err != nil || member == nil {
		return nil, nil, err
	}
	return &s, member, nil
}

// TouchStaffSession moves an idle session's expiry to now + idle.
func TouchStaffSession(ctx context.Context, idb bun.IDB, idHash []byte, now time.Time, idle time.Duration) error {
	if _, err := idb.NewUpdate().Model((*StaffSession)(nil)).Set("expires_at = ?", Stamp(now.Add(idle))).
		Where("id_hash = ?", idHash).Exec(ctx); err != nil {
		return fmt.Errorf("db: touch staff session: %w", err)
	}
	return nil
}

// DeleteStaffSession ends one session.
func DeleteStaffSession(ctx context.Context, idb bun.IDB, idHash []byte) error {
	if _, err := idb.NewDelete().Model((*StaffSession)(nil)).Where("id_hash = ?", idHash).Exec(ctx); err != nil {
		return fmt.Errorf("db: delete staff session: %w", err)
	}
	return nil
}

// DeleteExpiredStaffSessions removes the sessions that have expired.
func DeleteExpiredStaffSessions(ctx context.Context, idb bun.IDB, now time.Time) error {
	if _, err := idb.NewDelete().Model((*StaffSession)(nil)).Where("expires_at <= ?", Stamp(now)).Exec(ctx); err != nil {
		return fmt.Errorf("db: delete expired staff sessions: %w", err)
	}
	return nil
}
