package app

import (
	"github.com/gofiber/fiber/v2"
)

// healthz says the process is alive.
func (a *App) healthz(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.SendString("ok\n")
}

// readyz says this instance takes requests: it has started and is not
// draining for shutdown. It never asks the shared database: an outage
// would fail every instance's probe at once, and the balancer would pull
// them all, step 1 (which needs no database) and the page that asks to
// press 送信する again included. aikagi_database_up and its alert tell
// of the database.
func (a *App) readyz(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	if a.draining.Load() {
		return c.Status(fiber.StatusServiceUnavailable).SendString("shutting down\n")
	}
	return c.SendString("ok\n")
}
