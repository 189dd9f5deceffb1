package console

import (
	"bytes"
	"fmt"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"aikagi/app/staff"
	"aikagi/app/web"
	"aikagi/db"
	"aikagi/views"
	vc "aikagi/views/console"
)

// text is the request's wording: ?lang=, else Accept-Language.
func (con *Console) text(c *fiber.Ctx) *vc.Text {
	if l, ok := views.ParseLang(c.Query("lang")); ok {
		return vc.T(l)
	}
	return vc.T(views.MatchAcceptLanguage(c.Get(fiber.HeaderAcceptLanguage)))
}

// render writes screen alone for an htmx request that is not boosted, in
// the layout for anything else.
func (con *Console) render(c *fiber.Ctx, status int, title string, screen templ.Component) error {
	nonce, _ := web.Nonce(c)
	rctx := templ.WithNonce(c.UserContext(), nonce)
	page := vc.Page{T: con.text(c), Title: title}
	if sess, member := current(c); sess != nil && sess.Stage == db.StageFull {
		page.Staff = member.Email
		page.Admin = staff.Can(member.Role, staff.ManageStaff)
	}
	var buf bytes.Buffer
	var err error
	if web.IsHTMX(c) {
		err = screen.Render(rctx, &buf)
	} else {
		err = vc.Layout(page).Render(templ.WithChildren(rctx, screen), &buf)
	}
	if err != nil {
		return fmt.Errorf("console: render %s: %w", title, err)
	}
	return web.SendPage(c, status, buf.Bytes())
}
