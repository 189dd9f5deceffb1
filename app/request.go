package app

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"aikagi/views"
)

// showRequestForm is step 1, パスワード再設定依頼.
func (a *App) showRequestForm(c *fiber.Ctx) error {
	t := views.T(a.lang(c))
	return a.render(c, fiber.StatusOK, t.RequestTitle, views.RequestFormView(views.RequestForm{T: t}))
}

// editRequest is 「修正する」: step 1 again, refilled from the signed state.
// An expired state may still refill the form; only a forged one is refused.
func (a *App) editRequest(c *fiber.Ctx) error {
	form, err := parseForm(c, "state")
	if err != nil {
		return err
	}
	st, err := a.states.verify(form["state"], a.now())
	if errors.Is(err, errStateTampered) {
		return problem(fiber.StatusBadRequest, views.FormTampered, err)
	}
	t := views.T(a.lang(c))
	return a.render(c, fiber.StatusOK, t.RequestTitle,
		views.RequestFormView(views.RequestForm{T: t, LoginID: st.LoginID, Email: st.Email}))
}

// confirmRequest is step 2, 入力内容の確認: normalise, validate, and either
// show the form again with the errors (422) or the values to confirm.
func (a *App) confirmRequest(c *fiber.Ctx) error {
	form, err := parseForm(c, "login_id", "email")
	if err != nil {
		return err
	}
	t := views.T(a.lang(c))
	loginID, email := normalizeLoginID(form["login_id"]), normalizeEmail(form["email"])
	problems := map[string]views.Problem{}
	if p := validateLoginID(loginID); p != "" {
		problems["login_id"] = p
	}
	if p := validateEmail(email); p != "" {
		problems["email"] = p
	}
	if len(problems) > 0 {
		return a.render(c, fiber.StatusUnprocessableEntity, t.RequestTitle,
			views.RequestFormView(views.RequestForm{T: t, LoginID: loginID, Email: email, Errors: problems}))
	}
	state := a.states.sign(requestState{LoginID: loginID, Email: email, IssuedAt: a.now().Unix()})
	return a.render(c, fiber.StatusOK, t.ConfirmTitle,
		views.RequestConfirmView(views.RequestConfirm{T: t, LoginID: loginID, Email: email, State: state}))
}

// sendResetMail is step 3, メール送信完了. The response is the same whether
// or not an account matched, or its mail limit was reached, and it takes at
// least SEND_MIN_DURATION either way; only the database knows the difference.
func (a *App) sendResetMail(c *fiber.Ctx) error {
	form, err := parseForm(c, "state")
	if err != nil {
		return err
	}
	t := views.T(a.lang(c))
	st, err := a.states.verify(form["state"], a.now())
	switch {
	case errors.Is(err, errStateTampered):
		return problem(fiber.StatusBadRequest, views.FormTampered, err)
	case errors.Is(err, errStateExpired):
		return a.render(c, fiber.StatusBadRequest, t.RequestTitle,
			views.RequestFormView(views.RequestForm{T: t, LoginID: st.LoginID, Email: st.Email, Notice: views.FormExpired}))
	}
	// The state was signed after validation; checking again costs nothing
	// and keeps a key leak from turning into odd rows.
	if validateLoginID(st.LoginID) != "" || validateEmail(st.Email) != "" {
		return problem(fiber.StatusBadRequest, views.FormTampered, errors.New("state: invalid values"))
	}
	start, who := time.Now(), a.client(c)
	if ok, err := a.hit(c.UserContext(), a.db, a.cfg.Limits.SendsPerIP, "send:ip:"+who.IP); err != nil {
		return err
	} else if !ok {
		return a.limited(c.UserContext(), who, "sends per IP")
	}
	if err := a.requestReset(c.UserContext(), st.LoginID, st.Email, who); err != nil {
		return err
	}
	padTo(c.UserContext(), start, a.cfg.SendFloor)
	return a.render(c, fiber.StatusOK, t.SentTitle,
		views.RequestSentView(views.RequestSent{T: t, From: a.cfg.MailFrom.Address, TTL: a.cfg.TokenTTL}))
}

// client is who made a request, for the audit trail.
type client struct {
	IP        string
	UserAgent string
}

func (a *App) client(c *fiber.Ctx) client {
	ua := c.Get(fiber.HeaderUserAgent)
	if len(ua) > 512 {
		ua = ua[:512]
	}
	return client{IP: a.clientIP(c).String(), UserAgent: ua}
}
