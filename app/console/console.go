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
	c.fiber = fiber.New(fiber.Config{
		AppName:                      "aikagi-console",
		BodyLimit:                    16 << 10,
		ReadTimeout:                  15 * time.Second,
		WriteTimeout:                 15 * time.Second,
		IdleTimeout:                  60 * time.Second,
		ErrorHandler:                 c.handleError,
		DisableStartupMessage:        true,
		CaseSensitive:                true,
		DisablePreParseMultipartForm: true,
	})
	c.routes()
	return c
}

// now is the time of the console and its services.
func (c *Console) now() time.Time { return c.svc.Now() }

// Handler exposes the Fiber app, for serving and for tests.
func (c *Console) Handler() *fiber.App { return c.fiber }

// routes is the console's sitemap. Nothing here is served by the merchant
// app, and none of the merchant app's routes is served here.
func (c *Console) routes() {
	r := c.fiber
	r.Use(c.requestLog, c.recoverPanic, c.securityHeaders, c.refuseCrossSite)
	r.Get("/assets/:name", c.serveAsset)

	// Login: password, then TOTP (or enrolment at the first login).
	r.Get("/login", c.showLogin)
	r.Post("/login", c.checkPassword)
	r.Get("/login/code", c.pendingOnly(c.showCode))
	r.Post("/login/code", c.pendingOnly(c.checkCode))
	r.Get("/login/enrol", c.pendingOnly(c.showEnrol))
	r.Post("/login/enrol", c.pendingOnly(c.confirmEnrol))
	r.Post("/logout", c.signedIn(c.logout))

	// The desk.
	r.Get("/", c.signedIn(c.home))
	r.Get("/search", c.signedIn(c.search)) // htmx as typed, or a plain GET form
	r.Get("/accounts/:id<int>", c.signedIn(c.showAccount))

	// Actions on an account: a confirmation with a typed reason, then the
	// action, role-checked and audited with the member (actions.go).
	r.Get("/accounts/:id<int>/send-reset", c.signedIn(c.may(staff.SendReset, c.showSendReset)))
	r.Post("/accounts/:id<int>/send-reset", c.signedIn(c.may(staff.SendReset, c.sendReset)))
	// Account actions (accountactions.go).
	r.Get("/accounts/:id<int>/lift-pause", c.signedIn(c.may(staff.LiftPause, c.showLiftPause)))
	r.Post("/accounts/:id<int>/lift-pause", c.signedIn(c.may(staff.LiftPause, c.liftPause)))
	r.Get("/accounts/:id<int>/mails/:mail/requeue", c.signedIn(c.may(staff.RequeueMail, c.showRequeue)))
	r.Post("/accounts/:id<int>/mails/:mail/requeue", c.signedIn(c.may(staff.RequeueMail, c.requeueMail)))
	r.Get("/accounts/:id<int>/change-email", c.signedIn(c.may(staff.ChangeEmail, c.showChangeEmail)))
	r.Post("/accounts/:id<int>/change-email", c.signedIn(c.may(staff.ChangeEmail, c.changeEmail)))
	r.Get("/accounts/:id<int>/disable", c.signedIn(c.may(staff.ChangeStatus, c.showStatus(account.Disable))))
	r.Post("/accounts/:id<int>/disable", c.signedIn(c.may(staff.ChangeStatus, c.changeStatus(account.Disable))))
	r.Get("/accounts/:id<int>/enable", c.signedIn(c.may(staff.ChangeStatus, c.showStatus(account.Enable))))
	r.Post("/accounts/:id<int>/enable", c.signedIn(c.may(staff.ChangeStatus, c.changeStatus(account.Enable))))

	// Staff management, for admins: the list, invitations, and changes of
	// a member behind a confirmation with a typed reason (staff.go).
	r.Get("/staff", c.signedIn(c.may(staff.ManageStaff, c.listStaff)))
	r.Get("/staff/invite", c.signedIn(c.may(staff.ManageStaff, c.showInvite)))
	r.Post("/staff/invite", c.signedIn(c.may(staff.ManageStaff, c.invite)))
	r.Get("/staff/:id<int>/:change", c.signedIn(c.may(staff.ManageStaff, c.showChange)))
	r.Post("/staff/:id<int>/:change", c.signedIn(c.may(staff.ManageStaff, c.applyChange)))
	// An invitation link, without a session: the new member's password,
	// then the enrolment of their second factor (login/enrol).
	r.Get("/invite/:token", c.showInviteLink)
	r.Post("/invite/:token", c.acceptInvite)
}
