package app

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"aikagi/app/account"
	"aikagi/app/limit"
	"aikagi/app/problem"
	"aikagi/app/recovery"
	"aikagi/app/route"
	"aikagi/db"
	"aikagi/views"
)

// The reset cookies carry links from the mail to the form (Path=/, as the
// __Host- prefix requires).
const (
	resetCookie     = "aikagi_reset"      // the link the form changes the password of
	resetNextCookie = "aikagi_reset_next" // a link for another account, opened while one was held; used only when the merchant chooses it
)

// doneReceiptTTL is how long the done page's address shows it again (a
// reload, the back button) after the password was set; later it leads to
// the login page, so an old history entry claims nothing.
const doneReceiptTTL = time.Hour

// showNewPasswordForm is step 5. Opened from the mail (?token=…), it
// hands over to openResetLink. Otherwise it shows the form for the link the
// browser holds, naming its account, or asks which link to use when a
// second one for another account was opened meanwhile.
func (a *App) showNewPasswordForm(c *fiber.Ctx) error {
	if token := c.Query("token"); token != "" {
		return a.openResetLink(c, token)
	}
	t := views.T(a.lang(c))
	token := c.Cookies(a.cfg.CookieName(resetCookie))
	if token == "" {
		if c.Query("opened") != "" {
			return refuse(fiber.StatusBadRequest, problem.LinkNeedsCookie, nil)
		}
		return refuseLink(fiber.StatusNotFound, problem.LinkInvalid, "")
	}
	_, acct, err := a.checkResetLink(c, token)
	if err != nil {
		a.clearResetCookies(c)
		return err
	}
	next, nextAcct, err := a.waitingResetLink(c, acct)
	if err != nil {
		return err
	}
	if nextAcct != nil {
		return a.render(c, fiber.StatusOK, t.ChooseLinkTitle, views.ChooseResetLinkView(views.LinkChoiceView{
			T: t, Held: resetAccount(acct), Next: resetAccount(nextAcct), HeldMark: a.linkMark(token), NextMark: a.linkMark(next),
		}))
	}
	return a.render(c, fiber.StatusOK, t.NewPasswordTitle, views.NewPasswordFormView(a.newPasswordForm(t, acct, token)))
}

// openResetLink checks the link of the mail without using it up (mail
// scanners open links too), moves the token into a cookie and redirects to
// the bare URL, so the token leaves the address bar and the history. A
// browser that already holds a usable link for another account keeps it:
// the new link waits in its own cookie until the merchant chooses, since a
// cross-site navigation can open a stranger's link here.
func (a *App) openResetLink(c *fiber.Ctx, token string) error {
	t := views.T(a.lang(c))
	tok, acct, err := a.checkResetLink(c, token)
	if err != nil {
		return err
	}
	if err := db.MarkResetTokenOpened(c.UserContext(), a.db, tok.ID, a.now()); err != nil {
		return err
	}
	target := t.Href(route.Reset) + "&opened=1"
	if held := c.Cookies(a.cfg.CookieName(resetCookie)); held != "" && held != token {
		_, heldAcct, err := a.recovery.UsableLink(c.UserContext(), held)
		if err != nil {
			return err
		}
		if heldAcct != nil && heldAcct.ID != acct.ID {
			a.setResetCookie(c, resetNextCookie, token, tok.ExpiresAt)
			return redirectNoStore(c, target)
		}
	}
	a.setResetCookie(c, resetCookie, token, tok.ExpiresAt)
	a.clearResetCookie(c, resetNextCookie)
	return redirectNoStore(c, target)
}

// waitingResetLink returns the link waiting in resetNextCookie and its
// account when it can still be used and is for another account than held's;
// otherwise it drops the cookie and returns nil.
func (a *App) waitingResetLink(c *fiber.Ctx, held *db.Account) (string, *db.Account, error) {
	next := c.Cookies(a.cfg.CookieName(resetNextCookie))
	if next == "" {
		return "", nil, nil
	}
	_, acct, err := a.recovery.UsableLink(c.UserContext(), next)
	if err != nil {
		return "", nil, err
	}
	if acct == nil || acct.ID == held.ID {
		a.clearResetCookie(c, resetNextCookie)
		return "", nil, nil
	}
	return next, acct, nil
}

