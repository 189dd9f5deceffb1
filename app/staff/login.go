package staff

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"aikagi/app/account"
	"aikagi/app/limit"
	"aikagi/app/secret"
	"aikagi/db"
)

// Outcome is what a step of a console login came to.
type Outcome string

// Outcomes of a login step.
const (
	Passed  Outcome = "passed"  // this step is done
	Failed  Outcome = "failed"  // wrong email, password or code; one answer for all
	Locked  Outcome = "locked"  // too many failures for this email: paused
	Limited Outcome = "limited" // too many attempts from this client
)

// Attempt is the result of a login step: its outcome and, when it passed,
// the cookie value of the session it opened (pending after the password,
// full after the second factor).
type Attempt struct {
	Outcome   Outcome
	SessionID string
	Staff     *db.Staff
}

// CheckPassword is a login's first step. A member who passes gets a
// pending session, good for the second factor (or enrolment) only. Unknown
// emails and disabled members take the same work and get the same answer
// as a wrong password.
func (s *Service) CheckPassword(ctx context.Context, email, password string, c db.Actor) (Attempt, error) {
	email = NormalizeEmail(email)
	audit := &db.AuditEvent{IP: c.IP, UserAgent: c.UserAgent, Detail: "staff " + email}
	member, err := db.FindStaffByEmail(ctx, s.db, email)
	if err != nil {
		return Attempt{}, err
	}
	hash := account.DummyHash()
	if member != nil {
		audit.StaffID = &member.ID
	}
	// An invited member has no password until they open their link: the
	// dummy hash, which nothing matches, takes the same work.
	if member != nil && member.PasswordHash != "" {
		hash = member.PasswordHash
	}
	if out, err := s.admit(ctx, email, c, audit); out != "" || err != nil {
		return Attempt{Outcome: out}, err
	}
	ok, _, err := s.hasher.Verify(ctx, hash, password)
	if err != nil {
		return Attempt{}, fmt.Errorf("staff login: %w", err)
	}
	if !ok || member == nil || member.PasswordHash == "" || member.DisabledAt != nil {
		audit.Kind = db.AuditStaffLoginFailed
		return Attempt{Outcome: Failed}, db.RecordAudit(ctx, s.db, audit, s.now())
	}
	// Each login clears the expired sessions too, besides the retention
	// sweeper: the table stays small between sweeps.
	if err := db.DeleteExpiredStaffSessions(ctx, s.db, s.now()); err != nil {
		return Attempt{}, err
	}
	id, hashed := secret.NewToken()
	sess := &db.StaffSession{IDHash: hashed, StaffID: member.ID, Stage: db.StagePending, IP: c.IP, UserAgent: c.UserAgent}
	if err := db.CreateStaffSession(ctx, s.db, sess, s.now(), PendingTimeout); err != nil {
		return Attempt{}, err
	}
	return Attempt{Outcome: Passed, SessionID: id, Staff: member}, nil
}

// admit counts an attempt against the client's limit and the email's
// lockout before anything is checked, so that concurrent guesses cannot
// slip under either; a full login clears the email's count. It returns a
// refusal, or "" to go on.
func (s *Service) admit(ctx context.Context, email string, c db.Actor, audit *db.AuditEvent) (Outcome, error) {
	now := s.now()
	if s.limits != nil {
		ok, err := s.limits.Hit(ctx, s.db, s.cfg.Limits.LoginsPerIP, "staff-login:ip:"+limit.ClientKey(c.IP))
		if err != nil {
			return "", err
		}
		if !ok {
			audit.Kind = db.AuditStaffRateLimited
			return Limited, db.RecordAuditAggregated(ctx, s.db, audit, "staff-login:"+c.IP+":"+now.UTC().Format("2006-01-02T15"), now)
		}
	}
	// Failures count in their own table: nothing typed into the merchants'
	// login can pause a member.
	attempt, err := db.RecordStaffLoginFailure(ctx, s.db, email, c.IP, now)
	if err != nil {
		return "", err
	}
	failures, err := db.CountStaffLoginFailures(ctx, s.db, email, now.Add(-s.cfg.LockoutWindow))
	if err != nil {
		return "", err
	}
	if failures > s.cfg.LockoutThreshold {
		if err := db.DeleteStaffLoginFailure(ctx, s.db, attempt); err != nil {
			return "", err
		}
		audit.Kind = db.AuditStaffLoginLocked
		return Locked, db.RecordAudit(ctx, s.db, audit, now)
	}
	return "", nil
}

