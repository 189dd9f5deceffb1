package console

import (
	"github.com/gofiber/fiber/v2"

	vc "aikagi/views/console"
)

// home is the desk's first page.
func (c *Console) home(ctx *fiber.Ctx) error {
	t := c.text(ctx)
	return c.render(ctx, fiber.StatusOK, t.Home, vc.Home(vc.HomeView{T: t}))
}
