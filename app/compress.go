package app

import (
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"
)

// compressPages compresses pages (Brotli or gzip, at the fastest level: the
// pages are small and mostly markup). Assets are compressed once, ahead, by
// web.ServeAsset.
var compressPagesHandler = compress.New(compress.Config{
	Level: compress.LevelBestSpeed,
	Next: func(c *fiber.Ctx) bool {
		return strings.HasPrefix(c.Path(), "/assets/")
	},
})

func (a *App) compressPages(c *fiber.Ctx) error { return compressPagesHandler(c) }
