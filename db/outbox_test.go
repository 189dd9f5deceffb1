package db_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"aikagi/db"
	"aikagi/db/dbtest"
)

// sentMail queues a mail and records it as sent with providerID.
func sentMail(t *testing.T, bdb *bun.DB, id, providerID string) {
	t.Helper()
	ctx := context.Background()
	if err := db.EnqueueMail(ctx, bdb, &db.OutboxMail{ID: id, Kind: "reset_link", ToAddr: "x@example.jp", Payload: []byte("p")}, t0); err != nil {
		t.Fatal(err)
	}
	rows, err := db.ClaimMail(ctx, bdb, t0, time.Minute, 10, dbtest.BatchID())
	if err != nil || len(rows) != 1 {
		t.Fatalf("claim: %v, %v", rows, err)
	}
	if ok, err := db.MarkMailSent(ctx, bdb, id, rows[0].Attempts, providerID, t0); err != nil || !ok {
		t.Fatal(ok, err)
	}
}

// An event replaces only a less final one, so that repeated and late
// webhooks leave the row right.
func TestRecordDeliveryEvent(t *testing.T) {
	forEachDialect(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		sentMail(t, bdb, "m1", "re-1")
		for i, step := range []struct {
			event   db.DeliveryEvent
			changed bool
			want    db.DeliveryEvent
		}{
			{db.DeliveryDelayed, true, db.DeliveryDelayed},
			{db.DeliveryDelivered, true, db.DeliveryDelivered},
			{db.DeliveryDelivered, false, db.DeliveryDelivered}, // repeated
			{db.DeliveryDelayed, false, db.DeliveryDelivered},   // late
			{db.DeliveryComplained, true, db.DeliveryComplained},
			{db.DeliveryBounced, false, db.DeliveryComplained},
		} {
			row, known, err := db.RecordDeliveryEvent(ctx, bdb, db.MessageRef{ProviderID: "re-1"}, step.event, "detail", t0.Add(time.Duration(i)*time.Minute))
			if err != nil || !known || (row != nil) != step.changed {
				t.Fatalf("step %d (%s): row %+v, err %v; want changed %v", i, step.event, row, err, step.changed)
			}
			if row != nil && (row.ID != "m1" || row.DeliveryEvent != step.event) {
				t.Errorf("step %d: returned %+v", i, row)
			}
			got, _ := db.GetOutboxMail(ctx, bdb, "m1")
			if got.DeliveryEvent != step.want {
				t.Errorf("step %d: row records %q, want %q", i, got.DeliveryEvent, step.want)
			}
		}
		if row, known, err := db.RecordDeliveryEvent(ctx, bdb, db.MessageRef{ProviderID: "re-unknown"}, db.DeliveryBounced, "", t0); row != nil || known || err != nil {
			t.Errorf("unknown provider id: %+v, known %v, %v", row, known, err)
		}
		if row, known, err := db.RecordDeliveryEvent(ctx, bdb, db.MessageRef{OutboxID: "m-unknown", ProviderID: "re-unknown"}, db.DeliveryBounced, "", t0); row != nil || known || err != nil {
			t.Errorf("unknown outbox and provider id: %+v, known %v, %v", row, known, err)
		}
		if _, _, err := db.RecordDeliveryEvent(ctx, bdb, db.MessageRef{ProviderID: "re-1"}, "opened", "", t0); err == nil {
			t.Error("an unknown event was recorded")
		}
	})
}

