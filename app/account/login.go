package account

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"aikagi/app/config"
	"aikagi/app/secret"
	"aikagi/db"
)

// LoginOutcome is what a login attempt came to.
type LoginOutcome string

const (
	LoginSucceeded LoginOutcome = "succeeded" // a session was created
	LoginFailed    LoginOutcome = "failed"    // wrong ID or password, or a disabled account: one answer for all
	LoginLocked    LoginOutcome = "locked"    // too many failures for this ID: paused
)

// Login is the result of an attempt: its outcome and, on success, the new
// session's cookie value.
type Login struct {
	Outcome   LoginOutcome
	SessionID string
}

var errPasswordChangedMeanwhile = errors.New("login: the password changed while it was being checked")

// Logins checks login IDs and passwords, counts failures per login ID and
// opens sessions.
type Logins struct {
	db        *bun.DB
	hasher    *Hasher
	now       func() time.Time
	threshold int           // LOGIN_LOCKOUT_THRESHOLD
	window    time.Duration // LOGIN_LOCKOUT_WINDOW
	session   time.Duration // SESSION_TTL
}

// NewLogins returns Logins under cfg's lockout and session settings.
func NewLogins(bdb *bun.DB, hasher *Hasher, now func() time.Time, cfg config.Config) *Logins {
	return &Logins{db: bdb, hasher: hasher, now: now, threshold: cfg.LockoutThreshold, window: cfg.LockoutWindow, session: cfg.SessionTTL}
}

// Attempt checks password for loginID, a valid login ID (ValidateLoginID),
// from the client at ip with user agent ua. Unknown IDs are refused with
// the same outcome after the same work (a dummy hash), and failures are
// counted by the ID as typed (in any case: db.LoginKey), so neither the
// answer, its timing nor the lockout tells whether an ID exists. The ID
// matches its account without regard to case. Every attempt is audited.
func (l *Logins) Attempt(ctx context.Context, loginID, password, ip, ua string) (Login, error) {
	now := l.now()
	audit := &db.AuditEvent{LoginID: loginID, IP: ip, UserAgent: ua}
	// The attempt is recorded as a failure before the password is checked
	// and counted with it, so concurrent guesses cannot all slip under the
	// threshold; a success clears it again.
	attempt, err := db.RecordLoginFailure(ctx, l.db, loginID, ip, now)
	if err != nil {
		return Login{}, err
	}
	failures, err := db.CountLoginFailures(ctx, l.db, loginID, now.Add(-l.window))
	if err != nil {
		return Login{}, err
	}
	if failures > l.threshold {
		// A refused attempt does not extend the pause.
		if err := db.DeleteLoginFailure(ctx, l.db, attempt); err != nil {
			return Login{}, err
		}
		audit.Kind = db.AuditLoginLocked
		return Login{Outcome: LoginLocked}, db.RecordAudit(ctx, l.db, audit, now)
	}
	acct, err := db.FindAccountByLoginID(ctx, l.db, loginID)
	if err != nil {
		return Login{}, err
	}
	hash := DummyHash()
	if acct != nil {
		hash = acct.PasswordHash
		audit.AccountID = &acct.ID
	}
	ok, upgrade, err := l.hasher.Verify(ctx, hash, password)
	if err != nil {
		return Login{}, fmt.Errorf("login: %w", err)
	}
	// A disabled account is refused like a wrong password, after the same
	// work, so the answer does not tell that the account exists.
	if ok && acct != nil && acct.DisabledAt == nil {
		sessionID, err := l.open(ctx, acct, password, upgrade, audit, now)
		if err == nil {
			return Login{Outcome: LoginSucceeded, SessionID: sessionID}, nil
		}
		if !errors.Is(err, errPasswordChangedMeanwhile) {
			return Login{}, fmt.Errorf("login: %w", err)
		}
	}
	audit.Kind = db.AuditLoginFailed
	return Login{Outcome: LoginFailed}, db.RecordAudit(ctx, l.db, audit, now)
}

// open starts a session for acct, whose password was just checked, and
// replaces its hash by argon2id of the normalised password when upgrade.
func (l *Logins) open(ctx context.Context, acct *db.Account, password string, upgrade bool, audit *db.AuditEvent, now time.Time) (string, error) {
	var newHash string
	if upgrade {
		var err error
		if newHash, err = l.hasher.Hash(ctx, password); err != nil {
			return "", fmt.Errorf("rehash: %w", err)
		}
	}
	sessionID, sessionHash := secret.NewToken()
	return sessionID, l.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		// The password was checked outside this transaction. If a reset
		// changed it meanwhile, the login must not outlive the reset (nor
		// write the old password back as an upgrade); the row lock makes a
		// reset that starts now wait for this login, then end its session.
		current, err := db.LockAccount(ctx, tx, acct.ID)
		if err != nil {
			return err
		}
		if current == nil || current.PasswordHash != acct.PasswordHash {
			return errPasswordChangedMeanwhile
		}
		if newHash != "" {
			if err := db.SetPassword(ctx, tx, acct.ID, newHash, now, false); err != nil {
				return err
			}
			rehashed := *audit
			rehashed.Kind = db.AuditPasswordRehashed
			if err := db.RecordAudit(ctx, tx, &rehashed, now); err != nil {
				return err
			}
		}
		session := &db.Session{IDHash: sessionHash, AccountID: acct.ID, IP: audit.IP, UserAgent: audit.UserAgent}
		if err := db.CreateSession(ctx, tx, session, now, l.session); err != nil {
			return err
		}
		if err := db.ClearLoginFailures(ctx, tx, acct.LoginID); err != nil {
			return err
		}
		audit.Kind = db.AuditLoginSucceeded
		return db.RecordAudit(ctx, tx, audit, now)
	})
}
