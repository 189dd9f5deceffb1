package db

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/uptrace/bun"
	"golang.org/x/text/unicode/norm"
)

// AccountHit is an account as the console's search lists it.
type AccountHit struct {
	ID         int64      `bun:"id"`
	LoginID    string     `bun:"login_id"`
	Email      string     `bun:"email"`
	StoreName  string     `bun:"store_name"`
	DisabledAt *time.Time `bun:"disabled_at"`
}

// searchSeparator joins the fields of search_text; SearchKey removes it
// from queries, so a query never matches across two fields.
const searchSeparator = "\x1f" // the unit separator

// SearchKey is the form accounts are searched in: NFKC (full-width
// letters and digits become ASCII, half-width kana full-width) and
// lower-cased, without control characters. Both the stored search_text
// and every query go through it, so width and case never matter.
func SearchKey(s string) string {
	s = strings.ToLower(norm.NFKC.String(s))
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s))
}

// searchText is an account's search_text: its login ID, address and store
// name, each a SearchKey.
func searchText(loginID, email, storeName string) string {
	return strings.Join([]string{SearchKey(loginID), SearchKey(email), SearchKey(storeName)}, searchSeparator)
}

// SearchAccounts finds up to limit accounts whose login ID, address or
// store name contains query (partial; any width or case), by login ID. The
// query is matched literally: % and _ are escaped.
func SearchAccounts(ctx context.Context, idb bun.IDB, query string, limit int) ([]AccountHit, error) {
	key := SearchKey(query)
	if key == "" {
		return nil, nil
	}
	var hits []AccountHit
	err := idb.NewSelect().Table("accounts").Column("id", "login_id", "email", "store_name", "disabled_at").
		Where(`search_text LIKE ? ESCAPE '\'`, "%"+escapeLike(key)+"%").
		OrderExpr("login_id").Limit(limit).Scan(ctx, &hits)
	if err != nil {
		return nil, fmt.Errorf("db: search accounts: %w", err)
	}
	return hits, nil
}

// FillSearchText gives the accounts written before search_text existed
// theirs, batch at a time, and returns how many it filled. Migrate runs it.
func FillSearchText(ctx context.Context, idb bun.IDB, batch int) (int, error) {
	filled := 0
	for {
		var rows []Account
		if err := idb.NewSelect().Model(&rows).Column("id", "login_id", "email", "store_name").
			Where("search_text IS NULL").OrderExpr("id").Limit(batch).Scan(ctx); err != nil {
			return filled, fmt.Errorf("db: fill search text: %w", err)
		}
		ids, texts := make([]int64, len(rows)), make([]string, len(rows))
		for i, a := range rows {
			ids[i], texts[i] = a.ID, searchText(a.LoginID, a.Email, a.StoreName)
		}
		if err := setTextByID(ctx, idb, "accounts", "search_text", ids, texts); err != nil {
			return filled, fmt.Errorf("db: fill search text: %w", err)
		}
		filled += len(rows)
		if len(rows) < batch {
			return filled, nil
		}
	}
}

// escapeLike makes s match itself in a LIKE pattern with ESCAPE '\'.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// refreshSearchText recomputes account id's search_text after a change of
// its address or store name.
func refreshSearchText(ctx context.Context, idb bun.IDB, id int64) error {
	var a Account
	if err := idb.NewSelect().Model(&a).Column("login_id", "email", "store_name").Where("id = ?", id).Scan(ctx); err != nil {
		return fmt.Errorf("db: refresh search text: %w", err)
	}
	_, err := idb.NewUpdate().Model((*Account)(nil)).Set("search_text = ?", searchText(a.LoginID, a.Email, a.StoreName)).Where("id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("db: refresh search text: %w", err)
	}
	return nil
}