// A webhook can overtake the worker: the event finds the row by its outbox
// id before the provider's id is stored, and marking the row sent keeps it.
func TestDeliveryEventBeforeMarkedSent(t *testing.T) {
	forEachDialect(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		if err := db.EnqueueMail(ctx, bdb, &db.OutboxMail{ID: "m1", Kind: "reset_link", ToAddr: "x@example.jp", Payload: []byte("p")}, t0); err != nil {
			t.Fatal(err)
		}
		rows, err := db.ClaimMail(ctx, bdb, t0, time.Minute, 10, dbtest.BatchID())
		if err != nil || len(rows) != 1 {
			t.Fatalf("claim: %v, %v", rows, err)
		}
		ref := db.MessageRef{OutboxID: "m1", ProviderID: "re-1"}
		row, known, err := db.RecordDeliveryEvent(ctx, bdb, ref, db.DeliveryBounced, "Permanent/General", t0)
		if err != nil || !known || row == nil || row.ID != "m1" || row.Status != db.OutboxSending {
			t.Fatalf("bounce while sending: %+v, known %v, %v", row, known, err)
		}
		if row, known, err := db.RecordDeliveryEvent(ctx, bdb, ref, db.DeliveryBounced, "Permanent/General", t0); row != nil || !known || err != nil {
			t.Errorf("replayed bounce: %+v, known %v, %v; want known and unchanged", row, known, err)
		}
		if ok, err := db.MarkMailSent(ctx, bdb, "m1", rows[0].Attempts, "re-1", t0); err != nil || !ok {
			t.Fatal(ok, err)
		}
		got, _ := db.GetOutboxMail(ctx, bdb, "m1")
		if got.Status != db.OutboxSent || got.ProviderID != "re-1" || got.DeliveryEvent != db.DeliveryBounced || got.DeliveryDetail != "Permanent/General" {
			t.Errorf("after marking sent: status %s, provider id %q, event %q, detail %q; want sent, re-1, the bounce kept",
				got.Status, got.ProviderID, got.DeliveryEvent, got.DeliveryDetail)
		}
		problems, err := db.ListOutbox(ctx, bdb, db.OutboxFilter{Problems: true})
		if err != nil || len(problems) != 1 || problems[0].ID != "m1" {
			t.Errorf("problems = %+v, %v; want m1", problems, err)
		}
		// A tag naming no row falls back to the provider's id.
		if row, known, err := db.RecordDeliveryEvent(ctx, bdb, db.MessageRef{OutboxID: "gone", ProviderID: "re-1"}, db.DeliveryComplained, "", t0); err != nil || !known || row == nil || row.ID != "m1" {
			t.Errorf("complaint by provider id: %+v, known %v, %v", row, known, err)
		}
	})
}

// A dead row keeps its payload until it expires or the retention passes,
// and can be put back while it has it.
func TestDeadMailRequeueAndPayloads(t *testing.T) {
	forEachDialect(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		expires := t0.Add(30 * time.Minute)
		for _, m := range []*db.OutboxMail{
			{ID: "link", Kind: "reset_link", ToAddr: "x@example.jp", Payload: []byte("p"), ExpiresAt: &expires},
			{ID: "notice", Kind: "password_changed", ToAddr: "x@example.jp", Payload: []byte("p")},
		} {
			if err := db.EnqueueMail(ctx, bdb, m, t0); err != nil {
				t.Fatal(err)
			}
		}
		rows, _ := db.ClaimMail(ctx, bdb, t0, time.Minute, 10, dbtest.BatchID())
		for _, r := range rows {
			if ok, err := db.MarkMailDead(ctx, bdb, r.ID, r.Attempts, "HTTP 422", t0); err != nil || !ok {
				t.Fatal(ok, err)
			}
		}
		if n, err := db.DropStalePayloads(ctx, bdb, t0.Add(29*time.Minute), t0.Add(-time.Hour)); err != nil || n != 0 {
			t.Fatalf("before anything is stale: dropped %d, %v", n, err)
		}
		if n, _ := db.DropStalePayloads(ctx, bdb, t0.Add(30*time.Minute), t0.Add(-time.Hour)); n != 1 {
			t.Fatalf("at the link's expiry: dropped %d, want the link's", n)
		}
		if ok, err := db.RequeueMail(ctx, bdb, "link", t0); ok || err != nil {
			t.Errorf("requeue without a payload = %v, %v", ok, err)
		}
		if ok, err := db.RequeueMail(ctx, bdb, "notice", t0.Add(time.Hour)); !ok || err != nil {
			t.Fatalf("requeue = %v, %v", ok, err)
		}
		due, _ := db.ClaimMail(ctx, bdb, t0.Add(time.Hour), time.Minute, 10, dbtest.BatchID())
		if len(due) != 1 || due[0].ID != "notice" || due[0].Attempts != 1 || due[0].DeadAt != nil {
			t.Fatalf("after requeue: %+v", due)
		}
		if ok, _ := db.RequeueMail(ctx, bdb, "notice", t0.Add(time.Hour)); ok {
			t.Error("a row being sent was requeued")
		}
		if n, _ := db.DropStalePayloads(ctx, bdb, t0.Add(time.Hour), t0.Add(time.Hour)); n != 0 {
			t.Errorf("dropped %d payloads of live rows", n)
		}
	})
}

