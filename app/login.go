package app

import (
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"aikagi/app/account"
	"aikagi/app/limit"
	"aikagi/app/problem"
	"aikagi/app/route"
	"aikagi/app/secret"
	"aikagi/db"
	"aikagi/views"
)

const sessionCookie = "aikagi_session"

// padFailure holds a failed login until LOGIN_FAILURE_MIN_DURATION has
// passed since it began (padTo). TestFailedLoginFloor replaces it to see
// the floor applied without waiting for it.
var padFailure = padTo

// showLogin is the admin site's login page. The done page's link fills in
// the login ID (?login_id=…), normalised and checked as step 1 does; one
// that no account could have is ignored rather than shown.
func (a *App) showLogin(c *fiber.Ctx) error {
	t := views.T(a.lang(c))
	view := views.LoginForm{T: t}
	if id := account.NormalizeLoginID(c.Query("login_id")); account.ValidateLoginID(id) == "" {
		view.LoginID = id
	}
	return a.render(c, fiber.StatusOK, t.LoginTitle, views.LoginFormView(view))
}

// login checks the ID and password (account.Logins) and opens a session.
// Failures are padded to LOGIN_FAILURE_MIN_DURATION: an imported bcrypt
// hash takes longer to check than the dummy argon2id one, and the floor
// keeps that from telling which IDs exist. Successes need none: they
// reveal nothing new.
func (a *App) login(c *fiber.Ctx) error {
	form, err := parseForm(c, "login_id", "password")
	if err != nil {
		return err
	}
	ctx, start := c.UserContext(), time.Now()
	t := views.T(a.lang(c))
	loginID := account.NormalizeLoginID(form["login_id"])
	view := views.LoginForm{T: t, LoginID: loginID}
	who := a.client(c)
	if ok, err := a.limits.PerClient(ctx, limit.LoginsPerIP, who.IP); err != nil {
		return err
	} else if !ok {
		return a.limited(ctx, who, limit.LoginsPerIP)
	}
	if account.ValidateLoginID(loginID) != "" {
		return a.refuseInvalidLoginID(c, view, start)
	}
	login, err := a.logins.Attempt(ctx, loginID, form["password"], who.IP, who.UserAgent)
	if err != nil {
		return err
	}
	switch login.Outcome {
	case account.LoginSucceeded:
		a.setSessionCookie(c, login.SessionID, a.now().Add(a.cfg.SessionTTL))
		return c.Redirect(t.Href(route.Home), fiber.StatusSeeOther)
	case account.LoginLocked:
		view.Problem, view.Wait = problem.LoginLocked, a.cfg.LockoutWindow
		return a.render(c, fiber.StatusTooManyRequests, t.LoginTitle, views.LoginFormView(view))
	case account.LoginFailed:
		padFailure(ctx, start, a.cfg.LoginFailureFloor)
		view.Problem = problem.LoginFailed
		return a.render(c, fiber.StatusUnauthorized, t.LoginTitle, views.LoginFormView(view))
	}
	return fmt.Errorf("login: unknown outcome %q", login.Outcome)
}

// refuseInvalidLoginID answers a login ID that no account can have (too
// long, spaces, control characters such as ESC, CR or LF) with the page of
// any failed login, before anything records it: such input must not reach
// the audit trail or the failure counts raw, and need not, since no
// account can be guessed or locked with it. The typed value is not shown
// again.
func (a *App) refuseInvalidLoginID(c *fiber.Ctx, view views.LoginForm, start time.Time) error {
	padFailure(c.UserContext(), start, a.cfg.LoginFailureFloor)
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
