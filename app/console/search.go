package console

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/text/width"

	"aikagi/app/account"
	"aikagi/db"
	vc "aikagi/views/console"
)

const (
	searchLimit    = 20
	maxSearchRunes = 100
)

// searchPatterns are the forms of a query that SearchAccounts tries: NFKC
// as step 1 normalises (so a full-width query finds a half-width login ID
// or address), lower-cased, and the same widened and narrowed, so that a
// store name stored in either width is found from the other.
func searchPatterns(q string) []string {
	n := strings.ToLower(account.NormalizeEmail(account.NormalizeLoginID(q)))
	if n == "" || utf8.RuneCountInString(n) > maxSearchRunes {
		return nil
	}
	var out []string
	for _, p := range []string{n, width.Widen.String(n), width.Widen.String(strings.ToUpper(n)), width.Narrow.String(n)} {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// search finds accounts as the search box is typed into (htmx: the results
// alone) or submitted without JavaScript (the whole page).
func (c *Console) search(ctx *fiber.Ctx) error {
	t := c.text(ctx)
	q := ctx.Query("q")
	v := vc.HomeView{T: t, Query: q}
	if patterns := searchPatterns(q); patterns != nil {
		hits, err := db.SearchAccounts(ctx.UserContext(), c.db, patterns, searchLimit)
		if err != nil {
			return err
		}
		v.Searched = true
		for _, h := range hits {
			v.Hits = append(v.Hits, vc.Hit{Href: accountPath(h.ID), LoginID: h.LoginID, Store: h.StoreName, Email: h.Email})
		}
	}
	if ctx.Get("HX-Request") == "true" && ctx.Get("HX-Target") == "results" {
		return c.render(ctx, fiber.StatusOK, t.SearchTitle, vc.Results(v))
	}
	return c.render(ctx, fiber.StatusOK, t.SearchTitle, vc.Home(v))
}

// accountPath is the account page of id.
func accountPath(id int64) string { return "/accounts/" + strconv.FormatInt(id, 10) }
