package db_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"aikagi/db"
)

func TestResetTokenStoredHashedAndExpires(t *testing.T) {
	forEachDialect(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		a := createAccount(t, bdb, "taro", "taro@example.jp")
		raw := "raw-token-value-that-must-not-be-stored"
		if _, err := db.CreateResetToken(ctx, bdb, a.ID, hash(raw), t0, 30*time.Minute, "192.0.2.1"); err != nil {
			t.Fatal(err)
		}

		var stored [][]byte
		if err := bdb.NewSelect().Table("reset_tokens").Column("token_hash").Scan(ctx, &stored); err != nil {
			t.Fatal(err)
		}
		if len(stored) != 1 || !bytes.Equal(stored[0], hash(raw)) || bytes.Contains(stored[0], []byte(raw)) {
			t.Fatalf("stored token_hash = %x, want the SHA-256 of the token only", stored)
		}

		tok, err := db.LookupResetToken(ctx, bdb, hash(raw))
		if err != nil || tok == nil {
			t.Fatalf("lookup: %v, %v", tok, err)
		}
		if !tok.ExpiresAt.Equal(t0.Add(30 * time.Minute)) {
			t.Errorf("expires at %v, want %v", tok.ExpiresAt, t0.Add(30*time.Minute))
		}
		for _, tc := range []struct {
			at   time.Time
			want db.TokenState
		}{
			{t0, db.TokenValid},
			{t0.Add(29*time.Minute + 59*time.Second), db.TokenValid},
			{t0.Add(30 * time.Minute), db.TokenExpired},
			{t0.Add(2 * time.Hour), db.TokenExpired},
		} {
			if got := tok.State(tc.at); got != tc.want {
				t.Errorf("state at %v = %v, want %v", tc.at.Sub(t0), got, tc.want)
			}
		}
		if tok, _ := db.LookupResetToken(ctx, bdb, hash("other")); tok.State(t0) != db.TokenUnknown {
			t.Error("an unknown token is not reported as unknown")
		}

		// An expired token cannot be consumed; the database decides, not Go.
		if _, ok, err := db.ConsumeResetToken(ctx, bdb, hash(raw), t0.Add(31*time.Minute)); err != nil || ok {
			t.Fatalf("consumed an expired token: ok=%v err=%v", ok, err)
		}
		id, ok, err := db.ConsumeResetToken(ctx, bdb, hash(raw), t0.Add(time.Minute))
		if err != nil || !ok || id != a.ID {
			t.Fatalf("consume valid token: id=%d ok=%v err=%v", id, ok, err)
		}
		if _, ok, _ := db.ConsumeResetToken(ctx, bdb, hash(raw), t0.Add(2*time.Minute)); ok {
			t.Fatal("a token was consumed twice")
		}
		tok, _ = db.LookupResetToken(ctx, bdb, hash(raw))
		if tok.State(t0.Add(3*time.Minute)) != db.TokenUsed {
			t.Errorf("state after use = %v, want used", tok.State(t0))
		}
	})
}

func TestNewTokenRevokesOlderOnes(t *testing.T) {
	forEachDialect(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		a := createAccount(t, bdb, "taro", "taro@example.jp")
		b := createAccount(t, bdb, "hanako", "hanako@example.jp")
		for _, tok := range []struct {
			acct  *db.Account
			token string
			at    time.Time
		}{
			{a, "first", t0},
			{b, "other-account", t0},
			{a, "second", t0.Add(time.Minute)},
		} {
			if _, err := db.CreateResetToken(ctx, bdb, tok.acct.ID, hash(tok.token), tok.at, 30*time.Minute, ""); err != nil {
				t.Fatal(err)
			}
		}
		now := t0.Add(2 * time.Minute)
		for token, want := range map[string]db.TokenState{
			"first":         db.TokenRevoked,
			"second":        db.TokenValid,
			"other-account": db.TokenValid,
		} {
			tok, err := db.LookupResetToken(ctx, bdb, hash(token))
			if err != nil {
				t.Fatal(err)
			}
			if got := tok.State(now); got != want {
				t.Errorf("token %q: state %v, want %v", token, got, want)
			}
		}
		if _, ok, _ := db.ConsumeResetToken(ctx, bdb, hash("first"), now); ok {
			t.Error("a revoked token was consumed")
		}
		if first, _ := db.LookupResetToken(ctx, bdb, hash("first")); first.RevokedReason != db.RevokedReplaced {
			t.Errorf("the older link was revoked for %q, want %q", first.RevokedReason, db.RevokedReplaced)
		}
	})
}

