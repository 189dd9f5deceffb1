package app

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"aikagi/db"
	"aikagi/views"
)

const resetCookie = "aikagi_reset"

// showNewPasswordForm is step 5. Opened from the mail (?token=…), it checks
// the link without using it up (mail scanners open links too), moves the
// token into a cookie (Path=/, as the __Host- prefix requires) and
// redirects to the bare URL, so the token leaves the address bar and the
// history. Then it shows the form.
func (a *App) showNewPasswordForm(c *fiber.Ctx) error {
	t := views.T(a.lang(c))
	if token := c.Query("token"); token != "" {
		tok, _, err := a.checkResetLink(c, token)
		if err != nil {
			return err
		}
		c.Cookie(&fiber.Cookie{
			Name:     a.cfg.cookieName(resetCookie),
			Value:    token,
			Path:     "/",
			Expires:  tok.ExpiresAt,
			HTTPOnly: true,
			Secure:   a.cfg.HTTPS(),
			SameSite: fiber.CookieSameSiteLaxMode,
		})
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Redirect(t.Href(views.PathReset)+"&opened=1", fiber.StatusSeeOther)
	}
	token := c.Cookies(a.cfg.cookieName(resetCookie))
	if token == "" {
		if c.Query("opened") != "" {
			return problem(fiber.StatusBadRequest, views.LinkNeedsCookie, nil)
		}
		return problem(fiber.StatusNotFound, views.LinkInvalid, nil)
	}
	_, acct, err := a.checkResetLink(c, token)
	if err != nil {
		a.clearResetCookie(c)
		return err
	}
	return a.render(c, fiber.StatusOK, t.NewPasswordTitle, views.NewPasswordFormView(views.NewPasswordForm{
		T: t, LoginID: acct.LoginID, MinLength: a.cfg.PasswordMinLength,
	}))
}

// completeReset is step 6: check the new password, then in one transaction
// use the token (only one of concurrent submissions can), store the new
// hash, revoke the account's other links and sessions, lift a lockout,
// audit, and queue the "password changed" notice.
func (a *App) completeReset(c *fiber.Ctx) error {
	form, err := parseForm(c)
	if err != nil {
		return err
	}
	t := views.T(a.lang(c))
	token := c.Cookies(a.cfg.cookieName(resetCookie))
	if token == "" {
		return problem(fiber.StatusBadRequest, views.LinkNeedsCookie, nil)
	}
	_, acct, err := a.checkResetLink(c, token)
	if err != nil {
		a.clearResetCookie(c)
		return err
	}
	password, confirm := form["password"], form["password_confirm"]
	view := views.NewPasswordForm{T: t, LoginID: acct.LoginID, MinLength: a.cfg.PasswordMinLength}

	// The no-JavaScript show/hide button: show the form again, unchanged.
	if reveal, ok := form["reveal"]; ok {
		view.Reveal = reveal == "1"
		if view.Reveal {
			view.Password, view.Confirm = password, confirm
		}
		return a.render(c, fiber.StatusOK, t.NewPasswordTitle, views.NewPasswordFormView(view))
	}
	if problems := checkNewPassword(password, confirm, a.cfg.PasswordMinLength, acct); len(problems) > 0 {
		who := a.client(c)
		if err := db.RecordAudit(c.UserContext(), a.db, &db.AuditEvent{
			Kind: db.AuditPasswordRejected, AccountID: &acct.ID, LoginID: acct.LoginID, IP: who.IP, UserAgent: who.UserAgent,
			Detail: string(problems["password"]),
		}, a.now()); err != nil {
			return err
		}
		view.Errors = problems
		return a.render(c, fiber.StatusUnprocessableEntity, t.NewPasswordTitle, views.NewPasswordFormView(view))
	}

	hash, err := a.hashPassword(c.UserContext(), password)
	if err != nil {
		return fmt.Errorf("complete reset: %w", err)
	}
	used, err := a.changePassword(c.UserContext(), acct, token, hash, a.client(c))
	if err != nil {
		return err
	}
	if !used {
		// Another submission of the same link won the race, or it expired
		// meanwhile: say which.
		_, _, err := a.checkResetLink(c, token)
		a.clearResetCookie(c)
		if err == nil {
			err = problem(fiber.StatusGone, views.LinkUsed, nil)
		}
		return err
	}
	a.clearResetCookie(c)
	return a.render(c, fiber.StatusOK, t.DoneTitle, views.ResetDoneView(t))
}

