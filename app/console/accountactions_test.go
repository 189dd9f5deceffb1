package console

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"aikagi/app"
	"aikagi/app/account"
	"aikagi/app/mail"
	"aikagi/app/staff"
	"aikagi/db"
	"aikagi/db/dbtest"
	"aikagi/views"
	vc "aikagi/views/console"
)

// signIn creates a member with role and signs them in, enrolling TOTP, in
// a browser of their own.
func signIn(t *testing.T, c *testConsole, email string, role db.StaffRole) (*db.Staff, *browser) {
	t.Helper()
	member, err := c.staff.Create(context.Background(), email, role, password, "test")
	if err != nil {
		t.Fatal(err)
	}
	b := &browser{c: c}
	if res := b.do(t, "POST", "/login", url.Values{"email": {email}, "password": {password}}); res.Header.Get("Location") != "/login/enrol" {
		t.Fatalf("password of %s: %d %s", email, res.StatusCode, res.Header.Get("Location"))
	}
	key := page(t, b.do(t, "GET", "/login/enrol", nil)).Find("#enrol-secret").Text()
	code, _ := totp.GenerateCode(key, c.clock.Now())
	if res := b.do(t, "POST", "/login/enrol", url.Values{"code": {code}}); res.StatusCode != http.StatusOK {
		t.Fatalf("enrol %s: %d", email, res.StatusCode)
	}
	return member, b
}

// signInSupport signs sato@example.jp (support) in.
func signInSupport(t *testing.T, c *testConsole) (*db.Staff, *browser) {
	t.Helper()
	_, b := enrol(t, c)
	member, err := db.FindStaffByEmail(context.Background(), c.db, "sato@example.jp")
	if err != nil {
		t.Fatal(err)
	}
	return member, b
}

