package db

import (
	"context"
	"fmt"
	"strings"
	"time"

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

// SearchAccounts finds up to limit accounts whose login ID, address or
// store name contains any of patterns (the forms of one query the caller
// made: normalised, lower-cased, in either width), by login ID. Patterns
// are matched literally: % and _ are escaped.
//
// Login IDs and addresses are stored NFKC-normalised, so only a pattern
// that NFKC leaves as it is can occur in them; the other forms (full-width
// letters, half-width kana) are tried on store names alone, which keep the
// width they were typed in. Leaving out the comparisons that can never
// match makes a search that reads the accounts in login-ID order (a
// fragment many accounts share, or no usable index) about a third
// cheaper (BENCHMARKS.md, "Support console").
func SearchAccounts(ctx context.Context, idb bun.IDB, patterns []string, limit int) ([]AccountHit, error) {
	var hits []AccountHit
	q := idb.NewSelect().Table("accounts").Column("id", "login_id", "email", "store_name", "disabled_at").
		OrderExpr("login_id").Limit(limit)
	q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
		for _, p := range patterns {
			like := "%" + escapeLike(p) + "%"
			if norm.NFKC.String(p) == p {
				q = q.WhereOr(`lower(login_id) LIKE ? ESCAPE '\'`, like).
					WhereOr(`email_key LIKE ? ESCAPE '\'`, like)
			}
			q = q.WhereOr(`lower(store_name) LIKE ? ESCAPE '\'`, like)
		}
		return q
	})
	if err := q.Scan(ctx, &hits); err != nil {
		return nil, fmt.Errorf("db: search accounts: %w", err)
	}
	return hits, nil
}

// escapeLike makes s match itself in a LIKE pattern with ESCAPE '\'.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
