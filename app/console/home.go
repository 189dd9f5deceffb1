package console

import (
	"github.com/gofiber/fiber/v2"

	vc "aikagi/views/console"
)

// home is the desk's first page: the search box, then the overview.
func (con *Console) home(c *fiber.Ctx) error {
	t := con.text(c)
	overview, err := con.overview(c.UserContext(), t)
	if err != nil {
		return err
	}
	return con.render(c, fiber.StatusOK, t.Home, vc.Home(vc.HomeView{T: t, Overview: overview}))
}