func newMerchant(t *testing.T, c *testConsole, loginID, email, pw string) *db.Account {
	t.Helper()
	acct := &db.Account{LoginID: loginID, Email: email, StoreName: "山田商店", Locale: "ja", PasswordHash: account.HashArgon2id(pw)}
	if err := db.CreateAccount(context.Background(), c.db, acct, c.clock.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	return acct
}

// deadMail queues a mail of kind for acct and gives it up, as the worker
// does after its last try.
func deadMail(t *testing.T, c *testConsole, id string, acct *db.Account, kind mail.Kind, expires *time.Time) {
	t.Helper()
	ctx := context.Background()
	at := c.clock.Now().Add(-time.Hour)
	m := &db.OutboxMail{ID: id, Kind: string(kind), AccountID: &acct.ID, ToAddr: acct.Email, Payload: []byte("sealed"), ExpiresAt: expires}
	if err := db.EnqueueMail(ctx, c.db, m, at); err != nil {
		t.Fatal(err)
	}
	rows, err := db.ClaimMail(ctx, c.db, at, time.Minute, 10, dbtest.BatchID())
	if err != nil || len(rows) != 1 {
		t.Fatalf("claim %s: %v %v", id, rows, err)
	}
	if ok, err := db.MarkMailDead(ctx, c.db, id, rows[0].Attempts, "550 mailbox unavailable", at); err != nil || !ok {
		t.Fatalf("dead %s: %v %v", id, ok, err)
	}
}

// lastAudit is the latest audit event of kind.
func lastAudit(t *testing.T, c *testConsole, kind db.AuditKind) *db.AuditEvent {
	t.Helper()
	var events []db.AuditEvent
	if err := c.db.NewSelect().Model(&events).Where("kind = ?", kind).Order("id DESC").Limit(1).Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(events) == 0 {
		return nil
	}
	return &events[0]
}

// checkAudited fails unless the latest event of kind is of acct, by
// member, with reason.
func checkAudited(t *testing.T, c *testConsole, kind db.AuditKind, acct *db.Account, member *db.Staff, reason string) {
	t.Helper()
	e := lastAudit(t, c, kind)
	if e == nil || e.AccountID == nil || *e.AccountID != acct.ID || e.StaffID == nil || *e.StaffID != member.ID ||
		!strings.Contains(e.Detail, reason) || !strings.Contains(e.Detail, member.Email) || e.IP == "" {
		t.Errorf("audit %s = %+v, want the account, member %d and the reason %q", kind, e, member.ID, reason)
	}
}

func countRows(t *testing.T, c *testConsole, model any, where string, args ...any) int {
	t.Helper()
	q := c.db.NewSelect().Model(model)
	if where != "" {
		q = q.Where(where, args...)
	}
	n, err := q.Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func paused(t *testing.T, c *testConsole, loginID string) bool {
	t.Helper()
	until, err := db.LoginPausedUntil(context.Background(), c.db, loginID, c.clock.Now(), c.cfg.LockoutThreshold, c.cfg.LockoutWindow)
	if err != nil {
		t.Fatal(err)
	}
	return until != nil
}

func TestLiftLoginPause(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			c := newTestConsole(t, dialect, map[string]string{"LOGIN_LOCKOUT_THRESHOLD": "3"})
			ctx := context.Background()
			acct := newMerchant(t, c, "taro-01", "taro@example.jp", "x")
			member, b := signInSupport(t, c)
			path := accountPath(acct.ID) + "/lift-pause"
			if doc := page(t, b.do(t, "GET", accountPath(acct.ID), nil)); doc.Find("#lift-pause").Length() != 0 {
				t.Error("lift offered for logins that are not paused")
			}
			for m := range 3 {
				if _, err := db.RecordLoginFailure(ctx, c.db, "taro-01", "", c.clock.Now().Add(time.Duration(m-3)*time.Minute)); err != nil {
					t.Fatal(err)
				}
			}
			doc := page(t, b.do(t, "GET", accountPath(acct.ID), nil))
			if href, _ := doc.Find("#lift-pause").Attr("href"); href != path {
				t.Fatalf("lift link %q, want %q", href, path)
			}
			if res := b.do(t, "GET", path, nil); res.StatusCode != http.StatusOK || page(t, res).Find("#lift-pause-form #reason").Length() != 1 {
				t.Fatalf("confirmation: %d", res.StatusCode)
			}
			res := b.do(t, "POST", path, url.Values{"reason": {"  "}})
			if res.StatusCode != http.StatusUnprocessableEntity || page(t, res).Find("#form-error").Length() != 1 || !paused(t, c, "taro-01") {
				t.Fatalf("no reason: %d, paused %v", res.StatusCode, paused(t, c, "taro-01"))
			}
			if res := b.do(t, "POST", path, url.Values{"reason": {strings.Repeat("長", maxReasonRunes+1)}}); res.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("a reason over %d characters: %d", maxReasonRunes, res.StatusCode)
			}
			res = b.do(t, "POST", path, url.Values{"reason": {"identity checked by phone, ticket 77"}})
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != accountPath(acct.ID)+"?done=pause-lifted" {
				t.Fatalf("lift: %d %s", res.StatusCode, res.Header.Get("Location"))
			}
			if paused(t, c, "taro-01") || countRows(t, c, (*db.LoginFailure)(nil), "login_id = ?", "taro-01") != 0 {
				t.Error("the logins are still paused")
			}
			checkAudited(t, c, db.AuditLoginPauseLifted, acct, member, "ticket 77")
			doc = page(t, b.do(t, "GET", res.Header.Get("Location"), nil))
			if doc.Find("#notice").Length() != 1 || doc.Find("#lift-pause").Length() != 0 {
				t.Errorf("after lifting: notice %q, lift link %d", doc.Find("#notice").Text(), doc.Find("#lift-pause").Length())
			}
			if res := b.do(t, "POST", path, url.Values{"reason": {"again"}}); res.StatusCode != http.StatusConflict {
				t.Errorf("lifting a pause that is no more: %d", res.StatusCode)
			}
		})
	}
}

