package app

import (
	"errors"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"aikagi/app/account"
	"aikagi/app/intake"
	"aikagi/app/limit"
	"aikagi/app/problem"
	"aikagi/app/route"
	"aikagi/db"
	"aikagi/views"
)

// journey is a self-service path of three steps (enter, confirm, sent)
// that keeps no session: the confirmed values travel in a signed hidden
// field. The handlers below serve every journey; a journey adds only what
// differs: its fields, its step 3 work and its completion screen.
type journey struct {
	views.Journey
	states stateSigner // keyed per journey, so one's state is refused by another
	site   func(views.Lang) views.Site
	// sent is step 3's screen.
	sent func(t *views.Text) (title string, screen templ.Component)
}

func (a *App) newJourney(j views.Journey, sent func(*views.Text) (string, templ.Component)) *journey {
	return &journey{
		Journey: j,
		states:  newStateSigner(a.cfg, "state/"+string(j.Name)),
		site:    a.site,
		sent:    sent,
	}
}

// normalize applies field's normalisation to s.
func normalize(field route.Field, s string) string {
	switch field {
	case route.LoginID:
		return account.NormalizeLoginID(s)
	case route.Email:
		return account.NormalizeEmail(s)
	}
	panic("normalize: unknown field " + field)
}

// validate says what is wrong with a normalised value of field, if anything.
func validate(field route.Field, s string) problem.Problem {
	switch field {
	case route.LoginID:
		return account.ValidateLoginID(s)
	case route.Email:
		return account.ValidateEmail(s)
	}
	panic("validate: unknown field " + field)
}

func (st requestState) values() map[route.Field]string {
	return map[route.Field]string{route.LoginID: st.LoginID, route.Email: st.Email}
}

// fieldNames are the names of the journey's form fields.
func (j *journey) fieldNames() []string {
	names := make([]string, len(j.Fields))
	for i, f := range j.Fields {
		names[i] = string(f)
	}
	return names
}

func (j *journey) form(t *views.Text, st requestState) views.StepForm {
	return views.StepForm{T: t, J: j.Journey, Values: st.values(), Site: j.site(t.Lang)}
}

// confirmation is step 2 for the values and their signed state, with a
// 「もしかして」 when the address looks mistyped: it depends on the typed
// text alone, like everything before step 3.
func (j *journey) confirmation(t *views.Text, values map[route.Field]string, state string) views.StepConfirm {
	return views.StepConfirm{T: t, J: j.Journey, Values: values, State: state, Suggestion: account.SuggestEmail(values[route.Email])}
}

// fixField is posted by the 「もしかして」 button of step 2: the field that
// step 1 is refilled with its suggested value.
const fixField = "fix"

// showForm is step 1.
func (a *App) showForm(j *journey) fiber.Handler {
	return func(c *fiber.Ctx) error {
		t := views.T(a.lang(c))
		return a.renderStatic(c, string(j.Name), j.Title(t), func() templ.Component {
			return views.StepFormView(j.form(t, requestState{}))
		})
	}
}

// editForm is 「修正する」: step 1 again, refilled from the signed state. An
// expired state may still refill the form; only a forged one is refused.
// The 「もしかして」 button posts here too, with fix=email: the address is
// then refilled as suggested, the suggestion made again from the signed
// value rather than taken from the form.
func (a *App) editForm(j *journey) fiber.Handler {
	return func(c *fiber.Ctx) error {
		form, err := parseForm(c, "state")
		if err != nil {
			return err
		}
		st, err := j.states.verify(form["state"], a.now())
		if errors.Is(err, errStateTampered) {
			return a.refuseState(c, err)
		}
		if form[fixField] == string(route.Email) {
			if suggested := account.SuggestEmail(st.Email); suggested != "" {
				st.Email = suggested
			}
		}
		t := views.T(a.lang(c))
		return a.render(c, fiber.StatusOK, j.Title(t), views.StepFormView(j.form(t, st)))
	}
}

