package recovery_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"aikagi/db"
	"aikagi/db/dbtest"
)

// TestReportRevokesTheLink follows 「心当たりがない場合」 from the mail: its
// key names the link without being able to use it, and a report revokes
// the link and flags the account for support, once.
func TestReportRevokesTheLink(t *testing.T) {
	t.Parallel()
	dbtest.ForEachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		f := newFixture(t, dialect, nil)
		acct := f.newAccount(t, "shop-001", "taro@example.jp", "ja")
		f.matchReset(t, acct.LoginID, acct.Email)
		msg := f.deliverOne(t)
		token, key := resetToken(t, msg), reportKey(t, msg)

		if strings.Contains(key, token) {
			t.Fatalf("the report key %q carries the token", key)
		}
		if used, err := f.Recovery.ChangePassword(ctx, acct, key, "$argon2id$x", client); err != nil || used {
			t.Errorf("ChangePassword with the report key = %v, %v; want false, nil", used, err)
		}

		tok, err := f.Recovery.ReportedLink(ctx, key)
		if err != nil || tok == nil {
			t.Fatalf("ReportedLink = %v, %v; want the mailed link", tok, err)
		}
		if want := f.link(t, token); tok.ID != want.ID {
			t.Errorf("the key names link %d, want %d", tok.ID, want.ID)
		}

		f.clock.Advance(5 * time.Minute)
		revoked, err := f.Recovery.RevokeReported(ctx, tok, client)
		if err != nil || !revoked {
			t.Fatalf("RevokeReported = %v, %v; want true, nil", revoked, err)
		}
		if got := f.linkState(t, token); got != db.TokenRevoked {
			t.Errorf("the reported link: state %v, want revoked", got)
		}
		if used, err := f.Recovery.ChangePassword(ctx, acct, token, "$argon2id$x", client); err != nil || used {
			t.Errorf("ChangePassword with the reported link = %v, %v; want false, nil", used, err)
		}
		events := f.events(t, db.AuditResetReported)
		if len(events) != 1 {
			t.Fatalf("%d reset_reported events, want 1", len(events))
		}
		if e := events[0]; e.AccountID == nil || *e.AccountID != acct.ID || e.LoginID != acct.LoginID ||
			e.IP != client.IP || e.UserAgent != client.UserAgent || !strings.Contains(e.Detail, "support") {
			t.Errorf("audit event %+v, want the account flagged for support, with the client", e)
		}
		if got := f.account(t, acct.ID); got.PasswordHash != acct.PasswordHash {
			t.Error("a report changed the password")
		}

		// A second report of the same link finds nothing left to revoke.
		if revoked, err := f.Recovery.RevokeReported(ctx, tok, client); err != nil || revoked {
			t.Errorf("a second RevokeReported = %v, %v; want false, nil", revoked, err)
		}
		if n := len(f.events(t, db.AuditResetReported)); n != 1 {
			t.Errorf("%d reset_reported events, want still 1", n)
		}
		f.wantNoMail(t)
	})
}

// TestReportAfterTheLinkEnded: a used or expired link is found by its key
// but can no longer be revoked, and nothing is recorded.
func TestReportAfterTheLinkEnded(t *testing.T) {
	t.Parallel()
	dbtest.ForEachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		f := newFixture(t, dialect, nil)
		used := f.newAccount(t, "shop-001", "taro@example.jp", "ja")
		expired := f.newAccount(t, "shop-002", "hanako@example.jp", "ja")

		f.issueLink(t, expired, 10*time.Minute)
		expiredKey := reportKey(t, f.deliverOne(t))
		f.issueLink(t, used, time.Hour)
		msg := f.deliverOne(t)
		usedKey := reportKey(t, msg)
		if ok, err := f.Recovery.ChangePassword(ctx, used, resetToken(t, msg), "$argon2id$x", client); err != nil || !ok {
			t.Fatalf("ChangePassword = %v, %v", ok, err)
		}
		f.clock.Advance(10 * time.Minute)

		for name, key := range map[string]string{"used": usedKey, "expired": expiredKey} {
			tok, err := f.Recovery.ReportedLink(ctx, key)
			if err != nil || tok == nil {
				t.Fatalf("%s: ReportedLink = %v, %v; want the link", name, tok, err)
			}
			if revoked, err := f.Recovery.RevokeReported(ctx, tok, client); err != nil || revoked {
				t.Errorf("%s: RevokeReported = %v, %v; want false, nil", name, revoked, err)
			}
		}
		if n := len(f.events(t, db.AuditResetReported)); n != 0 {
			t.Errorf("%d reset_reported events, want none", n)
		}
	})
}

