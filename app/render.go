package app

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"aikagi/views"
)

// render writes a screen: the fragment alone for an htmx request that is not
// boosted (it replaces #flow), the full layout for anything else.
func (a *App) render(c *fiber.Ctx, status int, title string, screen templ.Component) error {
	page := views.Page{T: views.T(a.lang(c)), Title: title, SiteName: a.cfg.SiteName, FrameOrigins: strings.Join(a.cfg.FrameAncestors, " ")}
	ctx := templ.WithNonce(c.UserContext(), a.nonce(c))
	var buf bytes.Buffer
	var err error
	if isHTMX(c) {
		if err = views.FragmentTitle(page).Render(ctx, &buf); err == nil {
			err = screen.Render(ctx, &buf)
		}
	} else {
		err = views.Layout(page).Render(templ.WithChildren(ctx, screen), &buf)
	}
	if err != nil {
		return fmt.Errorf("render %s: %w", title, err)
	}
	c.Vary("HX-Request")
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Status(status).Send(buf.Bytes())
}

func isHTMX(c *fiber.Ctx) bool {
	return c.Get("HX-Request") == "true" && c.Get("HX-Boosted") != "true"
}

// problemError is a request that cannot go on, with what to tell the user.
type problemError struct {
	status  int
	problem views.Problem
	err     error
}

func (e *problemError) Error() string {
	if e.err != nil {
		return fmt.Sprintf("%d %s: %v", e.status, e.problem, e.err)
	}
	return fmt.Sprintf("%d %s", e.status, e.problem)
}

func (e *problemError) Unwrap() error { return e.err }

func problem(status int, p views.Problem, err error) error {
	return &problemError{status: status, problem: p, err: err}
}

// handleError is the one place errors become responses: a page (or
// fragment) in the request's language, never a stack trace.
func (a *App) handleError(c *fiber.Ctx, err error) error {
	status, prob := fiber.StatusInternalServerError, views.ServerError
	var pe *problemError
	var fe *fiber.Error
	switch {
	case errors.As(err, &pe):
		status, prob = pe.status, pe.problem
	case errors.As(err, &fe):
		status, prob = fe.Code, problemForStatus(fe.Code)
	}
	if status >= 500 {
		a.log.ErrorContext(c.UserContext(), "request failed",
			"request_id", c.Locals(localRequestID), "path", redactURL(string(c.Request().URI().RequestURI())), "err", err)
	}
	if status == fiber.StatusMethodNotAllowed {
		c.Set(fiber.HeaderAllow, "GET, HEAD, POST")
	}
	t := views.T(a.lang(c))
	return a.render(c, status, t.ProblemTitle(prob), views.ErrorPage(views.ErrorView{T: t, Problem: prob}))
}

func problemForStatus(status int) views.Problem {
	switch status {
	case fiber.StatusNotFound:
		return views.NotFound
	case fiber.StatusMethodNotAllowed:
		return views.MethodNotAllowed
	case fiber.StatusRequestEntityTooLarge:
		return views.BodyTooLarge
	case fiber.StatusUnsupportedMediaType:
		return views.UnsupportedMedia
	case fiber.StatusTooManyRequests:
		return views.TooManyRequests
	}
	if status >= 400 && status < 500 {
		return views.BadForm
	}
	return views.ServerError
}
