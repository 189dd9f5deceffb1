package cli

import (
	"log/slog"
	"net"
	"time"

	"github.com/uptrace/bun"

	"aikagi/app/account"
	"aikagi/app/config"
	"aikagi/app/console"
)

// startConsole serves the support console on ADMIN_ADDR, when set, and
// returns its stop; a console that cannot listen is logged, not fatal,
// so the merchants' reset keeps working.
func startConsole(cfg config.Config, bdb *bun.DB, log *slog.Logger, hasher *account.Hasher) (stop func()) {
	if cfg.AdminAddr == "" {
		return func() {}
	}
	ln, err := net.Listen("tcp", cfg.AdminAddr)
	if err != nil {
		log.Error("support console not started", "addr", cfg.AdminAddr, "err", err)
		return func() {}
	}
	c := console.New(cfg, bdb, log, time.Now, hasher)
	go func() { _ = c.Handler().Listener(ln) }()
	log.Info("support console", "addr", ln.Addr().String())
	return func() { _ = c.Handler().ShutdownWithTimeout(shutdownTimeout) }
}