// TestReportedLinkRefusesOtherKeys: keys that are malformed, altered, of
// another link or made with another secret find nothing.
func TestReportedLinkRefusesOtherKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, "sqlite", nil)
	acct := f.newAccount(t, "shop-001", "taro@example.jp", "ja")
	f.issueLink(t, acct, time.Hour)
	key := reportKey(t, f.deliverOne(t))
	id, mac, _ := strings.Cut(key, ".")
	token := f.issueLink(t, f.newAccount(t, "shop-002", "hanako@example.jp", "ja"), time.Hour)
	otherID := f.link(t, token).ID

	// The same database under another SECRET_KEY.
	stranger := newFixtureOn(t, f.DB, map[string]string{"SECRET_KEY": strings.Repeat("ab", 32)})

	tests := []struct {
		name string
		key  string
	}{
		{"empty", ""},
		{"no MAC", id},
		{"no ID", "." + mac},
		{"ID not a number", "x" + key},
		{"ID zero", "0." + mac},
		{"negative ID", "-" + key},
		{"unknown ID", "999999." + mac},
		{"another link's ID", strings.Replace(key, id+".", strconv.FormatInt(otherID, 10)+".", 1)},
		{"MAC altered", id + "." + flipLast(mac)},
		{"MAC cut short", key[:len(key)-1]},
		{"too long", key + strings.Repeat("A", 64)},
		{"the reset token", token},
	}
	for _, tc := range tests {
		if tok, err := f.Recovery.ReportedLink(ctx, tc.key); err != nil || tok != nil {
			t.Errorf("%s (%q): ReportedLink = %+v, %v; want nothing", tc.name, tc.key, tok, err)
		}
	}
	if tok, err := stranger.Recovery.ReportedLink(ctx, key); err != nil || tok != nil {
		t.Errorf("under another SECRET_KEY: ReportedLink = %+v, %v; want nothing", tok, err)
	}
	if tok, err := f.Recovery.ReportedLink(ctx, key); err != nil || tok == nil {
		t.Errorf("the key as mailed: ReportedLink = %v, %v; want its link", tok, err)
	}
}

// TestReportKeysSurviveAKeyRotation: a key mailed before SECRET_KEY was
// rotated still finds its link through SECRET_KEYS_OLD, and a link mailed
// after is signed with the new key.
func TestReportKeysSurviveAKeyRotation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	before := newFixture(t, "sqlite", nil)
	acct := before.newAccount(t, "shop-001", "taro@example.jp", "ja")
	before.issueLink(t, acct, time.Hour)
	key := reportKey(t, before.deliverOne(t))

	newKey := strings.Repeat("cd", 32)
	after := newFixtureOn(t, before.DB, map[string]string{"SECRET_KEY": newKey, "SECRET_KEYS_OLD": testSecretHex})
	tok, err := after.Recovery.ReportedLink(ctx, key)
	if err != nil || tok == nil {
		t.Fatalf("after the rotation: ReportedLink = %v, %v; want the link", tok, err)
	}
	if after.Recovery.ReportKey(tok) == key {
		t.Error("after the rotation the key is still made with the old secret")
	}
	if revoked, err := after.Recovery.RevokeReported(ctx, tok, client); err != nil || !revoked {
		t.Errorf("RevokeReported after the rotation = %v, %v; want true, nil", revoked, err)
	}

	retired := newFixtureOn(t, before.DB, map[string]string{"SECRET_KEY": newKey})
	if tok, err := retired.Recovery.ReportedLink(ctx, key); err != nil || tok != nil {
		t.Errorf("once the old secret is retired: ReportedLink = %+v, %v; want nothing", tok, err)
	}
}

// flipLast changes the last character of a base64url string.
func flipLast(s string) string {
	last := s[len(s)-1]
	if last == 'A' {
		return s[:len(s)-1] + "B"
	}
	return s[:len(s)-1] + "A"
}
