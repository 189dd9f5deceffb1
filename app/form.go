package app

import (
	"errors"
	"mime"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"aikagi/views"
)

// maxBodyBytes is far above any form of ours and small enough that nobody
// can make us buffer much.
const maxBodyBytes = 16 << 10

// parseForm reads a urlencoded body strictly: the content type must be a
// form, the body valid UTF-8, and each named field present exactly once.
// Anything else is refused with a 4xx before it can change anything.
func parseForm(c *fiber.Ctx, fields ...string) (map[string]string, error) {
	mediaType, params, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err != nil || mediaType != fiber.MIMEApplicationForm {
		return nil, problem(fiber.StatusUnsupportedMediaType, views.UnsupportedMedia, errors.New("form: content type"))
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return nil, problem(fiber.StatusUnsupportedMediaType, views.UnsupportedMedia, errors.New("form: charset"))
	}
	values, err := url.ParseQuery(string(c.Body()))
	if err != nil {
		return nil, problem(fiber.StatusBadRequest, views.BadForm, err)
	}
	out := make(map[string]string, len(fields))
	for _, name := range fields {
		vs := values[name]
		if len(vs) != 1 {
			return nil, problem(fiber.StatusBadRequest, views.BadForm, errors.New("form: missing or repeated field "+name))
		}
		if !utf8.ValidString(vs[0]) {
			return nil, problem(fiber.StatusBadRequest, views.BadForm, errors.New("form: invalid UTF-8 in "+name))
		}
		out[name] = vs[0]
	}
	return out, nil
}
