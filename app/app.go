// Package app wires Fiber to the views and the database: configuration, the
// route table, handlers, middleware and the mail worker.
package app

import (
	"crypto/cipher"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"aikagi/assets"
)

// App is the application: its settings, its database and its collaborators.
// Handlers are its methods.
type App struct {
	cfg               Config
	db                *bun.DB
	log               *slog.Logger
	now               func() time.Time
	fiber             *fiber.App
	reset             *journey // the password reset request (steps 1–3)
	reminder          *journey // the login-ID reminder
	sealer            cipher.AEAD
	linkMarkKey       []byte      // names reset links on pages (linkMark)
	reportKeyKey      []byte      // signs the 「心当たりがない場合」 links (reportKey)
	doneReceipts      stateSigner // the signed receipt of the done page's address
	mailer            Sender
	mailbox           *DevMailbox // development only; nil in production
	wake              chan struct{}
	hashing           chan struct{} // bounds concurrent password hashes
	embedScript       string        // assets.EmbedScript with this app's origin
	metrics           *metrics
	pagesMu           sync.RWMutex
	pages             map[string][][]byte // renderStatic's cache: pages split at the nonce
	frameOrigins      string              // FRAME_ANCESTORS, space separated, for framed pages
	framableAncestors string              // the frame-ancestors sources of steps 1–3
	copOnce           sync.Once
	cop               *http.CrossOriginProtection

	worker outboxWorker // the mail worker's pause and pacing (outbox.go)
}

// New builds the app. mailer delivers the outbox; when it is a *DevMailbox
// the mailbox is also served at /_dev/mail.
func New(cfg Config, bdb *bun.DB, log *slog.Logger, mailer Sender) *App {
	a := &App{
		cfg:          cfg,
		db:           bdb,
		log:          log,
		now:          time.Now,
		sealer:       newSealer(deriveKey(cfg.SecretKey, "outbox-payload")),
		linkMarkKey:  deriveKey(cfg.SecretKey, "reset-link-mark"),
		reportKeyKey: deriveKey(cfg.SecretKey, "reset-report"),
		doneReceipts: stateSigner{key: deriveKey(cfg.SecretKey, "reset-done"), ttl: doneReceiptTTL},
		mailer:       mailer,
		wake:         make(chan struct{}, 1),
		hashing:      make(chan struct{}, maxConcurrentHashes),
	}
	if box, ok := mailer.(*DevMailbox); ok && !cfg.Production {
		a.mailbox = box
	}
	a.pages = map[string][][]byte{}
	a.frameOrigins = strings.Join(cfg.FrameAncestors, " ")
	a.framableAncestors = strings.TrimSpace("'self' " + a.frameOrigins)
	a.metrics = newMetrics(bdb, func() time.Time { return a.now() })
	a.embedScript = strings.ReplaceAll(assets.EmbedScript, "__AIKAGI_ORIGIN__", cfg.Origin())
	a.reset = a.newResetJourney()
	a.reminder = a.newReminderJourney()
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

// Handler exposes the Fiber app, for serving and for tests.
func (a *App) Handler() *fiber.App { return a.fiber }
