package db_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"aikagi/db"
	"aikagi/db/dbtest"
)

// DeadMails lists only the account's own dead mails, the latest first.
func TestDeadMails(t *testing.T) {
	forEachDialect(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		taro := createAccount(t, bdb, "taro01", "taro@example.jp")
		hana := createAccount(t, bdb, "hana01", "hana@example.jp")
		for i, m := range []struct {
			id      string
			account int64
			dead    bool
		}{
			{"m-old", taro.ID, true},
			{"m-new", taro.ID, true},
			{"m-other", hana.ID, true},
			{"m-pending", taro.ID, false}, // last: the claims above must not take it
		} {
			at := t0.Add(time.Duration(i) * time.Minute)
			if err := db.EnqueueMail(ctx, bdb, &db.OutboxMail{ID: m.id, Kind: "reset_link", AccountID: &m.account, ToAddr: "x@example.jp", Payload: []byte("p")}, at); err != nil {
				t.Fatal(err)
			}
			if !m.dead {
				continue
			}
			rows, err := db.ClaimMail(ctx, bdb, at, time.Minute, 10, dbtest.BatchID())
			if err != nil || len(rows) != 1 {
				t.Fatalf("claim %s: %v, %v", m.id, rows, err)
			}
			if ok, err := db.MarkMailDead(ctx, bdb, m.id, rows[0].Attempts, "550 no such user", at); err != nil || !ok {
				t.Fatal(ok, err)
			}
		}
		rows, err := db.DeadMails(ctx, bdb, taro.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range rows {
			ids = append(ids, r.ID)
			if r.Payload != nil || r.LastError != "550 no such user" || r.DeadAt == nil {
				t.Errorf("%s: payload %q, last error %q, dead at %v", r.ID, r.Payload, r.LastError, r.DeadAt)
			}
		}
		if strings.Join(ids, ",") != "m-new,m-old" {
			t.Errorf("dead mails %v, want m-new,m-old", ids)
		}
	})
}