func TestRequeueDeadMail(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			c := newTestConsole(t, dialect, nil)
			ctx := context.Background()
			taro := newMerchant(t, c, "taro-01", "taro@example.jp", "x")
			hana := newMerchant(t, c, "hana-02", "hana@example.jp", "x")
			expired := c.clock.Now().Add(-time.Minute)
			deadMail(t, c, "mail-taro", taro, mail.KindPasswordChanged, nil)
			deadMail(t, c, "mail-taro-link", taro, mail.KindReset, &expired)
			deadMail(t, c, "mail-hana", hana, mail.KindPasswordChanged, nil)
			member, b := signInSupport(t, c)

			doc := page(t, b.do(t, "GET", accountPath(taro.ID), nil))
			var listed []string
			for _, id := range []string{"mail-taro", "mail-taro-link", "mail-hana"} {
				if row := doc.Find(`#dead-mails tr[data-mail-id="` + id + `"]`); row.Length() == 1 {
					listed = append(listed, id)
					if href, _ := row.Find("a.requeue").Attr("href"); href != requeuePath(taro.ID, id) {
						t.Errorf("%s: requeue link %q", id, href)
					}
					if !strings.Contains(row.Text(), "550 mailbox unavailable") || !strings.Contains(row.Text(), "taro@example.jp") {
						t.Errorf("%s: row %q lacks the address or the error", id, row.Text())
					}
				}
			}
			if strings.Join(listed, ",") != "mail-taro,mail-taro-link" {
				t.Errorf("dead mails listed: %v", listed)
			}

			// Another account's mail is not found through this account.
			other := requeuePath(taro.ID, "mail-hana")
			if res := b.do(t, "GET", other, nil); res.StatusCode != http.StatusNotFound {
				t.Errorf("GET another account's mail: %d", res.StatusCode)
			}
			if res := b.do(t, "POST", other, url.Values{"reason": {"called"}}); res.StatusCode != http.StatusNotFound {
				t.Errorf("POST another account's mail: %d", res.StatusCode)
			}
			path := requeuePath(taro.ID, "mail-taro")
			if res := b.do(t, "POST", path, url.Values{"reason": {""}}); res.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("no reason: %d", res.StatusCode)
			}
			if res := b.do(t, "POST", requeuePath(taro.ID, "mail-taro-link"), url.Values{"reason": {"called"}}); res.StatusCode != http.StatusConflict ||
				page(t, res).Find("#form-error").Length() != 1 {
				t.Errorf("an expired link: %d", res.StatusCode)
			}
			if n := countRows(t, c, (*db.OutboxMail)(nil), "status = ?", db.OutboxDead); n != 3 {
				t.Fatalf("%d dead mails after refusals, want 3", n)
			}
			if e := lastAudit(t, c, db.AuditMailRetried); e != nil {
				t.Errorf("refusals audited: %+v", e)
			}

			if res := b.do(t, "GET", path, nil); res.StatusCode != http.StatusOK || page(t, res).Find("#mail-to").Text() != "taro@example.jp" {
				t.Fatalf("confirmation: %d", res.StatusCode)
			}
			res := b.do(t, "POST", path, url.Values{"reason": {"mailbox fixed, ticket 88"}})
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != accountPath(taro.ID)+"?done=mail-requeued" {
				t.Fatalf("requeue: %d %s", res.StatusCode, res.Header.Get("Location"))
			}
			row, _ := db.GetOutboxMail(ctx, c.db, "mail-taro")
			if row.Status != db.OutboxPending || row.Attempts != 0 || !row.NextAttemptAt.Equal(c.clock.Now()) {
				t.Errorf("requeued row: %s, %d tries, next %v", row.Status, row.Attempts, row.NextAttemptAt)
			}
			checkAudited(t, c, db.AuditMailRetried, taro, member, "ticket 88")
			doc = page(t, b.do(t, "GET", res.Header.Get("Location"), nil))
			if doc.Find("#notice").Length() != 1 || doc.Find(`#dead-mails tr[data-mail-id="mail-taro"]`).Length() != 0 {
				t.Error("after requeueing: no notice, or the mail is still listed as dead")
			}
			if res := b.do(t, "POST", path, url.Values{"reason": {"again"}}); res.StatusCode != http.StatusConflict {
				t.Errorf("requeueing a pending mail: %d", res.StatusCode)
			}
		})
	}
}

