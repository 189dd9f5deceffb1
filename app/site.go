package app

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"aikagi/app/recovery"
	"aikagi/app/route"
	"aikagi/views"
)

// site is who runs the service and how to reach its support desk, in l.
func (a *App) site(l views.Lang) views.Site { return recovery.SiteIn(a.cfg.Brand, l) }

// journeyStart is the first page of the journey a request belongs to, for
// an error page's way back.
func journeyStart(c *fiber.Ctx) string {
	switch path := c.Path(); {
	case strings.HasPrefix(path, "/login-id-reminder/"):
		return route.ReminderRequest
	case path == route.Login:
		return route.Login
	}
	return route.Request
}
