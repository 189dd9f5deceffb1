package cli

import (
	"net"

	"aikagi/app/console"
	"aikagi/app/service"
)

// startConsole serves the support console on ADMIN_ADDR, when set, and
// returns its stop; a console that cannot listen is logged, not fatal,
// so the merchants' reset keeps working.
func startConsole(svc *service.Services) (stop func()) {
	cfg, log := svc.Config, svc.Log
	if cfg.AdminAddr == "" {
		return func() {}
	}
	ln, err := net.Listen("tcp", cfg.AdminAddr)
	if err != nil {
		log.Error("support console not started", "addr", cfg.AdminAddr, "err", err)
		return func() {}
	}
	c := console.New(svc)
	go func() { _ = c.Handler().Listener(ln) }()
	log.Info("support console", "addr", ln.Addr().String())
	return func() { _ = c.Handler().ShutdownWithTimeout(shutdownTimeout) }
}