func TestChangeEmailByStaff(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			c := newTestConsole(t, dialect, nil)
			ctx := context.Background()
			acct := newMerchant(t, c, "taro-01", "Old.Taro@Example.jp", "x")
			if _, err := db.CreateResetToken(ctx, c.db, acct.ID, []byte("hash-of-a-token-01234567890123456"), c.clock.Now(), time.Hour, ""); err != nil {
				t.Fatal(err)
			}
			admin, b := signIn(t, c, "suzuki@example.jp", db.RoleAdmin)
			path := accountPath(acct.ID) + "/change-email"
			if href, _ := page(t, b.do(t, "GET", accountPath(acct.ID), nil)).Find("#change-email").Attr("href"); href != path {
				t.Fatalf("change link %q", href)
			}
			if doc := page(t, b.do(t, "GET", path, nil)); doc.Find("#current-email").Text() != "Old.Taro@Example.jp" {
				t.Errorf("confirmation shows %q", doc.Find("#current-email").Text())
			}
			for _, tc := range []struct{ name, email, reason string }{
				{"not an address", "not-an-address", "moved"},
				{"no address", "", "moved"},
				{"the same address", "Old.Taro@Example.jp", "moved"},
				{"no reason", "new@example.jp", " "},
			} {
				res := b.do(t, "POST", path, url.Values{"email": {tc.email}, "reason": {tc.reason}})
				if res.StatusCode != http.StatusUnprocessableEntity {
					t.Errorf("%s: %d", tc.name, res.StatusCode)
					continue
				}
				doc := page(t, res)
				if doc.Find("#form-error").Length() != 1 || doc.Find("#email").AttrOr("value", "?") != tc.email || doc.Find("#reason").Text() != strings.TrimSpace(tc.reason) {
					t.Errorf("%s: error %q, kept %q and %q", tc.name, doc.Find("#form-error").Text(), doc.Find("#email").AttrOr("value", "?"), doc.Find("#reason").Text())
				}
				if _, invalid := doc.Find("#email").Attr("aria-invalid"); invalid != (tc.name != "no reason") {
					t.Errorf("%s: the address is marked invalid: %v", tc.name, invalid)
				}
			}
			if got, _ := db.GetAccount(ctx, c.db, acct.ID); got.Email != "Old.Taro@Example.jp" || countRows(t, c, (*db.OutboxMail)(nil), "") != 0 ||
				countRows(t, c, (*db.ResetToken)(nil), "revoked_at IS NULL") != 1 {
				t.Fatalf("refusals changed something: address %q", got.Email)
			}

			// A full-width address is normalised as "account set-email" does.
			res := b.do(t, "POST", path, url.Values{"email": {"Ｎｅｗ．Ｔａｒｏ＠Example.jp"}, "reason": {"old mailbox closed, ticket 99"}})
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != accountPath(acct.ID)+"?done=email-changed" {
				t.Fatalf("change: %d %s", res.StatusCode, res.Header.Get("Location"))
			}
			if got, _ := db.GetAccount(ctx, c.db, acct.ID); got.Email != "New.Taro@Example.jp" {
				t.Errorf("address %q", got.Email)
			}
			var notices []db.OutboxMail
			if err := c.db.NewSelect().Model(&notices).Scan(ctx); err != nil {
				t.Fatal(err)
			}
			var to []string
			for _, n := range notices {
				if n.Kind != string(mail.KindEmailChanged) || *n.AccountID != acct.ID {
					t.Errorf("queued %s for %v", n.Kind, n.AccountID)
				}
				to = append(to, n.ToAddr)
			}
			slices.Sort(to)
			if strings.Join(to, " ") != "New.Taro@Example.jp Old.Taro@Example.jp" {
				t.Errorf("notices to %q, want the old and the new address", to)
			}
			if n := countRows(t, c, (*db.ResetToken)(nil), "revoked_at IS NULL"); n != 0 {
				t.Errorf("%d links still valid", n)
			}
			checkAudited(t, c, db.AuditEmailChanged, acct, admin, "ticket 99")
			if e := lastAudit(t, c, db.AuditEmailChanged); !strings.Contains(e.Detail, "from Old.Taro@Example.jp to New.Taro@Example.jp") {
				t.Errorf("audit detail %q", e.Detail)
			}
			if doc := page(t, b.do(t, "GET", res.Header.Get("Location"), nil)); doc.Find("#notice").Length() != 1 || doc.Find("#email").Text() != "New.Taro@Example.jp" {
				t.Errorf("account page after the change: notice %d, address %q", doc.Find("#notice").Length(), doc.Find("#email").Text())
			}
		})
	}
}

