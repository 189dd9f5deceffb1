package cli

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/gofiber/fiber/v2"

	"aikagi/app"
	"aikagi/app/config"
	"aikagi/app/mail"
	"aikagi/app/secret"
	"aikagi/app/service"
	"aikagi/db"
)

// defaultMemoryLimit is the Go runtime's soft memory limit unless GOMEMLIMIT
// is set: well above the app's working set (about 40 MB plus 4 × 19 MiB of
// hashing), well below the 256 MB the systemd unit allows.
const defaultMemoryLimit = 160 << 20

// shutdownTimeout bounds the wait for the requests in flight at shutdown.
const shutdownTimeout = 20 * time.Second

// Serve runs the web server and the workers until ctx ends, then finishes
// the requests in flight and hands unsent mail back to the outbox.
func Serve(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if env.Getenv("GOMEMLIMIT") == "" {
		// Each password hash takes 19 MiB and up to four run at once; a soft
		// limit makes the collector return that memory promptly instead of
		// letting the heap double under a burst of resets.
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	cfg, err := config.Load(env.Getenv, secret.Random)
	if err != nil {
		return err
	}
	logOut := newLogWriter(env.Stderr, 100*time.Millisecond)
	defer logOut.Close()
	log := slog.New(slog.NewJSONHandler(logOut, &slog.HandlerOptions{Level: cfg.LogLevel}))
	bdb, err := env.openDB(ctx, log)
	if err != nil {
		return err
	}
	defer bdb.Close()
	sender, err := newSender(cfg, log)
	if err != nil {
		return err
	}
	warnAboutSettings(cfg, log)
	svc := service.New(cfg, bdb, log, time.Now, sender)
	a := app.New(svc)
	stopConsole := startConsole(svc) // console.go
	defer stopConsole()
	stopMetrics := startMetrics(cfg, a, log)
	defer stopMetrics()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("serving", "version", config.Build().String(), "addr", ln.Addr().String(), "base_url", cfg.BaseURL.String(),
		"database", db.Dialect(bdb), "env", cfg.Environment())
	return run(ctx, svc, a, ln)
}

// newSender is Resend when RESEND_API_KEY is set, else the development
// mailbox.
func newSender(cfg config.Config, log *slog.Logger) (mail.Sender, error) {
	if cfg.ResendAPIKey == "" {
		log.Warn("no RESEND_API_KEY: mail goes to the development mailbox", "url", cfg.URL("/_dev/mail", nil))
		return mail.NewDevMailbox(), nil
	}
	if cfg.Resend.WebhookSecret == "" {
		log.Warn("no RESEND_WEBHOOK_SECRET: bounces and complaints are not recorded; see README.md, Mail through Resend")
	}
	return mail.NewResendSender(cfg.ResendAPIKey, cfg.Resend.BaseURL, 0)
}

// warnAboutSettings logs what an operator should change.
func warnAboutSettings(cfg config.Config, log *slog.Logger) {
	if cfg.SecretGenerated {
		log.Warn("no SECRET_KEY: using a random key for this run; forms and queued mail from earlier runs will not verify")
	}
	for _, msg := range cfg.Deprecated {
		log.Warn(msg)
	}
}

// run serves a on ln, with the workers of svc and, in development, the demo
// help center, until ctx ends or the listener fails.
func run(ctx context.Context, svc *service.Services, a *app.App, ln net.Listener) error {
	cfg, log := svc.Config, svc.Log
	// The workers outlive ctx: they stop after the last request is answered,
	// so that what those requests recorded is matched and mailed.
	workerCtx, stopWorkers := context.WithCancel(context.WithoutCancel(ctx))
	workersDone := make(chan struct{})
	go func() {
		defer close(workersDone)
		svc.RunWorkers(workerCtx)
	}()
	go a.CheckLoginFloor(workerCtx)
	serveErr := make(chan error, 1)
	go func() { serveErr <- a.Handler().Listener(ln) }()
	demo := startDemo(cfg, log)

	var err error
	select {
	case err = <-serveErr:
	case <-ctx.Done():
		// /readyz fails first, so that the load balancer stops sending new
		// requests before the listener closes.
		a.Drain()
		if cfg.ShutdownDrain > 0 {
			log.Info("draining: /readyz answers 503", "for", cfg.ShutdownDrain.String())
			time.Sleep(cfg.ShutdownDrain)
		}
		log.Info("shutting down")
		err = a.Handler().ShutdownWithTimeout(shutdownTimeout)
	}
	if demo != nil {
		_ = demo.ShutdownWithTimeout(time.Second)
	}
	stopWorkers()
	<-workersDone
	log.Info("stopped")
	return err
}

// startDemo serves the demo help center in development, unless
// DEMO_ADDR=off; it returns nil when none runs.
func startDemo(cfg config.Config, log *slog.Logger) *fiber.App {
	if cfg.Production || cfg.DemoAddr == "off" {
		return nil
	}
	ln, err := net.Listen("tcp", cfg.DemoAddr)
	if err != nil {
		log.Warn("demo help center not started", "addr", cfg.DemoAddr, "err", err)
		return nil
	}
	demo := app.DemoHelpCenter(cfg)
	go func() { _ = demo.Listener(ln) }()
	log.Info("demo help center (another site embedding steps 1–3)", "url", config.DemoOrigin(cfg.DemoAddr)+"/")
	return demo
}

// startMetrics serves /metrics on METRICS_ADDR, when set, and returns its
// stop; a metrics listener that cannot listen is logged, not fatal.
func startMetrics(cfg config.Config, a *app.App, log *slog.Logger) (stop func()) {
	if cfg.MetricsAddr == "" {
		return func() {}
	}
	ln, err := net.Listen("tcp", cfg.MetricsAddr)
	if err != nil {
		log.Error("metrics not served", "addr", cfg.MetricsAddr, "err", err)
		return func() {}
	}
	srv := &http.Server{Handler: a.MetricsHandler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	log.Info("metrics", "url", "http://"+ln.Addr().String()+"/metrics")
	return func() { _ = srv.Close() }
}
