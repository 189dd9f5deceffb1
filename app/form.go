package app

import (
	"errors"
	"mime"
	"net/url"
	"strings"
	"unicode/utf8"

	"aikagi/app/problem"

	"github.com/gofiber/fiber/v2"
)

// maxBodyBytes is far above any form of ours and small enough that nobody
// can make us buffer much.
const maxBodyBytes = 16 << 10

// parseForm reads a urlencoded body strictly: the content type must be a
// form, the body valid UTF-8, and each required field present exactly once.
// Anything else is refused with a 4xx before it can change anything. Other
// fields sent once are returned too; repeated ones are left out.
func parseForm(c *fiber.Ctx, required ...string) (map[string]string, error) {
	mediaType, params, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err != nil || mediaType != fiber.MIMEApplicationForm {
		return nil, refuse(fiber.StatusUnsupportedMediaType, problem.UnsupportedMedia, errors.New("form: content type"))
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return nil, refuse(fiber.StatusUnsupportedMediaType, problem.UnsupportedMedia, errors.New("form: charset"))
	}
	values, err := url.ParseQuery(string(c.Body()))
	if err != nil {
		return nil, refuse(fiber.StatusBadRequest, problem.BadForm, err)
	}
	for _, name := range required {
		if len(values[name]) != 1 {
			return nil, refuse(fiber.StatusBadRequest, problem.BadForm, errors.New("form: missing or repeated field "+name))
		}
	}
	out := make(map[string]string, len(values))
	for name, vs := range values {
		for _, v := range vs {
			if !utf8.ValidString(name) || !utf8.ValidString(v) {
				return nil, refuse(fiber.StatusBadRequest, problem.BadForm, errors.New("form: invalid UTF-8"))
			}
		}
		if len(vs) == 1 {
			out[name] = vs[0]
		}
	}
	return out, nil
}