// merchantPost posts form to the merchant app, as its own pages do.
func merchantPost(t *testing.T, m *app.App, path string, form url.Values) (int, string) {
	t.Helper()
	req := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, err := m.Handler().Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

var nonces = regexp.MustCompile(`nonce="[^"]*"|'nonce-[^']*'`)

// stepThree runs the merchant app's steps 2 and 3 and returns step 3's
// page, its nonces taken out.
func stepThree(t *testing.T, m *app.App, loginID, email string) string {
	t.Helper()
	status, body := merchantPost(t, m, "/password-resetting/confirm", url.Values{"login_id": {loginID}, "email": {email}})
	state := regexp.MustCompile(`name="state" value="([^"]+)"`).FindStringSubmatch(body)
	if status != http.StatusOK || state == nil {
		t.Fatalf("confirm %s: %d, state %v", loginID, status, state)
	}
	status, body = merchantPost(t, m, "/password-resetting/send", url.Values{"state": {state[1]}})
	if status != http.StatusOK {
		t.Fatalf("send %s: %d", loginID, status)
	}
	return nonces.ReplaceAllString(body, "NONCE")
}

// firstDifference shows where two pages part: a little of each from the
// first byte that differs.
func firstDifference(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from := max(i-40, 0)
	return fmt.Sprintf("at byte %d: %q vs %q", i, a[from:min(i+80, len(a))], b[from:min(i+80, len(b))])
}

// An admin disables an account in the console: the merchant cannot log
// in, and step 3 answers for it exactly as for no account; enabled again,
// the merchant logs in.
func TestDisableAndEnableByStaff(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			c := newTestConsole(t, dialect, nil)
			ctx := context.Background()
			const merchantPassword = "merchant passphrase 01"
			acct := newMerchant(t, c, "status01", "status01@example.jp", merchantPassword)
			if _, err := db.CreateResetToken(ctx, c.db, acct.ID, []byte("hash-of-a-token-01234567890123456"), c.clock.Now(), time.Hour, ""); err != nil {
				t.Fatal(err)
			}
			merchant := app.New(c.svc)
			login := func() int {
				status, _ := merchantPost(t, merchant, "/login?lang=ja", url.Values{"login_id": {"status01"}, "password": {merchantPassword}})
				return status
			}
			if got := login(); got != http.StatusSeeOther {
				t.Fatalf("login before: %d", got)
			}

			admin, b := signIn(t, c, "suzuki@example.jp", db.RoleAdmin)
			doc := page(t, b.do(t, "GET", accountPath(acct.ID), nil))
			if doc.Find("#disable").Length() != 1 || doc.Find("#enable").Length() != 0 {
				t.Fatalf("an active account offers disable %d, enable %d", doc.Find("#disable").Length(), doc.Find("#enable").Length())
			}
			disable, enable := accountPath(acct.ID)+"/disable", accountPath(acct.ID)+"/enable"
			if res := b.do(t, "POST", disable, url.Values{"reason": {""}}); res.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("no reason: %d", res.StatusCode)
			}
			if got, _ := db.GetAccount(ctx, c.db, acct.ID); got.DisabledAt != nil {
				t.Fatal("disabled without a reason")
			}
			if res := b.do(t, "POST", enable, url.Values{"reason": {"cleared"}}); res.StatusCode != http.StatusConflict {
				t.Errorf("enabling an active account: %d", res.StatusCode)
			}
			res := b.do(t, "POST", disable, url.Values{"reason": {"fraud report, ticket 5"}})
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != accountPath(acct.ID)+"?done=disabled" {
				t.Fatalf("disable: %d %s", res.StatusCode, res.Header.Get("Location"))
			}
			checkAudited(t, c, db.AuditAccountDisabled, acct, admin, "ticket 5")
			if n := countRows(t, c, (*db.ResetToken)(nil), "revoked_at IS NULL"); n != 0 {
				t.Errorf("%d links still valid", n)
			}
			doc = page(t, b.do(t, "GET", res.Header.Get("Location"), nil))
			if _, off := doc.Find("#status").Attr("data-disabled"); !off || doc.Find("#enable").Length() != 1 || doc.Find("#disable").Length() != 0 || doc.Find("#notice").Length() != 1 {
				t.Errorf("page of the disabled account: status %q, enable %d, disable %d", doc.Find("#status").Text(), doc.Find("#enable").Length(), doc.Find("#disable").Length())
			}
			if got := login(); got != http.StatusUnauthorized {
				t.Errorf("login while disabled: %d, want 401", got)
			}
			// Step 3 says until when the link would be valid, to the
			// minute: the disabled account's page is taken between two
			// for no account, and one of them is from its minute.
			before := stepThree(t, merchant, "nobody01", "nobody@example.jp")
			got := stepThree(t, merchant, "status01", "status01@example.jp")
			after := stepThree(t, merchant, "nobody01", "nobody@example.jp")
			if got != before && got != after {
				t.Errorf("step 3 for the disabled account differs from one for no account: %s", firstDifference(got, after))
			}

			res = b.do(t, "POST", enable, url.Values{"reason": {"cleared, ticket 6"}})
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != accountPath(acct.ID)+"?done=enabled" {
				t.Fatalf("enable: %d %s", res.StatusCode, res.Header.Get("Location"))
			}
			checkAudited(t, c, db.AuditAccountEnabled, acct, admin, "ticket 6")
			if got := login(); got != http.StatusSeeOther {
				t.Errorf("login after enabling: %d", got)
			}
		})
	}
}

