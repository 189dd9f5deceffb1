package app

import (
	"github.com/gofiber/fiber/v2"

	"aikagi/app/config"
	"aikagi/views"
)

// serveEmbedScript is the script help-center editors paste beside the
// iframe. Other sites load it, so it is the one resource served to them.
func (a *App) serveEmbedScript(c *fiber.Ctx) error {
	c.Set("Cross-Origin-Resource-Policy", "cross-origin")
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	c.Set(fiber.HeaderContentType, "text/javascript; charset=utf-8")
	return c.SendString(a.embedScript)
}

// DemoHelpCenter is a stand-in for the help center, for development only:
// an article on another origin that embeds steps 1–3 the way an editor
// would, under a CSP of its own.
func DemoHelpCenter(cfg config.Config) *fiber.App {
	demo := fiber.New(fiber.Config{DisableStartupMessage: true})
	appOrigin := cfg.Origin()
	demo.Get("/", func(c *fiber.Ctx) error {
		lang, _ := views.ParseLang(c.Query("lang"))
		c.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; script-src "+appOrigin+"; frame-src "+appOrigin)
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		return views.DemoHelpCenter(views.T(lang), appOrigin).Render(c.UserContext(), c.Response().BodyWriter())
	})
	return demo
}
