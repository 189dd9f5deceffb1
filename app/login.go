package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"aikagi/app/account"
	"aikagi/app/limit"
	"aikagi/app/problem"
	"aikagi/app/route"
	"aikagi/app/secret"
	"aikagi/db"
	"aikagi/views"
)

const sessionCookie = "aikagi_session"

var errPasswordChangedMeanwhile = errors.New("login: the password changed while it was being checked")

// showLogin is the admin site's login page.
func (a *App) showLogin(c *fiber.Ctx) error {
	t := views.T(a.lang(c))
	return a.render(c, fiber.StatusOK, t.LoginTitle, views.LoginFormView(views.LoginForm{T: t}))
}

// login checks the ID and password. Unknown IDs are refused with the same
// message after the same work (a dummy hash), and failures are counted by
// the ID as typed, so neither the answer, its timing nor the lockout tells
// whether an ID exists.
func (a *App) login(c *fiber.Ctx) error {
	form, err := parseForm(c, "login_id", "password")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	t := views.T(a.lang(c))
	loginID, password := account.NormalizeLoginID(form["login_id"]), form["password"]
	who := a.client(c)
	now, start := a.now(), time.Now()
	view := views.LoginForm{T: t, LoginID: loginID}
	audit := &db.AuditEvent{LoginID: loginID, IP: who.IP, UserAgent: who.UserAgent}

	if ok, err := a.limits.PerClient(ctx, limit.LoginsPerIP, who.IP); err != nil {
		return err
	} else if !ok {
		return a.limited(ctx, who, limit.LoginsPerIP)
	}
	if account.ValidateLoginID(loginID) != "" {
		return a.refuseInvalidLoginID(c, view, start)
	}
	// The attempt is recorded as a failure before the password is checked
	// and counted with it, so concurrent guesses cannot all slip under the
	// threshold; a success clears it again.
	attempt, err := db.RecordLoginFailure(ctx, a.db, loginID, who.IP, now)
	if err != nil {
		return err
	}
	failures, err := db.CountLoginFailures(ctx, a.db, loginID, now.Add(-a.cfg.LockoutWindow))
	if err != nil {
		return err
	}
	if failures > a.cfg.LockoutThreshold {
		// A refused attempt does not extend the pause.
		if err := db.DeleteLoginFailure(ctx, a.db, attempt); err != nil {
			return err
		}
		audit.Kind = db.AuditLoginLocked
		if err := db.RecordAudit(ctx, a.db, audit, now); err != nil {
			return err
		}
		view.Problem = problem.LoginLocked
		return a.render(c, fiber.StatusTooManyRequests, t.LoginTitle, views.LoginFormView(view))
	}

	acct, err := db.FindAccountByLoginID(ctx, a.db, loginID)
	if err != nil {
		return err
	}
	hash := account.DummyHash()
	if acct != nil {
		hash = acct.PasswordHash
		audit.AccountID = &acct.ID
	}
	ok, upgrade, err := a.hasher.Verify(ctx, hash, password)
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	refuse := func() error {
		audit.Kind = db.AuditLoginFailed
		if err := db.RecordAudit(ctx, a.db, audit, now); err != nil {
			return err
		}
		// An imported bcrypt hash takes longer to check than the dummy
		// argon2id one; a floor on failures keeps that from telling which
		// IDs exist. Successes need none: they reveal nothing new.
		padTo(ctx, start, a.cfg.LoginFailureFloor)
		view.Problem = problem.LoginFailed
		return a.render(c, fiber.StatusUnauthorized, t.LoginTitle, views.LoginFormView(view))
	}
	// A disabled account is refused like a wrong password, after the same
	// work, so the answer does not tell that the account exists.
	if !ok || acct == nil || acct.DisabledAt != nil || account.ValidateLoginID(loginID) != "" {
		return refuse()
	}

	var newHash string
	if upgrade {
		if newHash, err = a.hasher.Hash(ctx, password); err != nil {
			return fmt.Errorf("login: rehash: %w", err)
		}
	}
	sessionID, sessionHash := secret.NewToken()
	err = a.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
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
		if err := db.CreateSession(ctx, tx, &db.Session{IDHash: sessionHash, AccountID: acct.ID, IP: who.IP, UserAgent: who.UserAgent}, now, a.cfg.SessionTTL); err != nil {
			return err
		}
		if err := db.ClearLoginFailures(ctx, tx, loginID); err != nil {
			return err
		}
		audit.Kind = db.AuditLoginSucceeded
		return db.RecordAudit(ctx, tx, audit, now)
	})
	if errors.Is(err, errPasswordChangedMeanwhile) {
		return refuse()
	}
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	a.setSessionCookie(c, sessionID, now.Add(a.cfg.SessionTTL))
	return c.Redirect(t.Href(route.Home), fiber.StatusSeeOther)
}

// refuseInvalidLoginID answers a login ID that no account can have (too
// long, spaces, control characters such as ESC, CR or LF) with the page of
// any failed login, before anything records it: such input must not reach
// the audit trail or the failure counts raw, and need not, since no
// account can be guessed or locked with it. The typed value is not shown
// again.
func (a *App) refuseInvalidLoginID(c *fiber.Ctx, view views.LoginForm, start time.Time) error {
	padTo(c.UserContext(), start, a.cfg.LoginFailureFloor)
	view.LoginID, view.Problem = "", problem.LoginFailed
	return a.render(c, fiber.StatusUnauthorized, view.T.LoginTitle, views.LoginFormView(view))
}

// home shows the store name of the logged-in account.
func (a *App) home(c *fiber.Ctx) error {
	t := views.T(a.lang(c))
	acct, err := a.sessionAccount(c)
	if err != nil {
		return err
	}
	if acct == nil {
		return c.Redirect(t.Href(route.Login), fiber.StatusSeeOther)
	}
	return a.render(c, fiber.StatusOK, t.HomeTitle, views.HomeView(t, acct.StoreName))
}

// logout ends the session.
func (a *App) logout(c *fiber.Ctx) error {
	t := views.T(a.lang(c))
	if id := c.Cookies(a.cfg.CookieName(sessionCookie)); id != "" {
		if acct, err := a.sessionAccount(c); err == nil && acct != nil {
			who := a.client(c)
			if err := db.RecordAudit(c.UserContext(), a.db, &db.AuditEvent{Kind: db.AuditLogout, AccountID: &acct.ID, LoginID: acct.LoginID, IP: who.IP, UserAgent: who.UserAgent}, a.now()); err != nil {
				return err
			}
		}
		if err := db.DeleteSession(c.UserContext(), a.db, secret.HashToken(id)); err != nil {
			return err
		}
	}
	a.setSessionCookie(c, "", time.Unix(0, 0))
	return c.Redirect(t.Href(route.Login), fiber.StatusSeeOther)
}

// sessionAccount is the account logged in with this request's cookie, or nil.
func (a *App) sessionAccount(c *fiber.Ctx) (*db.Account, error) {
	id := c.Cookies(a.cfg.CookieName(sessionCookie))
	if id == "" {
		return nil, nil
	}
	return db.FindSessionAccount(c.UserContext(), a.db, secret.HashToken(id), a.now())
}

func (a *App) setSessionCookie(c *fiber.Ctx, value string, expires time.Time) {
	c.Cookie(&fiber.Cookie{
		Name: a.cfg.CookieName(sessionCookie), Value: value, Path: "/", Expires: expires,
		HTTPOnly: true, Secure: a.cfg.HTTPS(), SameSite: fiber.CookieSameSiteLaxMode,
	})
}
