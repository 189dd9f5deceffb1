package app

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"aikagi/app/problem"
	"aikagi/app/web"
	"aikagi/views"
)

// render writes a screen, as a fragment or a full page (see renderBytes).
func (a *App) render(c *fiber.Ctx, status int, title string, screen templ.Component) error {
	body, err := a.renderBytes(c, a.nonce(c), title, screen)
	if err != nil {
		return err
	}
	return web.SendPage(c, status, body)
}

// renderStatic is render for a screen that depends on nothing but the
// language and whether htmx asked: step 1. It is rendered once per key with
// a placeholder nonce, which each response swaps for its own.
func (a *App) renderStatic(c *fiber.Ctx, key, title string, screen func() templ.Component) error {
	key = fmt.Sprintf("%s|%s|%t", key, a.lang(c), web.IsHTMX(c))
	a.pagesMu.RLock()
	parts, ok := a.pages[key]
	a.pagesMu.RUnlock()
	if !ok {
		body, err := a.renderBytes(c, noncePlaceholder, title, screen())
		if err != nil {
			return err
		}
		parts = bytes.Split(body, []byte(noncePlaceholder))
		a.pagesMu.Lock()
		a.pages[key] = parts
		a.pagesMu.Unlock()
	}
	nonce := []byte(a.nonce(c))
	web.SetPageHeaders(c, fiber.StatusOK)
	res := c.Response()
	res.ResetBody()
	res.AppendBody(parts[0]) // copies: the cached parts are shared
	for _, part := range parts[1:] {
		res.AppendBody(nonce)
		res.AppendBody(part)
	}
	return nil
}

// noncePlaceholder stands for the nonce in cached pages; it needs no
// escaping anywhere and cannot occur otherwise.
const noncePlaceholder = "n0nc3Pl4c3h0ld3rXq7"

// renderBytes renders the fragment alone for an htmx request that is not
// boosted (it replaces #flow), the full layout for anything else.
func (a *App) renderBytes(c *fiber.Ctx, nonce, title string, screen templ.Component) ([]byte, error) {
	page := views.Page{T: views.T(a.lang(c)), Title: title, Site: a.site(a.lang(c)), FrameOrigins: a.frameOrigins}
	ctx := templ.WithNonce(c.UserContext(), nonce)
	var buf bytes.Buffer
	var err error
	if web.IsHTMX(c) {
		if err = views.FragmentTitle(page).Render(ctx, &buf); err == nil {
			err = screen.Render(ctx, &buf)
		}
	} else {
		err = views.Layout(page).Render(templ.WithChildren(ctx, screen), &buf)
	}
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", title, err)
	}
	return buf.Bytes(), nil
}

// problemError is a request that cannot go on, with what to tell the user.
type problemError struct {
	status  int
	problem problem.Problem
	err     error
	wait    time.Duration // how long until trying again can work, when known
}

func (e *problemError) Error() string {
	if e.err != nil {
		return fmt.Sprintf("%d %s: %v", e.status, e.problem, e.err)
	}
	return fmt.Sprintf("%d %s", e.status, e.problem)
}

func (e *problemError) Unwrap() error { return e.err }

// refuse makes an error the error handler renders as p with status.
func refuse(status int, p problem.Problem, err error) error {
	return &problemError{status: status, problem: p, err: err}
}

// handleError is the one place errors become responses: a page (or
// fragment) in the request's language, never a stack trace.
func (a *App) handleError(c *fiber.Ctx, err error) error {
	var le *linkError
	if errors.As(err, &le) {
		return a.showLinkProblem(c, le)
	}
	status, prob := fiber.StatusInternalServerError, problem.ServerError
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
	view := views.ErrorView{T: t, Problem: prob, Site: a.site(t.Lang), Back: journeyStart(c)}
	if pe != nil && pe.wait > 0 {
		view.Wait = pe.wait
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int((pe.wait+time.Second-1)/time.Second)))
	}
	return a.render(c, status, t.ProblemTitle(prob), views.ErrorPage(view))
}

func problemForStatus(status int) problem.Problem {
	switch status {
	case fiber.StatusNotFound:
		return problem.NotFound
	case fiber.StatusMethodNotAllowed:
		return problem.MethodNotAllowed
	case fiber.StatusRequestEntityTooLarge:
		return problem.BodyTooLarge
	case fiber.StatusUnsupportedMediaType:
		return problem.UnsupportedMedia
	case fiber.StatusTooManyRequests:
		return problem.TooManyRequests
	}
	if status >= 400 && status < 500 {
		return problem.BadForm
	}
	return problem.ServerError
}
