package app

import (
	"aikagi/app/route"
	"aikagi/app/web"
)

// framable reports the paths of steps 1–3, which the help center may show
// in an iframe.
func framable(path string) bool {
	switch path {
	case route.Request, route.Confirm, route.Send, route.ReminderRequest, route.ReminderConfirm, route.ReminderSend:
		return true
	}
	return false
}

// routes is the sitemap of the app, top to bottom.
func (a *App) routes() {
	r := a.fiber
	r.Use(a.requestLog, web.RecoverPanic, a.compressPages, a.securityHeaders, a.refuseCrossSite)

	// Static files under content-hashed names, and the help center's script.
	r.Get("/assets/:name", web.ServeAsset)
	r.Get("/embed.js", a.serveEmbedScript)

	// Operations.
	r.Get("/healthz", a.healthz)
	r.Get("/readyz", a.readyz)

	// The self-service journeys (steps 1–3): may be framed by the help
	// center, keep no session and set no cookie.
	for _, j := range []*journey{a.reset, a.reminder} {
		r.Get(j.Enter, a.allowFraming, a.showForm(j))
		r.Post(j.Enter, a.allowFraming, a.editForm(j)) // 「修正する」
		r.Post(j.Confirm, a.allowFraming, a.confirmForm(j))
		r.Post(j.Send, a.allowFraming, a.sendForm(j))
	}

	// The link in the mail (steps 5 and 6): top level only, never framed.
	r.Get(route.Reset, a.showNewPasswordForm)
	r.Post(route.Reset, a.completeReset)
	r.Post(route.ChooseLink, a.chooseResetLink) // which of two links, when another account's was opened
	r.Get(route.ResetDone, a.showResetDone)
	r.Get(route.Report, a.showReportForm) // 「心当たりがない場合」 in the mail
	r.Post(route.Report, a.reportResetLink)
	r.Post(route.RenewLink, a.renewResetLink) // the expired link's one-tap new link

	// Enough of the admin site to prove the new password works.
	r.Get(route.Login, a.showLogin)
	r.Post(route.Login, a.login)
	r.Post(route.Logout, a.logout)
	r.Get(route.Home, a.home)

	// Delivery reports from Resend (webhook.go), when RESEND_WEBHOOK_SECRET
	// is set. Their signature is their check; the cross-site check needs no
	// exemption, since a server's post carries no Sec-Fetch-Site or Origin
	// and passes it. Never framed, like everything but steps 1–3.
	if a.cfg.Resend.WebhookSecret != "" {
		r.Post("/webhooks/resend", a.receiveResendWebhook)
	}

	// The development mailbox: never in production, and only to this
	// machine, in case a deployment forgot APP_ENV.
	if a.mailbox != nil {
		r.Get("/_dev/mail", a.localOnly, a.listDevMail)
		r.Get("/_dev/mail/:id<int>", a.localOnly, a.showDevMail)
		r.Get("/_dev/mail/:id<int>/html", a.localOnly, a.showDevMailHTML)
	}
}