// A support member sees no admin action and is refused them by the
// server; nothing changes.
func TestAdminActionsRefusedToSupport(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			c := newTestConsole(t, dialect, nil)
			ctx := context.Background()
			acct := newMerchant(t, c, "taro-01", "taro@example.jp", "x")
			_, b := signInSupport(t, c)
			doc := page(t, b.do(t, "GET", accountPath(acct.ID), nil))
			for _, id := range []string{"#change-email", "#disable", "#enable"} {
				if doc.Find(id).Length() != 0 {
					t.Errorf("support member offered %s", id)
				}
			}
			for _, action := range []string{"change-email", "disable", "enable"} {
				path := accountPath(acct.ID) + "/" + action
				res := b.do(t, "GET", path, nil)
				if res.StatusCode != http.StatusForbidden {
					t.Errorf("GET %s: %d", action, res.StatusCode)
				}
				if got := page(t, res).Find("#error-message").Text(); !strings.Contains(got, "役割") {
					t.Errorf("GET %s says %q, not that the role does not allow it", action, got)
				}
				if res := b.do(t, "POST", path, url.Values{"email": {"new@example.jp"}, "reason": {"asked"}}); res.StatusCode != http.StatusForbidden {
					t.Errorf("POST %s: %d", action, res.StatusCode)
				}
			}
			if got, _ := db.GetAccount(ctx, c.db, acct.ID); got.Email != "taro@example.jp" || got.DisabledAt != nil ||
				countRows(t, c, (*db.OutboxMail)(nil), "") != 0 || countRows(t, c, (*db.AuditEvent)(nil), "account_id = ?", acct.ID) != 0 {
				t.Errorf("a refused action changed the account: %+v", got)
			}
		})
	}
}

