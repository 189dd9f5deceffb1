package app

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"aikagi/db"
)

// healthz says the process is alive.
func (a *App) healthz(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.SendString("ok\n")
}

// readyz says the database answers and has every migration this binary
// expects.
func (a *App) readyz(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	if a.draining.Load() {
		return c.Status(fiber.StatusServiceUnavailable).SendString("shutting down\n")
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	if err := a.db.PingContext(ctx); err != nil {
		a.log.Warn("readyz: database unreachable", "err", err)
		return c.Status(fiber.StatusServiceUnavailable).SendString("database unreachable\n")
	}
	pending, err := db.PendingMigrations(ctx, a.db)
	if err != nil || len(pending) > 0 {
		a.log.Warn("readyz: migrations not current", "pending", pending, "err", err)
		return c.Status(fiber.StatusServiceUnavailable).SendString("database migrations pending\n")
	}
	return c.SendString("ok\n")
}
