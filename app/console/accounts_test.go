package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/gofiber/fiber/v2"

	"aikagi/app/staff"
	"aikagi/db"
	"aikagi/db/dbtest"
)

func TestAccountPage(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			c := newTestConsole(t, dialect, map[string]string{"LOGIN_LOCKOUT_THRESHOLD": "3"})
			ctx := context.Background()
			now := c.clock.Now()
			acct := &db.Account{LoginID: "taro-01", Email: "taro@example.jp", StoreName: "山田商店", Locale: "en", PasswordHash: "x"}
			if err := db.CreateAccount(ctx, c.db, acct, now.Add(-time.Hour)); err != nil {
				t.Fatal(err)
			}
			member, _ := db.FindStaffByEmail(ctx, c.db, "sato@example.jp")
			for m, e := range []db.AuditEvent{
				{Kind: db.AuditLoginFailed, AccountID: &acct.ID, IP: "192.0.2.9"},
				{Kind: db.AuditResetByOperator, AccountID: &acct.ID, StaffID: &member.ID, Detail: "merchant called"},
			} {
				if err := db.RecordAudit(ctx, c.db, &e, now.Add(time.Duration(m-10)*time.Minute)); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := db.CreateResetToken(ctx, c.db, acct.ID, []byte("hash-of-a-token-01234567890123456"), now.Add(-5*time.Minute), 30*time.Minute, ""); err != nil {
				t.Fatal(err)
			}
			for m := range 3 {
				if _, err := db.RecordLoginFailure(ctx, c.db, "taro-01", "", now.Add(time.Duration(m-3)*time.Minute)); err != nil {
					t.Fatal(err)
				}
			}
			_, b := enrol(t, c)
			res := b.do(t, "GET", "/accounts/"+itoa(acct.ID), nil)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("account page: %d", res.StatusCode)
			}
			doc := page(t, res)
			for id, want := range map[string]string{"#store": "山田商店", "#email": "taro@example.jp", "#locale": "English (en)", "#last-bounced": "", "#login-id": "taro-01"} {
				if got := strings.TrimSpace(doc.Find(id).Text()); got == "" || (want != "" && got != want) {
					t.Errorf("%s = %q, want %q", id, got, want)
				}
			}
			if _, paused := doc.Find("#status").Attr("data-paused"); !paused {
				t.Errorf("status %q: the login pause is not shown", doc.Find("#status").Text())
			}
			var whats []string
			doc.Find("#timeline tbody tr").Each(func(_ int, s *goquery.Selection) { whats = append(whats, s.AttrOr("data-what", "")) })
			want := []string{"link_issued", string(db.AuditResetByOperator), string(db.AuditLoginFailed)}
			if strings.Join(whats, ",") != strings.Join(want, ",") {
				t.Errorf("timeline %v, want %v", whats, want)
			}
			// 09:25 UTC is 18:25 in Japan.
			if got, want := doc.Find(`#timeline tr[data-what="link_issued"] td:nth-child(3)`).Text(), "有効期限 2026/12/01 18:25"; got != want {
				t.Errorf("the link's detail reads %q, want %q", got, want)
			}
			if got := doc.Find(`#timeline tr[data-what="reset_sent_by_operator"]`).Text(); !strings.Contains(got, "sato@example.jp") {
				t.Errorf("the staff action does not name its member: %q", got)
			}
			res = b.do(t, "GET", "/accounts/999999", nil)
			if res.StatusCode != http.StatusNotFound {
				t.Errorf("unknown account: %d", res.StatusCode)
			}
			if doc := page(t, res); doc.Find("h1").Text() != "見つかりません" || doc.Find(`main a[href="/"]`).Length() != 1 || doc.Find("#staff-email").Length() != 1 {
				t.Errorf("unknown account's page: %q, %d links back to the search", doc.Find("h1").Text(), doc.Find(`main a[href="/"]`).Length())
			}
			if res := (&browser{c: c}).do(t, "GET", "/accounts/"+itoa(acct.ID), nil); res.StatusCode != http.StatusSeeOther {
				t.Errorf("account page without login: %d", res.StatusCode)
			}
		})
	}
}

