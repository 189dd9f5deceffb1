package console

import (
	"bytes"
	"fmt"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"aikagi/app/staff"
	"aikagi/db"
	"aikagi/views"
	vc "aikagi/views/console"
)

// text is the request's wording: ?lang=, else Accept-Language.
func (c *Console) text(ctx *fiber.Ctx) *vc.Text {
	if l, ok := views.ParseLang(ctx.Query("lang")); ok {
		return vc.T(l)
	}
	return vc.T(views.MatchAcceptLanguage(ctx.Get(fiber.HeaderAcceptLanguage)))
}

// render writes screen alone for an htmx request that is not boosted, in
// the layout for anything else.
func (c *Console) render(ctx *fiber.Ctx, status int, title string, screen templ.Component) error {
	nonce, _ := ctx.Locals(localNonce).(string)
	rctx := templ.WithNonce(ctx.UserContext(), nonce)
	page := vc.Page{T: c.text(ctx), Title: title}
	if sess, member := current(ctx); sess != nil && sess.Stage == db.StageFull {
		page.Staff = member.Email
		page.Admin = staff.Can(member.Role, staff.ManageStaff)
	}
	var buf bytes.Buffer
	var err error
	if ctx.Get("HX-Request") == "true" && ctx.Get("HX-Boosted") != "true" {
		err = screen.Render(rctx, &buf)
	} else {
		err = vc.Layout(page).Render(templ.WithChildren(rctx, screen), &buf)
	}
	if err != nil {
		return fmt.Errorf("console: render %s: %w", title, err)
	}
	ctx.Vary("HX-Request")
	ctx.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return ctx.Status(status).Send(buf.Bytes())
}