// CheckCode is a login's second step for an enrolled member with a
// pending session: a TOTP code of the authenticator app, or one of the
// recovery codes. It replaces the pending session by a full one.
func (s *Service) CheckCode(ctx context.Context, pending *db.StaffSession, member *db.Staff, code string, c db.Actor) (Attempt, error) {
	audit := &db.AuditEvent{IP: c.IP, UserAgent: c.UserAgent, StaffID: &member.ID, Detail: "staff " + member.Email}
	if out, err := s.admit(ctx, member.Email, c, audit); out != "" || err != nil {
		return Attempt{Outcome: out}, err
	}
	if member.EnrolledAt == nil || member.DisabledAt != nil {
		audit.Kind = db.AuditStaffCodeFailed
		return Attempt{Outcome: Failed}, db.RecordAudit(ctx, s.db, audit, s.now())
	}
	// A recovery code's hash is slow: it is computed before the
	// transaction, which holds no lock meanwhile.
	typed, err := s.readCode(ctx, member, code)
	if err != nil {
		return Attempt{}, err
	}
	var id string
	err = s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		ok, recovery, err := s.useCode(ctx, tx, member, typed)
		if err != nil || !ok {
			return err
		}
		if recovery {
			used := *audit
			used.Kind = db.AuditStaffRecoveryUsed
			if err := db.RecordAudit(ctx, tx, &used, s.now()); err != nil {
				return err
			}
		}
		id, err = s.promote(ctx, tx, pending, member, c)
		if err != nil {
			return err
		}
		audit.Kind = db.AuditStaffLoginSucceeded
		return db.RecordAudit(ctx, tx, audit, s.now())
	})
	if err != nil {
		return Attempt{}, err
	}
	if id == "" {
		audit.Kind = db.AuditStaffCodeFailed
		return Attempt{Outcome: Failed}, db.RecordAudit(ctx, s.db, audit, s.now())
	}
	return Attempt{Outcome: Passed, SessionID: id, Staff: member}, nil
}

// typedCode is what a code typed at the second step may be: the TOTP code
// of a time step, or a recovery code, by its hash under each salt of the
// member's unused codes.
type typedCode struct {
	totp     bool
	step     int64
	recovery [][]byte
}

// readCode reads a typed code against the member's TOTP secret and, when
// it is not a TOTP code, hashes it as a recovery code.
func (s *Service) readCode(ctx context.Context, member *db.Staff, code string) (typedCode, error) {
	step, valid, err := s.validTOTP(member, code)
	if err != nil || valid {
		return typedCode{totp: valid, step: step}, err
	}
	if len(normalizeRecoveryCode(code)) != recoveryCodeLen {
		return typedCode{}, nil
	}
	salts, err := db.RecoverySalts(ctx, s.db, member.ID)
	if err != nil {
		return typedCode{}, err
	}
	hashes := make([][]byte, len(salts))
	for i, salt := range salts {
		if hashes[i], err = s.hashRecoveryCode(ctx, code, salt); err != nil {
			return typedCode{}, err
		}
	}
	return typedCode{recovery: hashes}, nil
}

// useCode spends a TOTP code's step once, or an unused recovery code.
func (s *Service) useCode(ctx context.Context, tx bun.IDB, member *db.Staff, typed typedCode) (ok, recovery bool, err error) {
	if typed.totp {
		ok, err := db.UseStaffTOTPStep(ctx, tx, member.ID, typed.step, false, s.now())
		return ok, false, err
	}
	ok, err = db.UseRecoveryCode(ctx, tx, member.ID, typed.recovery, s.now())
	return ok, ok, err
}

// promote ends the pending session and opens a full one under a new id,
// so a cookie seen before the second factor is worth nothing after it;
// it clears the email's failures.
func (s *Service) promote(ctx context.Context, tx bun.IDB, pending *db.StaffSession, member *db.Staff, c db.Actor) (string, error) {
	if err := db.DeleteStaffSession(ctx, tx, pending.IDHash); err != nil {
		return "", err
	}
	id, hashed := secret.NewToken()
	full := &db.StaffSession{IDHash: hashed, StaffID: member.ID, Stage: db.StageFull, IP: c.IP, UserAgent: c.UserAgent}
	if err := db.CreateStaffSession(ctx, tx, full, s.now(), IdleTimeout); err != nil {
		return "", err
	}
	return id, db.ClearStaffLoginFailures(ctx, tx, member.Email)
}

// Session returns the live session of a cookie value and its member, or
// nils; a full session's idle expiry moves forward. Sessions of disabled
// members, and those older than MaxSession, are over.
func (s *Service) Session(ctx context.Context, cookie string) (*db.StaffSession, *db.Staff, error) {
	if cookie == "" {
		return nil, nil, nil
	}
	now := s.now()
	sess, member, err := db.FindStaffSession(ctx, s.db, secret.HashToken(cookie), now)
	if err != nil || sess == nil {
		return nil, nil, err
	}
	if member.DisabledAt != nil || now.Sub(sess.CreatedAt) > MaxSession {
		return nil, nil, db.DeleteStaffSession(ctx, s.db, sess.IDHash)
	}
	if sess.Stage == db.StageFull {
		if err := db.TouchStaffSession(ctx, s.db, sess.IDHash, now, IdleTimeout); err != nil {
			return nil, nil, err
		}
	}
	return sess, member, nil
}

// Logout ends the session and audits it.
func (s *Service) Logout(ctx context.Context, sess *db.StaffSession, member *db.Staff, c db.Actor) error {
	if err := db.DeleteStaffSession(ctx, s.db, sess.IDHash); err != nil {
		return err
	}
	return db.RecordAudit(ctx, s.db, &db.AuditEvent{Kind: db.AuditStaffLogout, StaffID: &member.ID, IP: c.IP, UserAgent: c.UserAgent,
		Detail: "staff " + member.Email}, s.now())
}
