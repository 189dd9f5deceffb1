package recovery_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"aikagi/app/account"
	"aikagi/app/problem"
	"aikagi/app/secret"
	"aikagi/db"
	"aikagi/db/dbtest"
)

const newPassword = "kumo no ue no sora 2026"

// hash is newPassword's hash, as step 6 computes it.
func (f *fixture) hash(t *testing.T, password string) string {
	t.Helper()
	h, err := f.Hasher.Hash(context.Background(), password)
	if err != nil {
		t.Fatalf("hash: %v", err)
	}
	return h
}

// newSession logs acct in on a browser of its own and returns the
// session's hash.
func (f *fixture) newSession(t *testing.T, acct *db.Account) []byte {
	t.Helper()
	_, idHash := secret.NewToken()
	s := &db.Session{IDHash: idHash, AccountID: acct.ID, IP: client.IP, UserAgent: client.UserAgent}
	if err := db.CreateSession(context.Background(), f.DB, s, f.clock.Now(), 24*time.Hour); err != nil {
		t.Fatalf("create session: %v", err)
	}
	return idHash
}

// loggedIn reports whether the session is still open.
func (f *fixture) loggedIn(t *testing.T, idHash []byte) bool {
	t.Helper()
	acct, err := db.FindSessionAccount(context.Background(), f.DB, idHash, f.clock.Now())
	if err != nil {
		t.Fatalf("find session: %v", err)
	}
	return acct != nil
}

// failLogins records n failed logins for loginID.
func (f *fixture) failLogins(t *testing.T, loginID string, n int) {
	t.Helper()
	for range n {
		if _, err := db.RecordLoginFailure(context.Background(), f.DB, loginID, client.IP, f.clock.Now()); err != nil {
			t.Fatalf("record login failure: %v", err)
		}
	}
}

// loginFailures counts loginID's failed logins in the last hour.
func (f *fixture) loginFailures(t *testing.T, loginID string) int {
	t.Helper()
	n, err := db.CountLoginFailures(context.Background(), f.DB, loginID, f.clock.Now().Add(-time.Hour))
	if err != nil {
		t.Fatalf("count login failures: %v", err)
	}
	return n
}

// TestChangePassword is step 6: the link is used, the new hash stored, the
// account's other links and sessions end, its lockout is lifted, the
// change audited and the notice mailed; other accounts keep theirs. The
// same link does nothing a second time.
func TestChangePassword(t *testing.T) {
	t.Parallel()
	dbtest.ForEachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		f := newFixture(t, dialect, nil)
		acct := f.newAccount(t, "shop-001", "taro@example.jp", "ja")
		other := f.newAccount(t, "shop-002", "hanako@example.jp", "ja")
		otherToken := f.issueLink(t, other, time.Hour)
		token := f.issueLink(t, acct, time.Hour)
		f.deliver(t)
		// A link stored beside it, as a concurrent request on another
		// instance could leave one.
		sibling, siblingHash := secret.NewToken()
		if _, err := f.DB.NewInsert().Model(&db.ResetToken{AccountID: acct.ID, TokenHash: siblingHash,
			CreatedAt: db.Stamp(f.clock.Now()), ExpiresAt: db.Stamp(f.clock.Now().Add(time.Hour))}).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		session, otherSession := f.newSession(t, acct), f.newSession(t, other)
		f.failLogins(t, acct.LoginID, 12)
		f.failLogins(t, other.LoginID, 3)

		if login, err := f.Logins.Attempt(ctx, acct.LoginID, "any password at all", client.IP, client.UserAgent); err != nil || login.Outcome != account.LoginLocked {
			t.Fatalf("login before the reset = %v, %v; want locked", login.Outcome, err)
		}

		f.clock.Advance(5 * time.Minute)
		hash := f.hash(t, newPassword)
		used, err := f.Recovery.ChangePassword(ctx, acct, token, hash, client)
		if err != nil || !used {
			t.Fatalf("ChangePassword = %v, %v; want true, nil", used, err)
		}

		changed := f.account(t, acct.ID)
		if ok, _, err := f.Hasher.Verify(ctx, changed.PasswordHash, newPassword); err != nil || !ok {
			t.Errorf("the new password does not verify against the stored hash: %v, %v", ok, err)
		}
		if changed.PasswordChangedAt == nil || !changed.PasswordChangedAt.Equal(f.clock.Now()) {
			t.Errorf("password changed at %v, want %v", changed.PasswordChangedAt, f.clock.Now())
		}
		for _, tc := range []struct {
			name  string
			token string
			want  db.TokenState
		}{
			{"the link used", token, db.TokenUsed},
			{"the account's other link", sibling, db.TokenRevoked},
			{"another account's link", otherToken, db.TokenValid},
		} {
			if got := f.linkState(t, tc.token); got != tc.want {
				t.Errorf("%s: state %v, want %v", tc.name, got, tc.want)
			}
		}
		if f.loggedIn(t, session) {
			t.Error("the account's session is still open")
		}
		if !f.loggedIn(t, otherSession) {
			t.Error("another account's session was ended")
		}
		if n := f.loginFailures(t, acct.LoginID); n != 0 {
			t.Errorf("%d login failures left for the account, want its lockout lifted", n)
		}
		if login, err := f.Logins.Attempt(ctx, acct.LoginID, newPassword, client.IP, client.UserAgent); err != nil || login.Outcome != account.LoginSucceeded {
			t.Errorf("login with the new password = %v, %v; want succeeded", login.Outcome, err)
		}
		if n := f.loginFailures(t, other.LoginID); n != 3 {
			t.Errorf("%d login failures left for another account, want its 3", n)
		}

		events := f.events(t, db.AuditPasswordChanged)
		if len(events) != 1 {
			t.Fatalf("%d password_changed events, want 1", len(events))
		}
		if e := events[0]; e.AccountID == nil || *e.AccountID != acct.ID || e.LoginID != acct.LoginID ||
			e.IP != client.IP || e.UserAgent != client.UserAgent {
			t.Errorf("audit event %+v, want the account and the client", e)
		}
		notice := f.deliverOne(t)
		if want := "【テスト管理サイト】パスワードが変更されました"; notice.To != acct.Email || notice.Subject != want {
			t.Errorf("notice %q to %s, want %q to %s", notice.Subject, notice.To, want, acct.Email)
		}
		for _, want := range []string{acct.LoginID, client.IP, "11月25日(水)10:05(日本時間)"} {
			if !strings.Contains(notice.Text, want) {
				t.Errorf("the notice does not say %q:\n%s", want, notice.Text)
			}
		}

		// The same link again: refused, nothing changes.
		f.clock.Advance(time.Minute)
		if used, err := f.Recovery.ChangePassword(ctx, acct, token, f.hash(t, "another sky entirely 77"), client); err != nil || used {
			t.Errorf("ChangePassword with the used link = %v, %v; want false, nil", used, err)
		}
		if got := f.account(t, acct.ID).PasswordHash; got != hash {
			t.Error("the used link changed the password again")
		}
		f.wantNoMail(t)
		if n := len(f.events(t, db.AuditPasswordChanged)); n != 1 {
			t.Errorf("%d password_changed events, want still 1", n)
		}
	})
}

