package db

import (
	"context"
	"strings"

	"github.com/uptrace/bun"
)

// setTextByID writes a text column of many rows in one statement: a
// backfill computed in Go (NFKC, case folding) costs a statement per
// batch, not one per row.
func setTextByID(ctx context.Context, idb bun.IDB, table, column string, ids []int64, values []string) error {
	if len(ids) == 0 {
		return nil
	}
	var b strings.Builder
	var args []any
	b.WriteString("WITH v (id, value) AS (VALUES ")
	for i := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(CAST(? AS BIGINT), CAST(? AS TEXT))")
		args = append(args, ids[i], values[i])
	}
	b.WriteString(") UPDATE ? SET ? = v.value FROM v WHERE ?.id = v.id")
	args = append(args, bun.Ident(table), bun.Ident(column), bun.Ident(table))
	_, err := idb.NewRaw(b.String(), args...).Exec(ctx)
	return err
}
