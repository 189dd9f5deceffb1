package console

import (
	"github.com/gofiber/fiber/v2"

	vc "aikagi/views/console"
)

// home is the desk's first page: the search box, then the overview.
func (c *Console) home(ctx *fiber.Ctx) error {
	t := c.text(ctx)
	overview, err := c.overview(ctx.UserContext(), t)
	if err != nil {
		return err
	}
	return c.render(ctx, fiber.StatusOK, t.Home, vc.Home(vc.HomeView{T: t, Overview: overview}))
}