func itoa(n int64) string { return strings.TrimPrefix(accountPath(n), "/accounts/") }

func TestCan(t *testing.T) {
	for _, tc := range []struct {
		role   db.StaffRole
		action staff.Action
		want   bool
	}{
		{db.RoleSupport, staff.SendReset, true},
		{db.RoleAdmin, staff.SendReset, true},
		{"", staff.SendReset, false},
		{"root", staff.SendReset, false},
		{db.RoleAdmin, "delete_everything", false},
	} {
		if got := staff.Can(tc.role, tc.action); got != tc.want {
			t.Errorf("Can(%q, %q) = %v", tc.role, tc.action, got)
		}
	}
}

func TestSendReset(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			c := newTestConsole(t, dialect, nil)
			ctx := context.Background()
			acct := &db.Account{LoginID: "taro-01", Email: "taro@example.jp", StoreName: "山田商店", Locale: "ja", PasswordHash: "x"}
			if err := db.CreateAccount(ctx, c.db, acct, c.clock.Now()); err != nil {
				t.Fatal(err)
			}
			_, b := enrol(t, c)
			path := "/accounts/" + itoa(acct.ID) + "/send-reset"
			doc := page(t, b.do(t, "GET", path, nil))
			if doc.Find("#send-to").Text() != "taro@example.jp" || doc.Find("#ttl option").Length() != 3 {
				t.Fatalf("confirmation page: to %q, %d lifetimes", doc.Find("#send-to").Text(), doc.Find("#ttl option").Length())
			}
			if got := doc.Find(`#ttl option[value="24h0m0s"]`).Text(); got != "24時間" {
				t.Errorf("a day's lifetime reads %q, want 24時間", got)
			}
			if res := b.do(t, "POST", path, url.Values{"ttl": {"24h0m0s"}, "reason": {"  "}}); res.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("no reason: %d", res.StatusCode)
			}
			if res := b.do(t, "POST", path, url.Values{"ttl": {"999h0m0s"}, "reason": {"called"}}); res.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("a lifetime not offered: %d", res.StatusCode)
			}
			if n, _ := c.db.NewSelect().Model((*db.ResetToken)(nil)).Count(ctx); n != 0 {
				t.Fatalf("%d links after refused requests", n)
			}
			res := b.do(t, "POST", path, url.Values{"ttl": {"24h0m0s"}, "reason": {"identity checked by phone, ticket 1234"}})
			if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/accounts/"+itoa(acct.ID)+"?sent=") {
				t.Fatalf("send: %d %s", res.StatusCode, res.Header.Get("Location"))
			}
			var tokens []db.ResetToken
			if err := c.db.NewSelect().Model(&tokens).Scan(ctx); err != nil || len(tokens) != 1 || !tokens[0].ExpiresAt.Equal(c.clock.Now().Add(24*time.Hour)) {
				t.Fatalf("links %+v %v", tokens, err)
			}
			if n, _ := c.db.NewSelect().Model((*db.OutboxMail)(nil)).Where("account_id = ?", acct.ID).Count(ctx); n != 1 {
				t.Errorf("%d mails queued", n)
			}
			var events []db.AuditEvent
			if err := c.db.NewSelect().Model(&events).Where("kind = ?", db.AuditResetByOperator).Scan(ctx); err != nil || len(events) != 1 {
				t.Fatalf("audit %+v %v", events, err)
			}
			member, _ := db.FindStaffByEmail(ctx, c.db, "sato@example.jp")
			if e := events[0]; e.StaffID == nil || *e.StaffID != member.ID || !strings.Contains(e.Detail, "ticket 1234") || *e.AccountID != acct.ID {
				t.Errorf("audit %+v: want the member and the reason", e)
			}
			doc = page(t, b.do(t, "GET", res.Header.Get("Location"), nil))
			if doc.Find("#notice").Length() != 1 {
				t.Error("no notice after sending")
			}
			if got := doc.Find(`#timeline tr[data-what="mail_queued"] td:nth-child(3)`).Text(); got != "再設定リンク → taro@example.jp" {
				t.Errorf("the queued mail's detail reads %q", got)
			}
			// A disabled account gets no link.
			disabled := c.clock.Now()
			if err := db.SetAccountDisabled(ctx, c.db, acct.ID, &disabled, disabled); err != nil {
				t.Fatal(err)
			}
			if res := b.do(t, "POST", path, url.Values{"ttl": {"24h0m0s"}, "reason": {"again"}}); res.StatusCode != http.StatusConflict {
				t.Errorf("disabled account: %d", res.StatusCode)
			}
		})
	}
}