// TestResetLinksEndedSince tells a link that was merely replaced from
// one whose account has since reported, disabled or readdressed its links.
func TestResetLinksEndedSince(t *testing.T) {
	forEachDialect(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		a := createAccount(t, bdb, "ended01", "ended01@example.jp")
		old, err := db.CreateResetToken(ctx, bdb, a.ID, hash("old"), t0, 30*time.Minute, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateResetToken(ctx, bdb, a.ID, hash("new"), t0.Add(time.Minute), 30*time.Minute, ""); err != nil {
			t.Fatal(err)
		}
		ended, err := db.ResetLinksEndedSince(ctx, bdb, a.ID, old.CreatedAt)
		if err != nil || ended {
			t.Fatalf("after a newer link: ended = %v, %v; want false", ended, err)
		}
		if err := db.RevokeResetTokens(ctx, bdb, a.ID, t0.Add(2*time.Minute), db.RevokedReported); err != nil {
			t.Fatal(err)
		}
		if ended, err := db.ResetLinksEndedSince(ctx, bdb, a.ID, old.CreatedAt); err != nil || !ended {
			t.Errorf("after a report: ended = %v, %v; want true", ended, err)
		}
		if ended, err := db.ResetLinksEndedSince(ctx, bdb, a.ID, t0.Add(3*time.Minute)); err != nil || ended {
			t.Errorf("for a link made after the report: ended = %v, %v; want false", ended, err)
		}
		if got, _ := db.LookupResetToken(ctx, bdb, hash("old")); got.RevokedReason != db.RevokedReplaced {
			t.Errorf("the report changed why the older link was revoked: %q", got.RevokedReason)
		}
	})
}

// TestDeleteOldResetTokens sweeps unused links once they can no longer be
// renewed and used ones after the overview's fortnight, and keeps the rest.
func TestDeleteOldResetTokens(t *testing.T) {
	forEachDialect(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		now := t0.Add(30 * 24 * time.Hour)
		day := 24 * time.Hour
		links := []struct {
			token  string
			made   time.Time
			ttl    time.Duration
			usedAt time.Time
			swept  bool
		}{
			{"expired-8-days-ago", now.Add(-8 * day), 30 * time.Minute, time.Time{}, true},
			{"expired-6-days-ago", now.Add(-6 * day), 30 * time.Minute, time.Time{}, false},
			{"made-8-days-ago-still-live", now.Add(-8 * day), 8*day + time.Hour, time.Time{}, false},
			{"used-16-days-ago", now.Add(-16 * day), 30 * time.Minute, now.Add(-16 * day), true},
			{"used-10-days-ago", now.Add(-10 * day), 30 * time.Minute, now.Add(-10 * day), false},
		}
		for i, l := range links {
			// One account each: a new link would revoke the older ones.
			a := createAccount(t, bdb, fmt.Sprintf("sweep%02d", i), fmt.Sprintf("sweep%02d@example.jp", i))
			if _, err := db.CreateResetToken(ctx, bdb, a.ID, hash(l.token), l.made, l.ttl, ""); err != nil {
				t.Fatal(err)
			}
			if !l.usedAt.IsZero() {
				if _, ok, err := db.ConsumeResetToken(ctx, bdb, hash(l.token), l.usedAt); err != nil || !ok {
					t.Fatalf("use %s: %v, %v", l.token, ok, err)
				}
			}
		}
		if n, err := db.DeleteOldResetTokens(ctx, bdb, now); err != nil || n != 2 {
			t.Errorf("DeleteOldResetTokens = %d, %v; want 2", n, err)
		}
		for _, l := range links {
			got, err := db.LookupResetToken(ctx, bdb, hash(l.token))
			if err != nil {
				t.Fatal(err)
			}
			if (got == nil) != l.swept {
				t.Errorf("%s: swept = %v, want %v", l.token, got == nil, l.swept)
			}
		}
	})
}

// Of many concurrent submissions of one link, exactly one succeeds.
func TestConsumeResetTokenOnceUnderConcurrency(t *testing.T) {
	forEachDialect(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		a := createAccount(t, bdb, "taro", "taro@example.jp")
		if _, err := db.CreateResetToken(ctx, bdb, a.ID, hash("race"), t0, 30*time.Minute, ""); err != nil {
			t.Fatal(err)
		}
		const n = 16
		var wg sync.WaitGroup
		results := make(chan bool, n)
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, ok, err := db.ConsumeResetToken(ctx, bdb, hash("race"), t0.Add(time.Minute))
				if err != nil {
					t.Error(err)
				}
				results <- ok
			}()
		}
		wg.Wait()
		close(results)
		wins := 0
		for ok := range results {
			if ok {
				wins++
			}
		}
		if wins != 1 {
			t.Fatalf("%d of %d concurrent submissions succeeded, want exactly 1", wins, n)
		}
	})
}