// A live worker renews its claims and keeps them past the first lease; a
// claim it no longer holds is not renewed.
func TestRenewMailClaims(t *testing.T) {
	forEachDialect(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		for _, id := range []string{"m1", "m2"} {
			if err := db.EnqueueMail(ctx, bdb, &db.OutboxMail{ID: id, Kind: "reset_link", ToAddr: "x@example.jp", Payload: []byte("p")}, t0); err != nil {
				t.Fatal(err)
			}
		}
		const lease = 20 * time.Second
		mine, err := db.ClaimMail(ctx, bdb, t0, lease, 10, dbtest.BatchID())
		if err != nil || len(mine) != 2 {
			t.Fatalf("claim: %v, %v", mine, err)
		}
		// m1 is renewed, m2 (say, its renewal was lost) is not.
		var m1 []db.OutboxMail
		for _, row := range mine {
			if row.ID == "m1" {
				m1 = append(m1, row)
			}
		}
		if ids, err := db.RenewMailClaims(ctx, bdb, m1, t0.Add(15*time.Second+lease)); err != nil || len(ids) != 1 || ids[0] != "m1" {
			t.Fatalf("renew m1 = %v, %v", ids, err)
		}
		// Past the first lease another worker takes over only m2.
		other, err := db.ClaimMail(ctx, bdb, t0.Add(25*time.Second), lease, 10, dbtest.BatchID())
		if err != nil || len(other) != 1 || other[0].ID != "m2" || other[0].Attempts != 2 {
			t.Fatalf("claim after the first lease = %+v, %v; want m2 only", other, err)
		}
		// The first worker renews what it still holds, and only that.
		ids, err := db.RenewMailClaims(ctx, bdb, mine, t0.Add(26*time.Second+lease))
		if err != nil || len(ids) != 1 || ids[0] != "m1" {
			t.Fatalf("renew after the takeover = %v, %v; want m1 only", ids, err)
		}
		if got, _ := db.GetOutboxMail(ctx, bdb, "m2"); got.LockedUntil == nil || !got.LockedUntil.Equal(t0.Add(25*time.Second+lease)) {
			t.Errorf("m2's lease = %v, want the new claim's %v", got.LockedUntil, t0.Add(25*time.Second+lease))
		}
		// A row marked sent is no longer anyone's claim.
		if ok, err := db.MarkMailSent(ctx, bdb, "m1", m1[0].Attempts, "re-1", t0.Add(27*time.Second)); err != nil || !ok {
			t.Fatal(ok, err)
		}
		if ids, err := db.RenewMailClaims(ctx, bdb, mine, t0.Add(28*time.Second+lease)); err != nil || len(ids) != 0 {
			t.Errorf("renew after marking sent = %v, %v; want none", ids, err)
		}
	})
}

// Finished mail older than the cutoff keeps its delivery facts but only a
// masked address; waiting mail and newer mail keep theirs whole.
func TestMaskOldAddresses(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			bdb := dbtest.Open(t, dialect)
			ctx := context.Background()
			sentMail(t, bdb, "old-sent", "re_1")
			if err := db.EnqueueMail(ctx, bdb, &db.OutboxMail{ID: "old-waiting", Kind: "reset_link", ToAddr: "wait@example.jp", Payload: []byte("p")}, t0); err != nil {
				t.Fatal(err)
			}
			n, err := db.MaskOldAddresses(ctx, bdb, t0.Add(time.Hour), 100)
			if err != nil || n != 1 {
				t.Fatalf("masked %d, %v; want the one sent mail", n, err)
			}
			var rows []db.OutboxMail
			if err := bdb.NewSelect().Model(&rows).Order("id").Scan(ctx); err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, r := range rows {
				got[r.ID] = r.ToAddr
			}
			if got["old-sent"] != "x***@example.jp" || got["old-waiting"] != "wait@example.jp" {
				t.Errorf("addresses after masking: %v", got)
			}
			if n, _ := db.MaskOldAddresses(ctx, bdb, t0.Add(time.Hour), 100); n != 0 {
				t.Errorf("masked %d again", n)
			}
		})
	}
}

