package app

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/crypto/bcrypt"

	"aikagi/app/account"
	"aikagi/db"
)

// What the web does after an operator's action. The commands themselves
// are tested in package cli, the rules of the actions in package account;
// here the actions are taken through the domain directly.

// A disabled account loses its link and its session, cannot log in and
// gets no mail, while step 3 answers exactly as for anyone; enabled again,
// it logs in; deleted, it cannot.
func TestDisabledAccount(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		a := newTestApp(t, dialect)
		ctx := context.Background()
		const password = "status test passphrase"
		acct := newAccountWithPassword(t, a, "status01", "status01@example.jp", "ja", password)
		token := issueToken(t, a, acct)
		loggedIn := newFakeBrowser(a)
		if res := loginAs(t, loggedIn, "status01", password); res.Status != http.StatusSeeOther {
			t.Fatalf("login before: status %d", res.Status)
		}
		if res := loggedIn.get(t, "/"); res.Status != http.StatusOK {
			t.Fatalf("home page while logged in: status %d", res.Status)
		}
		unmatched := requestResetFlow(t, a, "nobody01", "nobody@example.jp")

		if err := account.ChangeStatus(ctx, a.db, "status01", account.Disable, db.Actor{Command: "test"}, "cli: fraud report", a.now()); err != nil {
			t.Fatalf("disable: %v", err)
		}
		if res := loggedIn.get(t, "/"); res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
			t.Errorf("home page after disabling: status %d, Location %q; want the session ended", res.Status, res.Header.Get("Location"))
		}
		if res := get(t, a, resetLink(token, "")); res.Status != http.StatusGone {
			t.Errorf("the account's link after disabling: status %d, want 410", res.Status)
		}
		if res := loginAs(t, newFakeBrowser(a), "status01", password); res.Status != http.StatusUnauthorized {
			t.Errorf("login while disabled: status %d, want 401", res.Status)
		}
		mailsBefore := countRows(t, a.db, "outbox")
		disabled := requestResetFlow(t, a, "status01", "status01@example.jp")
		if withoutNonces(string(disabled.Body)) != withoutNonces(string(unmatched.Body)) {
			t.Error("step 3 for a disabled account differs from one for no account")
		}
		postForm(t, a, reminderSend, url.Values{"state": {reminderState(t, a, "status01@example.jp")}})
		if n := countRows(t, a.db, "outbox"); n != mailsBefore {
			t.Errorf("%d mails queued for a disabled account", n-mailsBefore)
		}
		kinds := auditKinds(t, a.db)
		for _, want := range []db.AuditKind{db.AuditAccountDisabled, db.AuditResetDisabled, db.AuditReminderDisabled} {
			if !slices.Contains(kinds, want) {
				t.Errorf("audit lacks %s: %v", want, kinds)
			}
		}

		if err := account.ChangeStatus(ctx, a.db, "status01", account.Enable, db.Actor{Command: "test"}, "cli: cleared", a.now()); err != nil {
			t.Fatalf("enable: %v", err)
		}
		if res := loginAs(t, newFakeBrowser(a), "status01", password); res.Status != http.StatusSeeOther {
			t.Errorf("login after enabling: status %d", res.Status)
		}
		if err := account.ChangeStatus(ctx, a.db, "status01", account.Delete, db.Actor{Command: "test"}, "cli: shop closed", a.now()); err != nil {
			t.Fatalf("delete: %v", err)
		}
		if res := loginAs(t, newFakeBrowser(a), "status01", password); res.Status != http.StatusUnauthorized {
			t.Errorf("login after deleting: status %d, want 401", res.Status)
		}
	})
}

// TestImportedHashesLogIn logs in with every kind of hash "account import"
// stores as it is: bcrypt from the former admin site ($2a$, $2y$, up to
// the highest cost accepted) and argon2id (up to four lanes). A bcrypt hash
// is replaced by argon2id on the first login.
func TestImportedHashesLogIn(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	ctx := context.Background()
	slowest, err := bcrypt.GenerateFromPassword([]byte("cost twelve password"), account.MaxImportBcryptCost)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, loginID, hash string
		password            string // "": no password matches; only a wrong one is tried
		rehashed            bool
	}{
		{"bcrypt", "taro01", bcryptHash(t, "legacy password one"), "legacy password one", true},
		{"bcrypt $2y$", "hana03", strings.Replace(bcryptHash(t, "third password"), "$2a$", "$2y$", 1), "third password", true},
		{"argon2id", "jiro02", account.HashArgon2id("modern password two"), "modern password two", false},
		{"bcrypt at cost 12", "slow01", string(slowest), "cost twelve password", true},
		{"argon2id with four lanes", "slow02", "$argon2id$v=19$m=19456,t=2,p=4$" + strings.SplitN(account.HashArgon2id("x"), "$", 5)[4], "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			acct := &db.Account{LoginID: tc.loginID, Email: tc.loginID + "@example.jp", StoreName: "輸入店", Locale: "ja", PasswordHash: tc.hash}
			if err := db.CreateAccount(ctx, a.db, acct, a.now()); err != nil {
				t.Fatal(err)
			}
			if tc.password != "" {
				if res := loginAs(t, newFakeBrowser(a), tc.loginID, tc.password); res.Status != http.StatusSeeOther {
					t.Errorf("login: status %d\n%s", res.Status, describe(res.Body))
				}
			}
			if res := loginAs(t, newFakeBrowser(a), tc.loginID, tc.password+"x"); res.Status != http.StatusUnauthorized {
				t.Errorf("login with a wrong password: status %d", res.Status)
			}
			h := storedHash(t, a, acct.ID)
			if tc.rehashed != (h != tc.hash) || !strings.HasPrefix(h, "$argon2id$") {
				t.Errorf("stored hash after login: %q, want rehashed=%v to argon2id", h, tc.rehashed)
			}
			var rehashEvents int
			for _, e := range auditEvents(t, a.db) {
				if e.Kind == db.AuditPasswordRehashed && e.AccountID != nil && *e.AccountID == acct.ID {
					rehashEvents++
				}
			}
			if (rehashEvents == 1) != tc.rehashed || rehashEvents > 1 {
				t.Errorf("%d password_rehashed events, want one only if rehashed (%v)", rehashEvents, tc.rehashed)
			}
		})
	}
}