// chooseResetLink answers the page that asks which link to use. Only this
// POST, which the cross-site check guards, moves the waiting link into
// place. The marks say which links the page showed: when the browser holds
// others by now (another tab, another link opened), nothing changes and the
// current state is shown instead.
func (a *App) chooseResetLink(c *fiber.Ctx) error {
	form, err := parseForm(c, "choice", "held", "next")
	if err != nil {
		return err
	}
	t := views.T(a.lang(c))
	held := c.Cookies(a.cfg.CookieName(resetCookie))
	next := c.Cookies(a.cfg.CookieName(resetNextCookie))
	if held == "" {
		return refuse(fiber.StatusBadRequest, problem.LinkNeedsCookie, nil)
	}
	back := t.Href(route.Reset)
	if next == "" || form["held"] != a.linkMark(held) || form["next"] != a.linkMark(next) {
		return redirectNoStore(c, back)
	}
	switch views.LinkChoice(form["choice"]) {
	case views.KeepHeldLink:
		a.clearResetCookie(c, resetNextCookie)
	case views.SwitchToNextLink:
		tok, _, err := a.checkResetLink(c, next)
		a.clearResetCookie(c, resetNextCookie)
		if err != nil {
			return err
		}
		a.setResetCookie(c, resetCookie, next, tok.ExpiresAt)
	default:
		return refuse(fiber.StatusBadRequest, problem.BadForm, fmt.Errorf("choose link: unknown choice %q", form["choice"]))
	}
	return redirectNoStore(c, back)
}

// showResetDone is step 6's page, where completeReset redirects (POST,
// redirect, GET), so that a reload shows it again although the link and its
// cookie are gone. The signed receipt in its address says a reset happened
// recently, and for which login ID, which the page names and hands to the
// login page; without one it leads to the login page.
func (a *App) showResetDone(c *fiber.Ctx) error {
	t := views.T(a.lang(c))
	receipt, err := a.doneReceipts.verify(c.Query("receipt"), a.now())
	if err != nil {
		return redirectNoStore(c, t.Href(route.Login))
	}
	view := views.ResetDone{T: t}
	if receipt.LoginID != "" {
		acct, err := db.FindAccountByLoginID(c.UserContext(), a.db, receipt.LoginID)
		if err != nil {
			return err
		}
		if acct != nil {
			view.Account = resetAccount(acct)
		}
	}
	return a.render(c, fiber.StatusOK, t.DoneTitle, views.ResetDoneView(view))
}

// newPasswordForm is the empty form of step 5 for acct's link token.
func (a *App) newPasswordForm(t *views.Text, acct *db.Account, token string) views.NewPasswordForm {
	return views.NewPasswordForm{
		T: t, LoginID: acct.LoginID, StoreName: acct.StoreName, LinkMark: a.linkMark(token), MinLength: a.cfg.PasswordMinLength,
	}
}

// redirectNoStore answers 303 See Other; like every page of the link, the
// redirect is not kept in any cache.
func redirectNoStore(c *fiber.Ctx, target string) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Redirect(target, fiber.StatusSeeOther)
}

func resetAccount(acct *db.Account) views.ResetAccount {
	return views.ResetAccount{LoginID: acct.LoginID, StoreName: acct.StoreName}
}

// completeReset is step 6: check the new password, then change it
// (recovery.Service.ChangePassword).
func (a *App) completeReset(c *fiber.Ctx) error {
	form, err := parseForm(c)
	if err != nil {
		return err
	}
	t := views.T(a.lang(c))
	token := c.Cookies(a.cfg.CookieName(resetCookie))
	if token == "" {
		return refuse(fiber.StatusBadRequest, problem.LinkNeedsCookie, nil)
	}
	_, acct, err := a.checkResetLink(c, token)
	if err != nil {
		a.clearResetCookies(c)
		return err
	}
	if mark, ok := form["link"]; ok && mark != a.linkMark(token) {
		// The page was shown for a link this browser no longer holds
		// (another tab switched links): show the current one rather than
		// change its account's password unseen.
		return redirectNoStore(c, t.Href(route.Reset))
	}
	password, confirm := form["password"], form["password_confirm"]
	view := a.newPasswordForm(t, acct, token)
	// What was typed, and whether it was shown, survive both the
	// no-JavaScript show/hide button and a refusal: the page is never
	// cached or framed, and retyping two long passwords on a phone is
	// where merchants give up.
	view.Password, view.Confirm = password, confirm
	view.Reveal = form["revealed"] == "1"

	// The no-JavaScript show/hide button: show the form again, the
	// passwords as text or hidden.
	if reveal, ok := form["reveal"]; ok {
		view.Reveal = reveal == "1"
		return a.render(c, fiber.StatusOK, t.NewPasswordTitle, views.NewPasswordFormView(view))
	}
	if problems := account.CheckNewPassword(password, confirm, a.cfg.PasswordMinLength, acct); len(problems) > 0 {
		return a.refusePassword(c, view, acct, problems)
	}
	hash, err := a.hasher.Hash(c.UserContext(), password)
	if err != nil {
		return fmt.Errorf("complete reset: %w", err)
	}
	used, err := a.recovery.ChangePassword(c.UserContext(), acct, token, hash, a.client(c))
	if err != nil {
		return err
	}
	if !used {
		return a.refuseUsedLink(c, token)
	}
	a.clearResetCookies(c)
	receipt := a.doneReceipts.sign(requestState{LoginID: acct.LoginID, IssuedAt: a.now().Unix()})
	return redirectNoStore(c, t.Href(route.ResetDone)+"&receipt="+receipt)
}

