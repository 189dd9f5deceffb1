package db

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
)

// SealedColumn is a column that holds payloads sealed with SECRET_KEY
// (secret.Sealer), which a key rotation seals again under the new key.
type SealedColumn struct {
	Table, Column string
	// Bind is what the seal of a row binds to, from the row's id: the id
	// itself, or a name made of it.
	Bind func(id string) string
}

// StaffTOTPSealPrefix and the member's id name what a staff member's TOTP
// secret is sealed for (app/staff seals it, rekey seals it again).
const StaffTOTPSealPrefix = "staff-totp:"

// SealedColumns lists every column sealed at rest: queued mail, recorded
// step 3 requests, and staff members' TOTP secrets.
var SealedColumns = []SealedColumn{
	{Table: "outbox", Column: "payload", Bind: func(id string) string { return id }},
	{Table: "intake_requests", Column: "payload", Bind: func(id string) string { return id }},
	{Table: "staff", Column: "totp_sealed", Bind: func(id string) string { return StaffTOTPSealPrefix + id }},
}

// SealedValue is one sealed payload and the id of its row, as text.
type SealedValue struct {
	ID      string `bun:"id"`
	Payload []byte `bun:"payload"`
}

// SealedAfter returns up to limit sealed payloads of c whose row id, as
// text, sorts after after, in that order.
func SealedAfter(ctx context.Context, idb bun.IDB, c SealedColumn, after string, limit int) ([]SealedValue, error) {
	var rows []SealedValue
	err := idb.NewRaw("SELECT CAST(id AS TEXT) AS id, ? AS payload FROM ? WHERE ? IS NOT NULL AND CAST(id AS TEXT) > ? ORDER BY CAST(id AS TEXT) LIMIT ?",
		bun.Ident(c.Column), bun.Ident(c.Table), bun.Ident(c.Column), after, limit).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("db: sealed %s.%s: %w", c.Table, c.Column, err)
	}
	return rows, nil
}

// ReplaceSealed puts resealed in place of old in the row id of c, unless
// the row changed meanwhile (a worker sent the mail and dropped it). It
// reports whether it replaced it.
func ReplaceSealed(ctx context.Context, idb bun.IDB, c SealedColumn, id string, old, resealed []byte) (bool, error) {
	res, err := idb.NewRaw("UPDATE ? SET ? = ? WHERE CAST(id AS TEXT) = ? AND ? = ?",
		bun.Ident(c.Table), bun.Ident(c.Column), resealed, id, bun.Ident(c.Column), old).Exec(ctx)
	return changedOne(res, err, "reseal "+c.Table)
}
