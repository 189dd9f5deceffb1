package console

import (
	"strconv"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"aikagi/db"
	vc "aikagi/views/console"
)

const (
	searchLimit    = 20
	maxSearchRunes = 100
)

// searchQuery is q as the search runs it, or "" when there is nothing to
// search for or too much: db.SearchKey, as the accounts' search text.
func searchQuery(q string) string {
	key := db.SearchKey(q)
	if utf8.RuneCountInString(key) > maxSearchRunes {
		return ""
	}
	return key
}

// search finds accounts as the search box is typed into (htmx: the results
// alone) or submitted without JavaScript (the whole page).
func (con *Console) search(c *fiber.Ctx) error {
	t := con.text(c)
	q := c.Query("q")
	v := vc.HomeView{T: t, Query: q}
	if key := searchQuery(q); key != "" {
		hits, err := db.SearchAccounts(c.UserContext(), con.db, key, searchLimit)
		if err != nil {
			return err
		}
		v.Searched = true
		for _, h := range hits {
			v.Hits = append(v.Hits, vc.Hit{Href: accountPath(h.ID), LoginID: h.LoginID, Store: h.StoreName, Email: h.Email})
		}
	}
	if c.Get("HX-Request") == "true" && c.Get("HX-Target") == "results" {
		return con.render(c, fiber.StatusOK, t.SearchTitle, vc.Results(v))
	}
	return con.render(c, fiber.StatusOK, t.SearchTitle, vc.Home(v))
}

// accountPath is the account page of id.
func accountPath(id int64) string { return "/accounts/" + strconv.FormatInt(id, 10) }