func TestOutboxClaimSendRetry(t *testing.T) {
	forEachDialect(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		a := createAccount(t, bdb, "taro", "taro@example.jp")
		m := &db.OutboxMail{ID: "mail-1", Kind: "reset_link", AccountID: &a.ID, ToAddr: a.Email, Payload: []byte("sealed")}
		if err := db.EnqueueMail(ctx, bdb, m, t0); err != nil {
			t.Fatal(err)
		}

		claimed, err := db.ClaimMail(ctx, bdb, t0, time.Minute, 10, dbtest.BatchID())
		if err != nil || len(claimed) != 1 || claimed[0].Attempts != 1 || claimed[0].Status != db.OutboxSending || string(claimed[0].Payload) != "sealed" {
			t.Fatalf("first claim = %+v, %v", claimed, err)
		}
		// Leased: nobody else gets it until the lease runs out.
		if again, _ := db.ClaimMail(ctx, bdb, t0.Add(30*time.Second), time.Minute, 10, dbtest.BatchID()); len(again) != 0 {
			t.Fatalf("a leased row was claimed again: %+v", again)
		}
		// A worker that died: the lease expires and another takes over.
		again, err := db.ClaimMail(ctx, bdb, t0.Add(2*time.Minute), time.Minute, 10, dbtest.BatchID())
		if err != nil || len(again) != 1 || again[0].Attempts != 2 {
			t.Fatalf("claim after lease expiry = %+v, %v", again, err)
		}

		// The first worker outlived its lease: its outcome no longer counts.
		if ok, err := db.MarkMailSent(ctx, bdb, "mail-1", 1, "provider-late", t0.Add(2*time.Minute)); err != nil || ok {
			t.Fatalf("stale claim marked sent = %v, %v; want refused", ok, err)
		}
		if ok, err := db.RetryMailLater(ctx, bdb, "mail-1", 2, "HTTP 503", t0.Add(10*time.Minute)); err != nil || !ok {
			t.Fatal(ok, err)
		}
		if early, _ := db.ClaimMail(ctx, bdb, t0.Add(5*time.Minute), time.Minute, 10, dbtest.BatchID()); len(early) != 0 {
			t.Fatal("a row was retried before its next attempt time")
		}
		due, _ := db.ClaimMail(ctx, bdb, t0.Add(10*time.Minute), time.Minute, 10, dbtest.BatchID())
		if len(due) != 1 || due[0].LastError != "HTTP 503" {
			t.Fatalf("retry claim = %+v", due)
		}
		if ok, err := db.MarkMailSent(ctx, bdb, "mail-1", 3, "provider-42", t0.Add(10*time.Minute)); err != nil || !ok {
			t.Fatal(ok, err)
		}
		rows, err := db.ListOutbox(ctx, bdb, db.OutboxFilter{Limit: 10})
		if err != nil || len(rows) != 1 {
			t.Fatalf("list: %+v %v", rows, err)
		}
		var payload []byte
		if err := bdb.NewSelect().Table("outbox").Column("payload").Where("id = ?", "mail-1").Scan(ctx, &payload); err != nil {
			t.Fatal(err)
		}
		if r := rows[0]; r.Status != db.OutboxSent || r.ProviderID != "provider-42" || r.SentAt == nil || payload != nil || r.LoginID != "taro" {
			t.Fatalf("after send: %+v payload=%q", r, payload)
		}
		if none, _ := db.ClaimMail(ctx, bdb, t0.Add(time.Hour), time.Minute, 10, dbtest.BatchID()); len(none) != 0 {
			t.Fatal("a sent row was claimed")
		}
	})
}

// Two workers claiming at once never get the same row.
func TestOutboxConcurrentClaimsAreDisjoint(t *testing.T) {
	forEachDialect(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		const rows = 40
		for i := range rows {
			m := &db.OutboxMail{ID: "m" + string(rune('A'+i)), Kind: "reset_link", ToAddr: "x@example.jp", Payload: []byte("p")}
			if err := db.EnqueueMail(ctx, bdb, m, t0); err != nil {
				t.Fatal(err)
			}
		}
		var mu sync.Mutex
		seen := map[string]int{}
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					got, err := db.ClaimMail(ctx, bdb, t0, time.Minute, 3, dbtest.BatchID())
					if err != nil {
						t.Error(err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, r := range got {
						seen[r.ID]++
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(seen) != rows {
			t.Errorf("claimed %d distinct rows, want %d", len(seen), rows)
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("row %s claimed %d times", id, n)
			}
		}
	})
}

func TestReleaseMailHandsBackUncounted(t *testing.T) {
	forEachDialect(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		if err := db.EnqueueMail(ctx, bdb, &db.OutboxMail{ID: "r1", Kind: "reset_link", ToAddr: "x@example.jp", Payload: []byte("p")}, t0); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.ClaimMail(ctx, bdb, t0, time.Hour, 1, dbtest.BatchID()); len(got) != 1 {
			t.Fatal("not claimed")
		}
		if ok, err := db.ReleaseMail(ctx, bdb, "r1", 1, t0, false, ""); err != nil || !ok {
			t.Fatal(ok, err)
		}
		got, _ := db.ClaimMail(ctx, bdb, t0, time.Hour, 1, dbtest.BatchID())
		if len(got) != 1 || got[0].Attempts != 1 {
			t.Fatalf("after hand-back: %+v (want claimable at once, attempt count unchanged)", got)
		}
	})
}
