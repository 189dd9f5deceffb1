package app

import (
	"github.com/a-h/templ"

	"aikagi/views"
)

// newResetJourney is the password reset request of the help-center
// article: login ID and e-mail address in, a reset link out.
func (a *App) newResetJourney() *journey {
	return a.newJourney(views.ResetJourney,
		func(t *views.Text) (string, templ.Component) {
			// The deadline is the request's time plus TOKEN_TTL, the same
			// for every input: the link, when there is one, is made a moment
			// later and lasts a moment longer.
			return t.SentTitle, views.RequestSentView(views.RequestSent{
				T: t, Site: a.site(t.Lang), From: a.cfg.MailFrom.Address, TTL: a.cfg.TokenTTL, SentAt: a.now(),
			})
		})
}