// A member whose role does not allow an action is refused by the server,
// whatever the page showed.
func TestRoleEnforced(t *testing.T) {
	c := newTestConsole(t, "sqlite", nil)
	_, b := enrol(t, c)
	ctx := context.Background()
	acct := &db.Account{LoginID: "taro-01", Email: "taro@example.jp", StoreName: "x", Locale: "ja", PasswordHash: "x"}
	if err := db.CreateAccount(ctx, c.db, acct, c.clock.Now()); err != nil {
		t.Fatal(err)
	}
	// No role grants this action: the route refuses it.
	handler := c.may("not_an_action", func(c *fiber.Ctx) error { return c.SendString("done") })
	c.fiber.Get("/test-only/:id<int>", c.signedIn(handler))
	res := b.do(t, "GET", "/test-only/1", nil)
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("an action no role may take: %d", res.StatusCode)
	}
}

// Text from outside reaches console pages with its bidi overrides, zero-
// width and control characters written as visible escapes, as the CLI
// shows them: a bounce text "mailbox ‮ gnp.exe" cannot read "exe.png".
func TestOutsideTextShownEscaped(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			c := newTestConsole(t, dialect, nil)
			ctx := context.Background()
			// Stored before the import refused such names.
			acct := &db.Account{LoginID: "rtl-01", Email: "rtl@example.jp", StoreName: "山田\u202e商店\u200b", Locale: "ja", PasswordHash: "x"}
			if err := db.CreateAccount(ctx, c.db, acct, c.clock.Now().Add(-time.Hour)); err != nil {
				t.Fatal(err)
			}
			if err := db.RecordAudit(ctx, c.db, &db.AuditEvent{Kind: db.AuditAccountUpdated, AccountID: &acct.ID,
				Detail: "mailbox \u202e gnp.exe\nforged line", UserAgent: "x"}, c.clock.Now()); err != nil {
				t.Fatal(err)
			}
			_, b := enrol(t, c)
			for _, path := range []string{"/accounts/" + itoa(acct.ID), "/search?q=" + url.QueryEscape("山田")} {
				res := b.do(t, "GET", path, nil)
				doc := page(t, res)
				html, _ := doc.Html()
				if strings.ContainsAny(html, "\u202e\u200b") {
					t.Errorf("%s: a bidi override or zero-width space reaches the page raw", path)
				}
				if !strings.Contains(doc.Find("main").Text(), `山田\u202e商店\u200b`) {
					t.Errorf("%s: the store name is not shown escaped", path)
				}
			}
			doc := page(t, b.do(t, "GET", "/accounts/"+itoa(acct.ID), nil))
			if got := doc.Find(`#timeline tr[data-what="account_updated"]`).Text(); !strings.Contains(got, `mailbox \u202e gnp.exe\nforged line`) {
				t.Errorf("the event's detail reads %q, want its escapes visible", got)
			}
		})
	}
}