// Every action's POST from another site is refused, even with the
// member's cookie.
func TestAccountActionsRefuseCrossSite(t *testing.T) {
	c := newTestConsole(t, "sqlite", map[string]string{"LOGIN_LOCKOUT_THRESHOLD": "3"})
	ctx := context.Background()
	acct := newMerchant(t, c, "taro-01", "taro@example.jp", "x")
	for range 3 {
		if _, err := db.RecordLoginFailure(ctx, c.db, "taro-01", "", c.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	deadMail(t, c, "mail-taro", acct, mail.KindPasswordChanged, nil)
	_, b := signIn(t, c, "suzuki@example.jp", db.RoleAdmin)
	form := url.Values{"email": {"new@example.jp"}, "reason": {"asked"}}
	for _, path := range []string{"/lift-pause", "/mails/mail-taro/requeue", "/change-email", "/disable"} {
		for _, h := range []map[string]string{{"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}} {
			req := httptest.NewRequest("POST", "http://127.0.0.1:8082"+accountPath(acct.ID)+path, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.AddCookie(b.cookie)
			for k, v := range h {
				req.Header.Set(k, v)
			}
			res, err := c.Handler().Test(req, -1)
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != http.StatusForbidden {
				t.Errorf("%s with %v: %d", path, h, res.StatusCode)
			}
		}
	}
	got, _ := db.GetAccount(ctx, c.db, acct.ID)
	row, _ := db.GetOutboxMail(ctx, c.db, "mail-taro")
	if got.Email != "taro@example.jp" || got.DisabledAt != nil || !paused(t, c, "taro-01") || row.Status != db.OutboxDead {
		t.Errorf("a cross-site request changed something: %+v, mail %s", got, row.Status)
	}
}

// The account page shows only the notices it knows, never the query's words.
func TestAccountNoticeFixed(t *testing.T) {
	c := newTestConsole(t, "sqlite", nil)
	acct := newMerchant(t, c, "taro-01", "taro@example.jp", "x")
	_, b := signInSupport(t, c)
	for q, want := range map[string]string{
		"?done=disabled":                    vc.T(views.Ja).AccountOff,
		"?done=" + url.QueryEscape("<b>hi"): "",
		"?done=Your+account+is+closed":      "",
	} {
		got := strings.TrimSpace(page(t, b.do(t, "GET", accountPath(acct.ID)+q, nil)).Find("#notice").Text())
		if got != want {
			t.Errorf("%s: notice %q, want %q", q, got, want)
		}
	}
}

// Pauses and dead mail are for support and admin; addresses and status
// for admin only.
func TestCanAccountActions(t *testing.T) {
	for action, adminOnly := range map[staff.Action]bool{
		staff.LiftPause: false, staff.RequeueMail: false, staff.ChangeEmail: true, staff.ChangeStatus: true,
	} {
		if !staff.Can(db.RoleAdmin, action) || staff.Can(db.RoleSupport, action) == adminOnly || staff.Can("", action) {
			t.Errorf("%s: admin %v, support %v, no role %v", action, staff.Can(db.RoleAdmin, action), staff.Can(db.RoleSupport, action), staff.Can("", action))
		}
	}
}