// TestChangePasswordRefusesLinksItCannotUse: an expired link, a link of
// another account and an unknown token change nothing; the link of
// another account stays usable by its own account.
func TestChangePasswordRefusesLinksItCannotUse(t *testing.T) {
	t.Parallel()
	dbtest.ForEachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		f := newFixture(t, dialect, nil)
		acct := f.newAccount(t, "shop-001", "taro@example.jp", "ja")
		other := f.newAccount(t, "shop-002", "hanako@example.jp", "ja")
		hash := f.hash(t, newPassword)

		expired := f.issueLink(t, acct, 10*time.Minute)
		f.clock.Advance(10 * time.Minute)
		if used, err := f.Recovery.ChangePassword(ctx, acct, expired, hash, client); err != nil || used {
			t.Errorf("expired link: ChangePassword = %v, %v; want false, nil", used, err)
		}
		unknown, _ := secret.NewToken()
		if used, err := f.Recovery.ChangePassword(ctx, acct, unknown, hash, client); err != nil || used {
			t.Errorf("unknown token: ChangePassword = %v, %v; want false, nil", used, err)
		}
		othersLink := f.issueLink(t, other, time.Hour)
		if used, err := f.Recovery.ChangePassword(ctx, acct, othersLink, hash, client); err == nil || used {
			t.Errorf("another account's link: ChangePassword = %v, %v; want false and an error", used, err)
		}
		if got := f.linkState(t, othersLink); got != db.TokenValid {
			t.Errorf("another account's link after the refusal: state %v, want valid", got)
		}
		for _, a := range []*db.Account{acct, other} {
			if got := f.account(t, a.ID); got.PasswordHash != a.PasswordHash || got.PasswordChangedAt != nil {
				t.Errorf("%s: the password changed", a.LoginID)
			}
		}
		if n := len(f.events(t, db.AuditPasswordChanged)); n != 0 {
			t.Errorf("%d password_changed events, want none", n)
		}
		if used, err := f.Recovery.ChangePassword(ctx, other, othersLink, hash, client); err != nil || !used {
			t.Errorf("the link by its own account: ChangePassword = %v, %v; want true, nil", used, err)
		}
	})
}