// Times on the console are Japan time, labelled once on the page, with
// how long ago for the recent past and UTC only in the tooltip: an agent
// reading a time aloud to a merchant reads the merchant's clock.
func TestTimesInJapan(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			c := newTestConsole(t, dialect, map[string]string{"LOGIN_LOCKOUT_THRESHOLD": "3"})
			ctx := context.Background()
			now := c.clock.Now() // 2026-12-01 09:00 UTC, 18:00 in Japan
			acct := &db.Account{LoginID: "jst-01", Email: "jst@example.jp", StoreName: "時計店", Locale: "ja", PasswordHash: "x"}
			if err := db.CreateAccount(ctx, c.db, acct, now.Add(-72*time.Hour)); err != nil {
				t.Fatal(err)
			}
			// Two failed logins apart, with a login between them (a run of
			// them would be one row).
			for _, e := range []struct {
				kind db.AuditKind
				at   time.Time
			}{
				{db.AuditLoginFailed, now.Add(-3 * time.Minute)},
				{db.AuditLoginSucceeded, now.Add(-2 * time.Hour)},
				{db.AuditLoginFailed, time.Date(2026, 11, 28, 23, 30, 0, 0, time.UTC)},
			} {
				if err := db.RecordAudit(ctx, c.db, &db.AuditEvent{Kind: e.kind, AccountID: &acct.ID}, e.at); err != nil {
					t.Fatal(err)
				}
			}
			for range 3 {
				if _, err := db.RecordLoginFailure(ctx, c.db, "jst-01", "", now.Add(-time.Minute)); err != nil {
					t.Fatal(err)
				}
			}
			_, b := enrol(t, c)
			for _, tc := range []struct {
				lang                   string
				recent, recentAgo, old string
				paused, sent, label    string
			}{
				{"ja", "2026/12/01 17:57", "3分前", "2026/11/29 08:30", "2026/12/01 18:14", "2026/12/02 09:42", "日本時間"},
				{"en", "1 Dec 2026 17:57", "3 min ago", "29 Nov 2026 08:30", "1 Dec 2026 18:14", "2 Dec 2026 09:42", "Japan time"},
			} {
				t.Run(tc.lang, func(t *testing.T) {
					doc := page(t, b.do(t, "GET", "/accounts/"+itoa(acct.ID)+"?lang="+tc.lang+"&sent=2026-12-02T00:42:15Z", nil))
					rows := doc.Find(`#timeline tr[data-what="login_failed"]`)
					if rows.Length() != 2 {
						t.Fatalf("%d login failures in the timeline", rows.Length())
					}
					recent, old := rows.Eq(0).Find("td").First(), rows.Eq(1).Find("td").First()
					if got := strings.Join(strings.Fields(recent.Text()), " "); got != tc.recent+" "+tc.recentAgo {
						t.Errorf("the recent event reads %q, want %q", got, tc.recent+" "+tc.recentAgo)
					}
					if title, _ := recent.Find("time").Attr("title"); title != "2026-12-01 08:57:00 UTC" {
						t.Errorf("the recent event's tooltip is %q, want the UTC time", title)
					}
					if got := strings.TrimSpace(old.Text()); got != tc.old {
						t.Errorf("the older event reads %q, want %q without how long ago", got, tc.old)
					}
					if got := doc.Find("#status").Text(); !strings.Contains(got, tc.paused) {
						t.Errorf("the pause's end reads %q, want %s (Japan time)", got, tc.paused)
					}
					if got := doc.Find("#notice").Text(); !strings.Contains(got, tc.sent) {
						t.Errorf("the sent link's expiry reads %q, want 09:42 on 2 Dec in Japan", got)
					}
					if n := doc.Find("#time-zone").Length(); n != 1 || !strings.Contains(doc.Find("#time-zone").Text(), tc.label) {
						t.Errorf("the Japan time label: %d, %q", n, doc.Find("#time-zone").Text())
					}
					if strings.Contains(doc.Find("body").Text(), "UTC") {
						t.Error("the page speaks of UTC outside a tooltip")
					}
				})
			}
		})
	}
}