// TestRevokeResetTokenOnlyWhileUsable checks the revocation of one link
// (「心当たりがない場合」): it works once on a usable link, and never on a used,
// expired or already revoked one, nor on another account's link.
func TestRevokeResetTokenOnlyWhileUsable(t *testing.T) {
	forEachDialect(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		a := createAccount(t, bdb, "revoke01", "revoke01@example.jp")
		b := createAccount(t, bdb, "revoke02", "revoke02@example.jp")
		create := func(acct *db.Account, token string, ttl time.Duration) *db.ResetToken {
			t.Helper()
			tok, err := db.CreateResetToken(ctx, bdb, acct.ID, hash(token), t0, ttl, "192.0.2.1")
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		revoke := func(tok *db.ResetToken, at time.Time) bool {
			t.Helper()
			ok, err := db.RevokeResetToken(ctx, bdb, tok.ID, at, db.RevokedReported)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}

		live := create(a, "live", time.Hour)
		other := create(b, "other", time.Hour)
		if got, err := db.GetResetToken(ctx, bdb, live.ID); err != nil || got == nil || !bytes.Equal(got.TokenHash, hash("live")) {
			t.Fatalf("GetResetToken = %+v, %v", got, err)
		}
		if got, err := db.GetResetToken(ctx, bdb, 999999); err != nil || got != nil {
			t.Errorf("GetResetToken of an unknown ID = %+v, %v; want nil", got, err)
		}
		if !revoke(live, t0.Add(time.Minute)) {
			t.Fatal("a usable link could not be revoked")
		}
		if revoke(live, t0.Add(2*time.Minute)) {
			t.Error("a link was revoked twice")
		}
		got, _ := db.LookupResetToken(ctx, bdb, hash("live"))
		if got.State(t0.Add(time.Minute)) != db.TokenRevoked {
			t.Errorf("state after revoking = %v, want revoked", got.State(t0.Add(time.Minute)))
		}
		if got, _ := db.LookupResetToken(ctx, bdb, hash("other")); got.State(t0) != db.TokenValid {
			t.Error("revoking one account's link touched another's")
		}

		used := create(b, "used", time.Hour) // revokes "other"
		if _, ok, err := db.ConsumeResetToken(ctx, bdb, hash("used"), t0); err != nil || !ok {
			t.Fatalf("consume: %v, %v", ok, err)
		}
		if revoke(used, t0.Add(time.Minute)) {
			t.Error("a used link was revoked")
		}
		if revoke(other, t0.Add(time.Minute)) {
			t.Error("an already revoked link was revoked again")
		}
		expiring := create(a, "expiring", time.Minute)
		if revoke(expiring, t0.Add(time.Minute)) {
			t.Error("an expired link was revoked")
		}
	})
}

// TestRevokeReasonsOfOlderLinks takes back the migration that records why
// a link was revoked, as on a database of the version before it, and
// applies it again: a link revoked by a newer one is taken as replaced (it
// may be renewed), one revoked otherwise keeps no reason (it may not).
func TestRevokeReasonsOfOlderLinks(t *testing.T) {
	forEachDialect(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		a := createAccount(t, bdb, "before01", "before01@example.jp")
		for i, token := range []string{"replaced", "reported"} {
			if _, err := db.CreateResetToken(ctx, bdb, a.ID, hash(token), t0.Add(time.Duration(i)*time.Minute), 30*time.Minute, ""); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.RevokeResetTokens(ctx, bdb, a.ID, t0.Add(2*time.Minute), db.RevokedReported); err != nil {
			t.Fatal(err)
		}
		const migration = "20261208000004"
		for _, stmt := range []string{
			"DROP INDEX reset_tokens_created_at_idx",
			"ALTER TABLE reset_tokens DROP COLUMN revoked_reason",
			"DELETE FROM bun_migrations WHERE name = '" + migration + "'",
		} {
			if _, err := bdb.ExecContext(ctx, stmt); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
		if _, err := db.Migrate(ctx, bdb); err != nil {
			t.Fatal(err)
		}
		for token, want := range map[string]db.RevokeReason{"replaced": db.RevokedReplaced, "reported": ""} {
			tok, err := db.LookupResetToken(ctx, bdb, hash(token))
			if err != nil || tok == nil {
				t.Fatalf("%s: %v, %v", token, tok, err)
			}
			if tok.RevokedReason != want {
				t.Errorf("link %s: revoked for %q after the migration, want %q", token, tok.RevokedReason, want)
			}
		}
	})
}
