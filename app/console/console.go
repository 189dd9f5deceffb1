// Package console is the support desk's web console (SPEC §7): its own
// Fiber app on its own listener (ADMIN_ADDR), its own cookie, never framed.
// It shares the database with the merchant app and none of its routes.
package console

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"aikagi/app/account"
	"aikagi/app/config"
	"aikagi/app/recovery"
	"aikagi/app/service"
	"aikagi/app/staff"
	"aikagi/app/web"
)

// Console is the console's web app. Handlers are its methods.
type Console struct {
	svc    *service.Services
	cfg    config.Config
	db     *bun.DB
	log    *slog.Logger
	staff  *staff.Service
	resets *recovery.Service // reset links sent by staff
	fiber  *fiber.App
	cop    *http.CrossOriginProtection
	cookie string     // the session cookie's name
	hours  *hourCache // the overview's settled hours (overview.go)
}

// New builds the console on the shared services svc: staff logins share
// the merchant app's password hasher and memory budget, and the reset links
// staff send go through the same outbox and limits.
func New(svc *service.Services) *Console {
	cfg := svc.Config
	c := &Console{svc: svc, cfg: cfg, db: svc.DB, log: svc.Log, staff: svc.Staff, resets: svc.Recovery,
		cookie: cfg.CookieName("aikagi_staff")}
	c.hours = newHourCache(c.loadHours)
	c.cop = http.NewCrossOriginProtection()
	c.fiber = fiber.New(web.FiberConfig("aikagi-console", 16<<10, c.handleError, cfg.TrustedProxies))
	c.routes()
	return c
}

// now is the time of the console and its services.
func (con *Console) now() time.Time { return con.svc.Now() }

// Handler exposes the Fiber app, for serving and for tests.
func (con *Console) Handler() *fiber.App { return con.fiber }

// routes is the console's sitemap. Nothing here is served by the merchant
// app, and none of the merchant app's routes is served here.
func (con *Console) routes() {
	r := con.fiber
	r.Use(con.requestLog, web.RecoverPanic, con.securityHeaders, con.consoleHostOnly, con.refuseCrossSite)
	r.Get("/assets/:name", web.ServeAsset)

	// Login: password, then TOTP (or enrolment at the first login).
	r.Get("/login", con.showLogin)
	r.Post("/login", con.checkPassword)
	r.Get("/login/code", con.pendingOnly(con.showCode))
	r.Post("/login/code", con.pendingOnly(con.checkCode))
	r.Get("/login/enrol", con.pendingOnly(con.showEnrol))
	r.Post("/login/enrol", con.pendingOnly(con.confirmEnrol))
	r.Post("/logout", con.signedIn(con.logout))

	// The desk.
	r.Get("/", con.signedIn(con.home))
	r.Get("/search", con.signedIn(con.search)) // htmx as typed, or a plain GET form
	r.Get("/accounts/:id<int>", con.signedIn(con.showAccount))

	// Actions on an account: a confirmation with a typed reason, then the
	// action, role-checked and audited with the member (actions.go).
	r.Get("/accounts/:id<int>/send-reset", con.signedIn(con.may(staff.SendReset, con.showSendReset)))
	r.Post("/accounts/:id<int>/send-reset", con.signedIn(con.may(staff.SendReset, con.sendReset)))
	// Account actions (accountactions.go).
	r.Get("/accounts/:id<int>/lift-pause", con.signedIn(con.may(staff.LiftPause, con.showLiftPause)))
	r.Post("/accounts/:id<int>/lift-pause", con.signedIn(con.may(staff.LiftPause, con.liftPause)))
	r.Get("/accounts/:id<int>/mails/:mail/requeue", con.signedIn(con.may(staff.RequeueMail, con.showRequeue)))
	r.Post("/accounts/:id<int>/mails/:mail/requeue", con.signedIn(con.may(staff.RequeueMail, con.requeueMail)))
	r.Get("/accounts/:id<int>/change-email", con.signedIn(con.may(staff.ChangeEmail, con.showChangeEmail)))
	r.Post("/accounts/:id<int>/change-email", con.signedIn(con.may(staff.ChangeEmail, con.changeEmail)))
	r.Get("/accounts/:id<int>/disable", con.signedIn(con.may(staff.ChangeStatus, con.showStatus(account.Disable))))
	r.Post("/accounts/:id<int>/disable", con.signedIn(con.may(staff.ChangeStatus, con.changeStatus(account.Disable))))
	r.Get("/accounts/:id<int>/enable", con.signedIn(con.may(staff.ChangeStatus, con.showStatus(account.Enable))))
	r.Post("/accounts/:id<int>/enable", con.signedIn(con.may(staff.ChangeStatus, con.changeStatus(account.Enable))))

	// Staff management, for admins: the list, invitations, and changes of
	// a member behind a confirmation with a typed reason (staff.go).
	r.Get("/staff", con.signedIn(con.may(staff.ManageStaff, con.listStaff)))
	r.Get("/staff/invite", con.signedIn(con.may(staff.ManageStaff, con.showInvite)))
	r.Post("/staff/invite", con.signedIn(con.may(staff.ManageStaff, con.invite)))
	r.Get("/staff/:id<int>/:change", con.signedIn(con.may(staff.ManageStaff, con.showChange)))
	r.Post("/staff/:id<int>/:change", con.signedIn(con.may(staff.ManageStaff, con.applyChange)))
	// An invitation link, without a session: the new member's password,
	// then the enrolment of their second factor (login/enrol).
	r.Get("/invite/:token", con.showInviteLink)
	r.Post("/invite/:token", con.acceptInvite)
}
