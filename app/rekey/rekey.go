// Package rekey completes a rotation of SECRET_KEY: it seals again, under
// the current key, whatever is still sealed at rest under a key of
// SECRET_KEYS_OLD — queued mail, recorded step 3 requests, staff members'
// TOTP secrets (db.SealedColumns) — so that once a pass finds nothing left,
// the old keys can be removed without a mail, a request or a staff sign-in
// failing.
package rekey

import (
	"context"
	"log/slog"
	"time"

	"github.com/uptrace/bun"

	"aikagi/app/metrics"
	"aikagi/app/secret"
	"aikagi/db"
)

// Every is how often a pass runs while this instance knows old keys:
// during a rotation other instances may still seal under the old key
// until they restart with the new one.
const Every = time.Minute

// batch bounds the rows one query reads.
const batch = 200

// Resealer runs the passes.
type Resealer struct {
	db      *bun.DB
	log     *slog.Logger
	sealer  *secret.Sealer
	metrics *metrics.Metrics
}

// New returns a Resealer.
func New(bdb *bun.DB, log *slog.Logger, sealer *secret.Sealer, m *metrics.Metrics) *Resealer {
	return &Resealer{db: bdb, log: log, sealer: sealer, metrics: m}
}

// Run passes over every sealed column at once and then every Every, while
// SECRET_KEYS_OLD is set, until ctx ends.
func (r *Resealer) Run(ctx context.Context) {
	if !r.sealer.Rotating() {
		r.metrics.ResealLeft.Set(0)
		return
	}
	ticker := time.NewTicker(Every)
	defer ticker.Stop()
	for {
		r.Pass(ctx)
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// Pass seals again what it finds under an old key, and reports how many
// it re-sealed and how many it left under an old key (a row that changed
// meanwhile, or a database error: the next pass tries again). Payloads no
// key of this instance opens are not its to re-seal, and are left alone.
func (r *Resealer) Pass(ctx context.Context) (resealed, left int) {
	for _, c := range db.SealedColumns {
		n, l := r.column(ctx, c)
		resealed, left = resealed+n, left+l
	}
	r.metrics.Resealed.Add(float64(resealed))
	r.metrics.ResealLeft.Set(float64(left))
	if left == 0 {
		r.log.Info("rekey: nothing is left sealed under SECRET_KEYS_OLD as far as this instance sees; once every instance has the new SECRET_KEY and FORM_TTL has passed, SECRET_KEYS_OLD can go",
			"resealed", resealed)
	} else {
		r.log.Warn("rekey: some payloads are still sealed under SECRET_KEYS_OLD; the next pass tries again", "resealed", resealed, "left", left)
	}
	return resealed, left
}

func (r *Resealer) column(ctx context.Context, c db.SealedColumn) (resealed, left int) {
	after := ""
	for ctx.Err() == nil {
		rows, err := db.SealedAfter(ctx, r.db, c, after, batch)
		if err != nil {
			r.log.Error("rekey: read", "table", c.Table, "err", err)
			return resealed, left + 1
		}
		for _, row := range rows {
			after = row.ID
			again, err := r.sealer.Reseal(c.Bind(row.ID), row.Payload)
			if err != nil || again == nil {
				continue // under the current key, or not this instance's to open
			}
			ok, err := db.ReplaceSealed(ctx, r.db, c, row.ID, row.Payload, again)
			switch {
			case err != nil:
				r.log.Error("rekey: write", "table", c.Table, "err", err)
				left++
			case ok:
				resealed++
			}
		}
		if len(rows) < batch {
			break
		}
	}
	return resealed, left
}