// changePassword is the transaction of step 6. used is false when the token
// could not be consumed.
func (a *App) changePassword(ctx context.Context, acct *db.Account, token, hash string, who client) (used bool, err error) {
	now := a.now()
	err = a.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		accountID, ok, err := db.ConsumeResetToken(ctx, tx, hashSecret(token), now)
		if err != nil || !ok {
			return err
		}
		if accountID != acct.ID {
			return fmt.Errorf("complete reset: token belongs to account %d, not %d", accountID, acct.ID)
		}
		if err := db.SetPassword(ctx, tx, acct.ID, hash, now, true); err != nil {
			return err
		}
		if err := db.RevokeResetTokens(ctx, tx, acct.ID, now); err != nil {
			return err
		}
		if err := db.DeleteAccountSessions(ctx, tx, acct.ID); err != nil {
			return err
		}
		if err := db.ClearLoginFailures(ctx, tx, acct.LoginID); err != nil {
			return err
		}
		if err := db.RecordAudit(ctx, tx, &db.AuditEvent{
			Kind: db.AuditPasswordChanged, AccountID: &acct.ID, LoginID: acct.LoginID, IP: who.IP, UserAgent: who.UserAgent,
		}, now); err != nil {
			return err
		}
		lang, _ := views.ParseLang(acct.Locale)
		notice := views.PasswordChangedMail{
			Lang: lang, SiteName: a.cfg.SiteName, StoreName: acct.StoreName, At: now, IP: who.IP,
			ResetURL: a.cfg.URL(views.PathRequest, url.Values{"lang": {string(lang)}}),
			LoginURL: a.cfg.URL(views.PathLogin, url.Values{"lang": {string(lang)}}),
		}
		if err := a.enqueueRendered(ctx, tx, mailKindPasswordChanged, acct, notice.Subject(),
			views.PasswordChangedMailPlain(notice), views.PasswordChangedMailHTML(notice)); err != nil {
			return err
		}
		used = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("complete reset: %w", err)
	}
	if used {
		a.wakeOutbox()
	}
	return used, nil
}

// checkResetLink finds the account of a link that can still be used, or
// returns the page saying why it cannot (and audits the refusal).
func (a *App) checkResetLink(c *fiber.Ctx, token string) (*db.ResetToken, *db.Account, error) {
	ctx := c.UserContext()
	var tok *db.ResetToken
	if raw, err := base64.RawURLEncoding.DecodeString(token); err == nil && len(raw) == 32 {
		if tok, err = db.LookupResetToken(ctx, a.db, hashSecret(token)); err != nil {
			return nil, nil, err
		}
	}
	state := tok.State(a.now())
	if state == db.TokenValid {
		acct, err := db.GetAccount(ctx, a.db, tok.AccountID)
		if err != nil {
			return nil, nil, err
		}
		if acct != nil {
			return tok, acct, nil
		}
		state = db.TokenUnknown
	}
	who := a.client(c)
	status, prob := fiber.StatusNotFound, views.LinkInvalid
	switch state {
	case db.TokenUnknown:
		// Guessing produces unknown links; a real one always opens.
		if ok, err := a.hit(ctx, a.db, a.cfg.Limits.LinkGuessesPerIP, "link:ip:"+limitKey(who.IP)); err != nil {
			return nil, nil, err
		} else if !ok {
			return nil, nil, a.limited(ctx, who, "unknown links per IP", a.cfg.Limits.LinkGuessesPerIP)
		}
	case db.TokenExpired:
		status, prob = fiber.StatusGone, views.LinkExpired
	case db.TokenUsed:
		status, prob = fiber.StatusGone, views.LinkUsed
	case db.TokenRevoked:
		status, prob = fiber.StatusGone, views.LinkRevoked
	}
	event := &db.AuditEvent{Kind: db.AuditTokenRefused, Detail: string(prob)}
	if tok != nil {
		event.AccountID = &tok.AccountID
	}
	event.IP, event.UserAgent = who.IP, who.UserAgent
	if err := db.RecordAudit(ctx, a.db, event, a.now()); err != nil {
		return nil, nil, err
	}
	return nil, nil, problem(status, prob, nil)
}

func (a *App) clearResetCookie(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{
		Name: a.cfg.cookieName(resetCookie), Value: "", Path: "/", Expires: time.Unix(0, 0),
		HTTPOnly: true, Secure: a.cfg.HTTPS(), SameSite: fiber.CookieSameSiteLaxMode,
	})
}
