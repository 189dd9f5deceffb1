// Package app wires Fiber to the views and the database: configuration, the
// route table, handlers, middleware and the mail worker.
package app

import (
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"aikagi/app/account"
	"aikagi/app/config"
	"aikagi/app/intake"
	"aikagi/app/limit"
	"aikagi/app/mail"
	"aikagi/app/metrics"
	"aikagi/app/recovery"
	"aikagi/app/retention"
	"aikagi/app/secret"
	"aikagi/app/service"
	"aikagi/app/web"
	"aikagi/assets"
)

// App is the merchant-facing web app: its settings, the shared services it
// uses (built once in app/service) and what only the web needs. Handlers
// are its methods.
type App struct {
	svc               *service.Services
	cfg               config.Config
	db                *bun.DB
	log               *slog.Logger
	fiber             *fiber.App
	reset             *journey         // the password reset request (steps 1–3)
	reminder          *journey         // the login-ID reminder
	sealer            *secret.Sealer   // seals payloads at rest
	linkMarkKey       []byte           // names reset links on pages (linkMark)
	doneReceipts      stateSigner      // the signed receipt of the done page's address
	outbox            *mail.Outbox     // queues mail and delivers it
	mailbox           *mail.DevMailbox // development only; nil in production
	intake            *intake.Worker   // matches step 3 requests
	limits            *limit.Limiter
	sweeper           *retention.Sweeper
	recovery          *recovery.Service // matches requests, issues links, changes addresses
	hasher            *account.Hasher
	logins            *account.Logins
	embedScript       string // assets.EmbedScript with this app's origin
	metrics           *metrics.Metrics
	pagesMu           sync.RWMutex
	pages             map[string][][]byte // renderStatic's cache: pages split at the nonce
	frameOrigins      string              // FRAME_ANCESTORS, space separated, for framed pages
	framableAncestors string              // the frame-ancestors sources of steps 1–3
	draining          atomic.Bool         // shutting down: /readyz answers 503
	copOnce           sync.Once
	cop               *http.CrossOriginProtection
}

// New builds the app on the shared services svc. When svc's sender is the
// development mailbox, the mailbox is also served at /_dev/mail.
func New(svc *service.Services) *App {
	cfg := svc.Config
	a := &App{
		svc:          svc,
		cfg:          cfg,
		db:           svc.DB,
		log:          svc.Log,
		sealer:       svc.Sealer,
		outbox:       svc.Outbox,
		mailbox:      svc.Mailbox,
		intake:       svc.Intake,
		limits:       svc.Limits,
		sweeper:      svc.Sweeper,
		recovery:     svc.Recovery,
		hasher:       svc.Hasher,
		logins:       svc.Logins,
		metrics:      svc.Metrics,
		linkMarkKey:  secret.DeriveKey(cfg.SecretKey, "reset-link-mark"),
		doneReceipts: newStateSignerTTL(cfg, "reset-done", doneReceiptTTL),
	}
	a.pages = map[string][][]byte{}
	a.frameOrigins = strings.Join(cfg.FrameAncestors, " ")
	a.framableAncestors = strings.TrimSpace("'self' " + a.frameOrigins)
	a.embedScript = strings.ReplaceAll(assets.EmbedScript, "__AIKAGI_ORIGIN__", cfg.Origin())
	a.reset = a.newResetJourney()
	a.reminder = a.newReminderJourney()
	// No form of ours is multipart; parseForm refuses it with a 415.
	a.fiber = fiber.New(web.FiberConfig("aikagi", maxBodyBytes, a.handleError, cfg.TrustedProxies))
	a.routes()
	return a
}

// now is the time of the app and its services.
func (a *App) now() time.Time { return a.svc.Now() }

// Handler exposes the Fiber app, for serving and for tests.
func (a *App) Handler() *fiber.App { return a.fiber }

// Drain makes /readyz answer 503, ahead of shutdown.
func (a *App) Drain() { a.draining.Store(true) }
