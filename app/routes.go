package app

import "aikagi/views"

// framablePaths are the steps the help center may show in an iframe.
var framablePaths = map[string]bool{views.PathRequest: true, views.PathConfirm: true, views.PathSend: true}

// routes is the sitemap of the app, top to bottom.
func (a *App) routes() {
	r := a.fiber
	r.Use(a.requestLog, a.securityHeaders, a.refuseCrossSite)

	// Static files under content-hashed names.
	r.Get("/assets/:name", a.serveAsset)

	// Operations.
	r.Get("/healthz", a.healthz)
	r.Get("/readyz", a.readyz)

	// The request journey (steps 1–3): may be framed by the help center,
	// keeps no session and sets no cookie.
	r.Get(views.PathRequest, a.allowFraming, a.showRequestForm)
	r.Post(views.PathRequest, a.allowFraming, a.editRequest) // 「修正する」
	r.Post(views.PathConfirm, a.allowFraming, a.confirmRequest)
	r.Post(views.PathSend, a.allowFraming, a.sendResetMail)

	// The link in the mail (steps 5 and 6): top level only, never framed.
	r.Get(views.PathReset, a.showNewPasswordForm)
	r.Post(views.PathReset, a.completeReset)

	// Enough of the admin site to prove the new password works.
	r.Get(views.PathLogin, a.showLogin)
	r.Post(views.PathLogin, a.login)
	r.Post(views.PathLogout, a.logout)
	r.Get(views.PathHome, a.home)

	// The development mailbox, never in production.
	if a.mailbox != nil {
		r.Get("/_dev/mail", a.listDevMail)
		r.Get("/_dev/mail/:id<int>", a.showDevMail)
		r.Get("/_dev/mail/:id<int>/html", a.showDevMailHTML)
	}
}