// refusePassword shows the new-password form again with what is wrong with
// the password, and audits the refusal.
func (a *App) refusePassword(c *fiber.Ctx, view views.NewPasswordForm, acct *db.Account, problems map[string]problem.Problem) error {
	who := a.client(c)
	if err := db.RecordAudit(c.UserContext(), a.db, &db.AuditEvent{
		Kind: db.AuditPasswordRejected, AccountID: &acct.ID, LoginID: acct.LoginID, IP: who.IP, UserAgent: who.UserAgent,
		Detail: string(problems["password"]),
	}, a.now()); err != nil {
		return err
	}
	view.Errors = problems
	return a.render(c, fiber.StatusUnprocessableEntity, view.T.NewPasswordTitle, views.NewPasswordFormView(view))
}

// refuseUsedLink answers a submission whose link could not be used after
// all: another submission of the same link won the race, or it expired
// meanwhile. It says which.
func (a *App) refuseUsedLink(c *fiber.Ctx, token string) error {
	_, _, err := a.checkResetLink(c, token)
	a.clearResetCookies(c)
	if err == nil {
		err = refuseLink(fiber.StatusGone, problem.LinkUsed, "")
	}
	return err
}

// checkResetLink finds the account of a link that can still be used, or
// returns the page saying why it cannot (recovery.OpenLink audits it).
func (a *App) checkResetLink(c *fiber.Ctx, token string) (*db.ResetToken, *db.Account, error) {
	ctx, who := c.UserContext(), a.client(c)
	tok, acct, err := a.recovery.OpenLink(ctx, token, who)
	var refusal *recovery.LinkRefusal
	switch {
	case errors.Is(err, recovery.ErrTooManyGuesses):
		return nil, nil, a.limited(ctx, who, limit.LinksPerIP)
	case errors.As(err, &refusal):
		status := fiber.StatusNotFound
		if refusal.Gone {
			status = fiber.StatusGone
		}
		if !refusal.Renewable {
			token = "" // the page leads elsewhere than a new link
		}
		return nil, nil, refuseLink(status, refusal.Problem, token)
	}
	return tok, acct, err
}

// linkMark names a link on a page without giving it away: a keyed hash,
// shortened.
func (a *App) linkMark(token string) string {
	m := hmac.New(sha256.New, a.linkMarkKey)
	m.Write([]byte(token))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:12])
}

func (a *App) setResetCookie(c *fiber.Ctx, name, token string, expires time.Time) {
	c.Cookie(&fiber.Cookie{
		Name: a.cfg.CookieName(name), Value: token, Path: "/", Expires: expires,
		HTTPOnly: true, Secure: a.cfg.HTTPS(), SameSite: fiber.CookieSameSiteLaxMode,
	})
}

// clearResetCookie deletes the cookie name when the request carried it.
func (a *App) clearResetCookie(c *fiber.Ctx, name string) {
	if c.Cookies(a.cfg.CookieName(name)) == "" {
		return
	}
	a.setResetCookie(c, name, "", time.Unix(0, 0))
}

// clearResetCookies deletes both reset cookies: the link is done with.
func (a *App) clearResetCookies(c *fiber.Ctx) {
	a.clearResetCookie(c, resetCookie)
	a.clearResetCookie(c, resetNextCookie)
}
