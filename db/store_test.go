package db_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"aikagi/db"
	"aikagi/db/dbtest"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// forEachDialect runs f against a fresh SQLite and a fresh PostgreSQL database.
func forEachDialect(t *testing.T, f func(t *testing.T, bdb *bun.DB)) {
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			f(t, dbtest.Open(t, dialect))
		})
	}
}

func createAccount(t *testing.T, bdb *bun.DB, loginID, email string) *db.Account {
	t.Helper()
	a := &db.Account{LoginID: loginID, Email: email, StoreName: "山田商店", Locale: "ja", PasswordHash: "$argon2id$x"}
	if err := db.CreateAccount(context.Background(), bdb, a, t0); err != nil {
		t.Fatalf("create account: %v", err)
	}
	return a
}

func hash(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

func TestAccounts(t *testing.T) {
	forEachDialect(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		a := createAccount(t, bdb, "taro-01", "Taro..Yamada@docomo.ne.jp")
		if a.ID == 0 {
			t.Fatal("account ID not filled in")
		}
		dup := &db.Account{LoginID: "taro-01", Email: "x@example.jp", StoreName: "x", Locale: "ja", PasswordHash: "x"}
		if err := db.CreateAccount(ctx, bdb, dup, t0); !errors.Is(err, db.ErrLoginIDTaken) {
			t.Fatalf("duplicate login ID: got %v, want ErrLoginIDTaken", err)
		}

		tests := []struct {
			loginID, email string
			found          bool
		}{
			{"taro-01", "Taro..Yamada@docomo.ne.jp", true},
			{"taro-01", "taro..yamada@DOCOMO.ne.jp", true},  // e-mail matched case-insensitively
			{"TARO-01", "Taro..Yamada@docomo.ne.jp", false}, // login ID is exact
			{"taro-01", "taro.yamada@docomo.ne.jp", false},
			{"hanako", "Taro..Yamada@docomo.ne.jp", false},
		}
		for _, tt := range tests {
			got, err := db.FindAccountForReset(ctx, bdb, tt.loginID, tt.email)
			if err != nil {
				t.Fatal(err)
			}
			if (got != nil) != tt.found {
				t.Errorf("FindAccountForReset(%q, %q) found=%v, want %v", tt.loginID, tt.email, got != nil, tt.found)
			}
			if got != nil && got.Email != "Taro..Yamada@docomo.ne.jp" {
				t.Errorf("registered address changed to %q", got.Email)
			}
		}

		list, err := db.ListAccounts(ctx, bdb)
		if err != nil || len(list) != 1 || list[0].StoreName != "山田商店" {
			t.Fatalf("ListAccounts = %+v, %v", list, err)
		}
	})
}

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
			ok, err := db.RevokeResetToken(ctx, bdb, tok.ID, at)
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

func TestOutboxClaimSendRetry(t *testing.T) {
	forEachDialect(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		a := createAccount(t, bdb, "taro", "taro@example.jp")
		m := &db.OutboxMail{ID: "mail-1", Kind: "reset_link", AccountID: &a.ID, ToAddr: a.Email, Payload: []byte("sealed")}
		if err := db.EnqueueMail(ctx, bdb, m, t0); err != nil {
			t.Fatal(err)
		}

		claimed, err := db.ClaimDueMail(ctx, bdb, t0, time.Minute, 10)
		if err != nil || len(claimed) != 1 || claimed[0].Attempts != 1 || claimed[0].Status != db.OutboxSending || string(claimed[0].Payload) != "sealed" {
			t.Fatalf("first claim = %+v, %v", claimed, err)
		}
		// Leased: nobody else gets it until the lease runs out.
		if again, _ := db.ClaimDueMail(ctx, bdb, t0.Add(30*time.Second), time.Minute, 10); len(again) != 0 {
			t.Fatalf("a leased row was claimed again: %+v", again)
		}
		// A worker that died: the lease expires and another takes over.
		again, err := db.ClaimDueMail(ctx, bdb, t0.Add(2*time.Minute), time.Minute, 10)
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
		if early, _ := db.ClaimDueMail(ctx, bdb, t0.Add(5*time.Minute), time.Minute, 10); len(early) != 0 {
			t.Fatal("a row was retried before its next attempt time")
		}
		due, _ := db.ClaimDueMail(ctx, bdb, t0.Add(10*time.Minute), time.Minute, 10)
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
		if none, _ := db.ClaimDueMail(ctx, bdb, t0.Add(time.Hour), time.Minute, 10); len(none) != 0 {
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
					got, err := db.ClaimDueMail(ctx, bdb, t0, time.Minute, 3)
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
		if got, _ := db.ClaimDueMail(ctx, bdb, t0, time.Hour, 1); len(got) != 1 {
			t.Fatal("not claimed")
		}
		if ok, err := db.ReleaseMail(ctx, bdb, "r1", 1, t0); err != nil || !ok {
			t.Fatal(ok, err)
		}
		got, _ := db.ClaimDueMail(ctx, bdb, t0, time.Hour, 1)
		if len(got) != 1 || got[0].Attempts != 1 {
			t.Fatalf("after hand-back: %+v (want claimable at once, attempt count unchanged)", got)
		}
	})
}

func TestMigrateIsIdempotent(t *testing.T) {
	forEachDialect(t, func(t *testing.T, bdb *bun.DB) {
		applied, err := db.Migrate(context.Background(), bdb)
		if err != nil || len(applied) != 0 {
			t.Fatalf("second migrate applied %v, %v", applied, err)
		}
	})
}

func TestAuditTrail(t *testing.T) {
	forEachDialect(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		for i, kind := range []db.AuditKind{db.AuditResetUnmatched, db.AuditResetRequested} {
			e := &db.AuditEvent{Kind: kind, LoginID: "taro", IP: "192.0.2.1", UserAgent: "test"}
			if err := db.RecordAudit(ctx, bdb, e, t0.Add(time.Duration(i)*time.Second)); err != nil {
				t.Fatal(err)
			}
		}
		events, err := db.ListAudit(ctx, bdb, "taro", 10)
		if err != nil || len(events) != 2 || events[0].Kind != db.AuditResetRequested || events[1].IP != "192.0.2.1" {
			t.Fatalf("ListAudit = %+v, %v", events, err)
		}
		if other, _ := db.ListAudit(ctx, bdb, "hanako", 10); len(other) != 0 {
			t.Fatalf("filter by login ID returned %+v", other)
		}
	})
}
