package app

import (
	"github.com/a-h/templ"

	"aikagi/views"
)

// newReminderJourney is ログインIDをお忘れの方: the same three steps as the
// reset, asking only for the registered address.
func (a *App) newReminderJourney() *journey {
	return a.newJourney(views.ReminderJourney,
		func(t *views.Text) (string, templ.Component) {
			return t.SentTitle, views.ReminderSentView(t, a.cfg.MailFrom.Address, a.site(t.Lang))
		})
}
