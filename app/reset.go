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
			return t.SentTitle, views.RequestSentView(views.RequestSent{T: t, From: a.cfg.MailFrom.Address, TTL: a.cfg.TokenTTL})
		})
}