// confirmForm is step 2, 入力内容の確認: normalise, validate, and either
// show the form again with the errors (422) or the values to confirm.
func (a *App) confirmForm(j *journey) fiber.Handler {
	return func(c *fiber.Ctx) error {
		form, err := parseForm(c, j.fieldNames()...)
		if err != nil {
			return err
		}
		t := views.T(a.lang(c))
		values, problems := map[route.Field]string{}, map[route.Field]problem.Problem{}
		for _, name := range j.Fields {
			values[name] = normalize(name, form[string(name)])
			if p := validate(name, values[name]); p != "" {
				problems[name] = p
			}
		}
		if len(problems) > 0 {
			view := views.StepForm{T: t, J: j.Journey, Values: values, Errors: problems, Site: j.site(t.Lang)}
			return a.render(c, fiber.StatusUnprocessableEntity, j.Title(t), views.StepFormView(view))
		}
		state := j.states.sign(requestState{LoginID: values[route.LoginID], Email: values[route.Email], IssuedAt: a.now().Unix()})
		return a.render(c, fiber.StatusOK, t.ConfirmTitle, views.StepConfirmView(j.confirmation(t, values, state)))
	}
}

// sendForm is step 3, メール送信完了. It runs the same statements for every
// input (the per-IP counter and one intake row) and answers the same page:
// matching the values against the accounts happens later, in the intake
// worker, so nothing here can depend on them.
func (a *App) sendForm(j *journey) fiber.Handler {
	return func(c *fiber.Ctx) error {
		form, err := parseForm(c, "state")
		if err != nil {
			return err
		}
		t := views.T(a.lang(c))
		st, err := j.states.verify(form["state"], a.now())
		switch {
		case errors.Is(err, errStateTampered):
			return a.refuseState(c, err)
		case errors.Is(err, errStateExpired):
			view := j.form(t, st)
			view.Notice = problem.FormExpired
			return a.render(c, fiber.StatusBadRequest, j.Title(t), views.StepFormView(view))
		}
		// The state was signed after validation; checking again costs
		// nothing and keeps a key leak from turning into odd rows.
		values := st.values()
		for _, name := range j.Fields {
			if validate(name, values[name]) != "" {
				return refuse(fiber.StatusBadRequest, problem.FormTampered, errors.New("state: invalid values"))
			}
		}
		who := a.client(c)
		if ok, err := a.limits.PerClient(c.UserContext(), limit.SendsPerIP, who.IP); err != nil {
			return a.sendFailed(c, j, t, st, form["state"], err)
		} else if !ok {
			return a.limited(c.UserContext(), who, limit.SendsPerIP)
		}
		if err := a.intake.Record(c.UserContext(), j.Name, intake.Values{LoginID: st.LoginID, Email: st.Email}, who, string(t.Lang)); err != nil {
			return a.sendFailed(c, j, t, st, form["state"], err)
		}
		title, screen := j.sent(t)
		return a.render(c, fiber.StatusOK, title, screen)
	}
}

// sendFailed answers a step 3 that could not be recorded (the database
// was unreachable, say) with the confirmation page again, its signed state
// kept, so that pressing 「送信する」 once more is all it takes: nothing the
// merchant entered is lost. It says 503, and when to try again.
func (a *App) sendFailed(c *fiber.Ctx, j *journey, t *views.Text, st requestState, state string, err error) error {
	a.log.ErrorContext(c.UserContext(), "step 3 not recorded; the confirmation page is shown again",
		"request_id", c.Locals(localRequestID), "journey", j.Name, "err", err)
	c.Set(fiber.HeaderRetryAfter, "5")
	view := j.confirmation(t, st.values(), state)
	view.Notice = problem.SendFailed
	return a.render(c, fiber.StatusServiceUnavailable, t.ConfirmTitle, views.StepConfirmView(view))
}

// refuseState answers a form whose signed state does not verify. It is
// logged, since besides tampering the usual cause is an instance whose
// SECRET_KEY differs from the one that signed the form.
func (a *App) refuseState(c *fiber.Ctx, err error) error {
	a.log.WarnContext(c.UserContext(), "form state refused: altered, or signed with a key this instance lacks; check that SECRET_KEY (and SECRET_KEYS_OLD) match on every instance",
		"request_id", c.Locals(localRequestID), "path", c.Path())
	return refuse(fiber.StatusBadRequest, problem.FormTampered, err)
}

// client is who made a request, for the audit trail.
type client = db.Actor

func (a *App) client(c *fiber.Ctx) client {
	ua := c.Get(fiber.HeaderUserAgent)
	if len(ua) > 512 {
		ua = ua[:512]
	}
	return client{IP: a.clientIP(c).String(), UserAgent: ua}
}