// TestChangePasswordUsesTheLinkOnce submits one link many times at once:
// exactly one submission changes the password and one notice is queued.
func TestChangePasswordUsesTheLinkOnce(t *testing.T) {
	t.Parallel()
	dbtest.ForEachDialect(t, func(t *testing.T, dialect string) {
		const n = 20
		ctx := context.Background()
		f := newFixture(t, dialect, nil)
		acct := f.newAccount(t, "shop-001", "taro@example.jp", "ja")
		token := f.issueLink(t, acct, time.Hour)
		f.deliver(t)
		hashes := make([]string, n)
		for i := range hashes {
			hashes[i] = fmt.Sprintf("$argon2id$submission-%d", i)
		}

		var wg sync.WaitGroup
		used := make([]bool, n)
		errs := make([]error, n)
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				used[i], errs[i] = f.Recovery.ChangePassword(ctx, acct, token, hashes[i], client)
			})
		}
		close(start)
		wg.Wait()

		winner := -1
		for i := range n {
			if errs[i] != nil {
				t.Errorf("submission %d: %v", i, errs[i])
			}
			if used[i] {
				if winner >= 0 {
					t.Errorf("submissions %d and %d both used the link", winner, i)
				}
				winner = i
			}
		}
		if winner < 0 {
			t.Fatal("no submission used the link")
		}
		if got := f.account(t, acct.ID).PasswordHash; got != hashes[winner] {
			t.Error("the stored hash is not the one of the submission that used the link")
		}
		if msgs := f.deliver(t); len(msgs) != 1 || msgs[0].To != acct.Email {
			t.Errorf("notices delivered: %v, want one to %s", subjects(msgs), acct.Email)
		}
		if n := len(f.events(t, db.AuditPasswordChanged)); n != 1 {
			t.Errorf("%d password_changed events, want 1", n)
		}
	})
}

// TestNewPasswordPolicyBeforeTheChange is step 6 in the order the handler
// takes it: the policy, with the account the link changes, refuses the
// passwords that name it or are guessed first, and those never reach
// ChangePassword, so the link still works for an acceptable one.
func TestNewPasswordPolicyBeforeTheChange(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "sqlite", nil)
	acct := &db.Account{LoginID: "sakura-2468", Email: "hanako.tanaka@example.jp", StoreName: "さくら珈琲店", Locale: "ja",
		PasswordHash: f.hash(t, "the password before the reset")}
	if err := db.CreateAccount(context.Background(), f.DB, acct, f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	token := f.issueLink(t, acct, time.Hour)
	f.deliverOne(t)
	minLength := f.Config.PasswordMinLength

	for _, tc := range []struct {
		password, confirm string
		field             string
		want              problem.Problem
	}{
		{"", "", "password", problem.PasswordRequired},
		{"short one", "short one", "password", problem.PasswordTooShort},
		{"my sakura-2468 account", "my sakura-2468 account", "password", problem.PasswordHasLoginID},
		{"HANAKO.TANAKA at home", "HANAKO.TANAKA at home", "password", problem.PasswordHasEmail},
		{"いつもの さくら 珈琲店 で", "いつもの さくら 珈琲店 で", "password", problem.PasswordHasStore},
		{"qwertyuiop12", "qwertyuiop12", "password", problem.PasswordCommon},
		{"aaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaa", "password", problem.PasswordRepeated},
		{"kumo no ue\nno sora", "kumo no ue\nno sora", "password", problem.PasswordControl},
		{newPassword, newPassword + "!", "password_confirm", problem.PasswordMismatch},
	} {
		problems := account.CheckNewPassword(tc.password, tc.confirm, minLength, acct)
		if got := problems[tc.field]; got != tc.want {
			t.Errorf("%q: %s = %q, want %q (all: %v)", tc.password, tc.field, got, tc.want, problems)
		}
	}
	// Full width in the confirmation is the same password after NFKC.
	if problems := account.CheckNewPassword(newPassword, "ｋｕｍｏ　ｎｏ　ｕｅ　ｎｏ　ｓｏｒａ　２０２６", minLength, acct); len(problems) != 0 {
		t.Fatalf("an acceptable password refused: %v", problems)
	}
	if used, err := f.Recovery.ChangePassword(context.Background(), acct, token, f.hash(t, newPassword), client); err != nil || !used {
		t.Errorf("ChangePassword = %v, %v; want true, nil", used, err)
	}
	if got := f.deliverOne(t); got.Subject != "【テスト管理サイト】パスワードが変更されました" {
		t.Errorf("mail %q, want the notice", got.Subject)
	}
	if n := f.count(t, "outbox"); n != 2 {
		t.Errorf("%d mails in the outbox, want the link's and the notice", n)
	}
}