// TestResetLinkSentByOperator follows a link support staff sent ("account
// send-reset"): it outlives a self-service one, opens the new-password page,
// and has revoked the link the merchant had asked for.
func TestResetLinkSentByOperator(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		a := newTestApp(t, dialect)
		newAccount(t, a, "taro01", "Taro@Example.jp", "ja")
		requestResetFlow(t, a, "taro01", "taro@example.jp")
		selfService := mailedResetLink(t, a)

		if _, _, err := a.recovery.SendResetByOperator(ctx, "taro01", 48*time.Hour); err != nil {
			t.Fatal(err)
		}
		link := mailedResetLink(t, a)
		advanceClock(a, 47*time.Hour) // long after a self-service link would have expired
		b := newFakeBrowser(a)
		page := b.follow(t, b.get(t, link))
		doc := page.Doc(t)
		if page.Status != http.StatusOK || !strings.Contains(doc.Find("#reset-account").Text(), "taro01") || doc.Find(`input[name=password]`).Length() != 1 {
			t.Errorf("the operator's link after 47 h: status %d, want the new-password page for taro01\n%s", page.Status, describe(page.Body))
		}
		if res := get(t, a, selfService); res.Status != http.StatusGone {
			t.Errorf("the older self-service link answers %d, want revoked", res.Status)
		}
	})
}

// TestEmailChangedByOperator changes an account's address as "account
// set-email" does: the link mailed to the old address stops working, and
// both addresses get a notice saying what changed and where mail goes now.
func TestEmailChangedByOperator(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		a := newTestApp(t, dialect)
		newAccount(t, a, "taro01", "Old.Taro@Example.jp", "ja")
		requestResetFlow(t, a, "taro01", "old.taro@example.jp")
		oldLink := mailedResetLink(t, a)

		if _, _, err := a.recovery.ChangeEmail(ctx, "taro01", "New.Taro@Example.jp", db.Actor{Command: "test"}, ""); err != nil {
			t.Fatal(err)
		}
		if res := get(t, a, oldLink); res.Status == http.StatusSeeOther {
			t.Error("a link mailed to the old address still works")
		}
		if sent, err := a.outbox.DeliverDue(ctx); err != nil || sent != 2 {
			t.Fatalf("DeliverDue = %d, %v", sent, err)
		}
		var to []string
		for _, m := range a.mailbox.Messages()[:2] {
			to = append(to, m.To)
			full, _ := a.mailbox.Find(m.ID)
			if m.Subject != "【テスト加盟店管理サイト】登録メールアドレスが変更されました" {
				t.Errorf("subject %q", m.Subject)
			}
			for _, part := range []string{m.Text, full.HTML} {
				for _, want := range []string{"Old.Taro@Example.jp", "New.Taro@Example.jp", "taro01", "11月25日(水)10:00(日本時間)"} {
					if !strings.Contains(part, want) {
						t.Errorf("notice to %s lacks %q:\n%s", m.To, want, part)
					}
				}
			}
			doc, err := goquery.NewDocumentFromReader(strings.NewReader(full.HTML))
			if err != nil {
				t.Fatal(err)
			}
			if lang, _ := doc.Find("html").Attr("lang"); lang != "ja" {
				t.Errorf("notice HTML lang = %q", lang)
			}
			toOld := strings.Contains(m.Text, "このアドレスには届きません")
			if toOld != (m.To == "Old.Taro@Example.jp") {
				t.Errorf("the notice to %s tells the wrong address where mail goes now:\n%s", m.To, m.Text)
			}
		}
		slices.Sort(to)
		if strings.Join(to, " ") != "New.Taro@Example.jp Old.Taro@Example.jp" {
			t.Errorf("notices to %q, want one to each address", to)
		}
	})
}
