// Package app wires Fiber to the views and the database: configuration, the
// route table, handlers, middleware and the mail worker.
package app

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/uptrace/bun"

	"aikagi/app/account"
	"aikagi/app/config"
	"aikagi/app/intake"
	"aikagi/app/limit"
	"aikagi/app/mail"
	"aikagi/app/metrics"
	"aikagi/app/recovery"
	"aikagi/app/retention"
	"aikagi/app/route"
	"aikagi/app/secret"
	"aikagi/assets"
)

// App is the application: its settings, its database and its collaborators.
// Handlers are its methods.
type App struct {
	cfg               config.Config
	db                *bun.DB
	log               *slog.Logger
	now               func() time.Time
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
	metricsHandler    fiber.Handler // serves metrics to whom serveMetrics allows
	pagesMu           sync.RWMutex
	pages             map[string][][]byte // renderStatic's cache: pages split at the nonce
	frameOrigins      string              // FRAME_ANCESTORS, space separated, for framed pages
	framableAncestors string              // the frame-ancestors sources of steps 1–3
	draining          atomic.Bool         // shutting down: /readyz answers 503
	copOnce           sync.Once
	cop               *http.CrossOriginProtection
}

// New builds the app. mailer delivers the outbox; when it is a *mail.DevMailbox
// the mailbox is also served at /_dev/mail.
func New(cfg config.Config, bdb *bun.DB, log *slog.Logger, mailer mail.Sender) *App {
	a := &App{
		cfg:          cfg,
		db:           bdb,
		log:          log,
		now:          time.Now,
		sealer:       secret.NewSealer(cfg),
		linkMarkKey:  secret.DeriveKey(cfg.SecretKey, "reset-link-mark"),
		doneReceipts: newStateSignerTTL(cfg, "reset-done", doneReceiptTTL),
	}
	if box, ok := mailer.(*mail.DevMailbox); ok && !cfg.Production {
		a.mailbox = box
	}
	a.pages = map[string][][]byte{}
	a.frameOrigins = strings.Join(cfg.FrameAncestors, " ")
	a.framableAncestors = strings.TrimSpace("'self' " + a.frameOrigins)
	a.metrics = metrics.New(bdb, func() time.Time { return a.now() }, config.Build())
	a.metricsHandler = adaptor.HTTPHandler(a.metrics.Handler())
	a.limits = limit.New(bdb, log, func() time.Time { return a.now() }, a.metrics, cfg.Limits)
	a.outbox = mail.New(mail.Deps{
		DB: bdb, Log: log, Now: func() time.Time { return a.now() }, Sender: mailer, Sealer: a.sealer,
		Metrics: a.metrics, From: cfg.From(), Rate: cfg.Resend.RateLimit,
		BatchSize: cfg.Resend.BatchSize, RepeatWindow: cfg.Limits.MailsPerAccount.Window,
	})
	a.recovery = recovery.New(recovery.Deps{
		DB: bdb, Log: log, Now: func() time.Time { return a.now() }, Config: cfg, Outbox: a.outbox, Limits: a.limits,
	})
	a.hasher = account.NewHasher(func(d time.Duration) { a.metrics.HashWait.Observe(d.Seconds()) })
	a.sweeper = retention.New(bdb, log, func() time.Time { return a.now() }, cfg)
	a.logins = account.NewLogins(bdb, a.hasher, func() time.Time { return a.now() }, cfg)
	a.embedScript = strings.ReplaceAll(assets.EmbedScript, "__AIKAGI_ORIGIN__", cfg.Origin())
	a.reset = a.newResetJourney()
	a.reminder = a.newReminderJourney()
	a.intake = intake.New(intake.Deps{
		DB: bdb, Log: log, Now: func() time.Time { return a.now() }, Sealer: a.sealer, Metrics: a.metrics,
		Matchers: map[route.Journey]intake.Matcher{
			route.ResetJourney:    a.recovery.MatchReset,
			route.ReminderJourney: a.recovery.MatchReminder,
		},
		OutboxWake: a.outbox.Wake,
	})
	a.fiber = fiber.New(fiber.Config{
		AppName:               "aikagi",
		BodyLimit:             maxBodyBytes,
		ReadTimeout:           15 * time.Second,
		WriteTimeout:          15 * time.Second,
		IdleTimeout:           60 * time.Second,
		ErrorHandler:          a.handleError,
		DisableStartupMessage: true,
		CaseSensitive:         true,
		// No form of ours is multipart; parseForm refuses it with a 415.
		DisablePreParseMultipartForm: true,
	})
	a.routes()
	return a
}

// RunWorkers runs the intake worker (matching step 3 requests) and the
// mail worker until ctx ends.
func (a *App) RunWorkers(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { a.intake.Run(ctx) })
	wg.Go(func() { a.outbox.Run(ctx) })
	wg.Go(func() { a.sweeper.Run(ctx) })
	wg.Wait()
}

// Handler exposes the Fiber app, for serving and for tests.
func (a *App) Handler() *fiber.App { return a.fiber }

// Drain makes /readyz answer 503, ahead of shutdown.
func (a *App) Drain() { a.draining.Store(true) }
