// Package staff holds the members of the support desk: creating them,
// their password and TOTP logins with lockout, enrolment and recovery
// codes, and their console sessions. It knows nothing of the web.
package staff

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"aikagi/app/account"
	"aikagi/app/config"
	"aikagi/app/limit"
	"aikagi/app/problem"
	"aikagi/app/secret"
	"aikagi/db"
)

// Timeouts of console sessions.
const (
	IdleTimeout    = 30 * time.Minute // a signed-in session ends after this long without a request
	PendingTimeout = 10 * time.Minute // between the password and the second factor
	MaxSession     = 12 * time.Hour   // however active, a session ends after this long
)

// Service creates staff members and signs them in.
type Service struct {
	db     *bun.DB
	log    *slog.Logger
	now    func() time.Time
	hasher *account.Hasher
	sealer *secret.Sealer
	limits *limit.Limiter
	cfg    config.Config
}

// Deps are what a Service needs.
type Deps struct {
	DB     *bun.DB
	Log    *slog.Logger
	Now    func() time.Time
	Hasher *account.Hasher
	Sealer *secret.Sealer
	Limits *limit.Limiter // nil: no per-IP limit (the CLI)
	Config config.Config
}

// New returns a Service.
func New(d Deps) *Service {
	return &Service{db: d.DB, log: d.Log, now: d.Now, hasher: d.Hasher, sealer: d.Sealer, limits: d.Limits, cfg: d.Config}
}

// NormalizeEmail is the form a staff email is stored and looked up in:
// NFKC, trimmed, lower-cased.
func NormalizeEmail(s string) string { return strings.ToLower(account.NormalizeEmail(s)) }

// ParseRole reads a role's name.
func ParseRole(s string) (db.StaffRole, bool) {
	for _, r := range db.StaffRoles {
		if string(r) == s {
			return r, true
		}
	}
	return "", false
}

// ErrBadEmail is an address that cannot be a staff member's.
var ErrBadEmail = errors.New("staff: not an e-mail address")

// PolicyError is a password the policy refuses.
type PolicyError struct{ Problem problem.Problem }

func (e *PolicyError) Error() string { return "staff: password refused: " + string(e.Problem) }

// Create adds a staff member with password, under the merchants' password
// policy, and audits it; by names who did it (the CLI's user agent).
func (s *Service) Create(ctx context.Context, email string, role db.StaffRole, password, by string) (*db.Staff, error) {
	email = NormalizeEmail(email)
	if addr, err := mail.ParseAddress(email); err != nil || addr.Address != email || addr.Name != "" {
		return nil, ErrBadEmail
	}
	if _, ok := ParseRole(string(role)); !ok {
		return nil, fmt.Errorf("staff: unknown role %q (use support or admin)", role)
	}
	if probs := account.CheckNewPassword(password, password, s.cfg.PasswordMinLength, &db.Account{Email: email}); len(probs) > 0 {
		return nil, &PolicyError{Problem: probs["password"]}
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return nil, err
	}
	member := &db.Staff{Email: email, Role: role, PasswordHash: hash}
	err = s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := db.CreateStaff(ctx, tx, member, s.now()); err != nil {
			return err
		}
		return db.RecordAudit(ctx, tx, &db.AuditEvent{Kind: db.AuditStaffCreated, StaffID: &member.ID, UserAgent: by,
			Detail: fmt.Sprintf("staff %s, role %s", email, role)}, s.now())
	})
	if err != nil {
		return nil, err
	}
	return member, nil
}
