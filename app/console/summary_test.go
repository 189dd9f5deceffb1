package console

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"aikagi/db"
	"aikagi/db/dbtest"
)

// newSummaryAccount is an account with the address addr, created a day
// before the clock's time.
func newSummaryAccount(t *testing.T, c *testConsole, loginID, addr string) *db.Account {
	t.Helper()
	acct := &db.Account{LoginID: loginID, Email: addr, StoreName: "山田商店", Locale: "ja", PasswordHash: "x"}
	if err := db.CreateAccount(context.Background(), c.db, acct, c.clock.Now().Add(-24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	return acct
}

// requestMailed records a merchant's matched request for acct at the
// clock's time, as the intake worker does, with its mail sent a minute
// later and, unless event is "", the provider's word on it a minute after
// that. It returns the mail's id.
func requestMailed(t *testing.T, c *testConsole, acct *db.Account, event db.DeliveryEvent, detail string) string {
	t.Helper()
	ctx := context.Background()
	now := c.clock.Now()
	if _, _, err := c.resets.QueueResetLink(ctx, c.db, acct, 30*time.Minute, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordAudit(ctx, c.db, &db.AuditEvent{Kind: db.AuditResetRequested, AccountID: &acct.ID, LoginID: acct.LoginID}, now); err != nil {
		t.Fatal(err)
	}
	claimed, err := db.ClaimMail(ctx, c.db, now, time.Minute, 10, dbtest.BatchID())
	if err != nil {
		t.Fatal(err)
	}
	var id string
	for _, m := range claimed {
		if m.CreatedAt.Equal(db.Stamp(now)) {
			id = m.ID
			if ok, err := db.MarkMailSent(ctx, c.db, id, m.Attempts, "prov-"+id, now.Add(time.Minute)); !ok || err != nil {
				t.Fatalf("sent: %v %v", ok, err)
			}
		}
	}
	if id == "" {
		t.Fatalf("the request's mail is not among the %d claimed", len(claimed))
	}
	if event != "" {
		if _, known, err := db.RecordDeliveryEvent(ctx, c.db, db.MessageRef{OutboxID: id}, event, detail, now.Add(2*time.Minute)); !known || err != nil {
			t.Fatalf("delivery event: %v %v", known, err)
		}
	}
	return id
}

// makeAdmin gives sato the admin role, who may change an address.
func makeAdmin(t *testing.T, c *testConsole) {
	t.Helper()
	if _, err := c.db.NewUpdate().Model((*db.Staff)(nil)).Set("role = ?", db.RoleAdmin).Where("email = ?", "sato@example.jp").Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// chain is the summary's chain of steps as one line.
func chain(doc *goquery.Document) string {
	return strings.Join(strings.Fields(doc.Find("#account-summary #summary-chain").Text()), " ")
}

// The account page opens with the answer to 「メールが届かない」: the latest
// request, matched or not, sent, delivered or bounced and why, and to
// which domain, in the page's language and Japan time (the clock's 09:00
// UTC is 18:00 in Japan).
func TestAccountSummary(t *testing.T) {
	dbtest.ForEachDialect(t, func(t *testing.T, dialect string) {
		for _, tc := range []struct {
			name, lang, addr string
			event            db.DeliveryEvent
			detail           string
			unmatched        bool
			chain, advice    string
			bounced          bool
			raw              string
			delivery         string
		}{
			{
				name: "bounced by a carrier", lang: "ja", addr: "taro@ezweb.ne.jp",
				event: db.DeliveryBounced, detail: "Permanent/General: 550 5.7.1 message rejected by policy",
				chain:   "12/1 18:00 依頼（一致） → 18:01 送信 → 18:02 不達: 受信拒否（URL付きメール拒否の可能性） ezweb.ne.jp",
				advice:  "携帯会社の迷惑メール設定で",
				bounced: true, raw: "550 5.7.1 message rejected by policy",
				delivery: "最後の結果: 不達: 受信拒否（URL付きメール拒否の可能性）（2026/12/01 18:02）",
			},
			{
				name: "bounced, no such user", lang: "en", addr: "hanako@example.jp",
				event: db.DeliveryBounced, detail: "Permanent/General: 550 5.1.1 user unknown",
				chain:   "Dec 1 18:00 requested (matched) → 18:01 sent → 18:02 bounced: no such mailbox (a typo or a closed address) example.jp",
				advice:  "Confirm the right address",
				bounced: true, raw: "5.1.1 user unknown",
				delivery: "Last result: bounced: no such mailbox (a typo or a closed address) (1 Dec 2026 18:02)",
			},
			{
				name: "delivered", lang: "ja", addr: "jiro@example.com", event: db.DeliveryDelivered,
				chain:    "12/1 18:00 依頼（一致） → 18:01 送信 → 18:02 配達 example.com",
				advice:   "迷惑メールフォルダ",
				delivery: "最後の結果: 配達（2026/12/01 18:02）",
			},
			{
				name: "delivered", lang: "en", addr: "jiro@example.com", event: db.DeliveryDelivered,
				chain:    "Dec 1 18:00 requested (matched) → 18:01 sent → 18:02 delivered example.com",
				advice:   "spam folder",
				delivery: "Last result: delivered (1 Dec 2026 18:02)",
			},
			{
				name: "sent, no report yet", lang: "ja", addr: "saburo@example.com",
				chain:    "12/1 18:00 依頼（一致） → 18:01 送信 → 配達の知らせ待ち example.com",
				advice:   "配達の知らせを待っています",
				delivery: "このアドレスへの配信結果はまだありません。",
			},
			{
				name: "unmatched", lang: "ja", addr: "shiro@example.com", unmatched: true,
				chain:    "12/1 18:00 依頼（不一致: このログインIDで別のメールアドレス）",
				advice:   "一致しなかったため",
				delivery: "このアドレスへの配信結果はまだありません。",
			},
			{
				name: "unmatched", lang: "en", addr: "shiro@example.com", unmatched: true,
				chain:    "Dec 1 18:00 requested (no match: this login ID with another address)",
				advice:   "did not match",
				delivery: "No delivery result for this address yet.",
			},
		} {
			t.Run(tc.name+"/"+tc.lang, func(t *testing.T) {
				c := newTestConsole(t, dialect, nil)
				makeAdmin(t, c)
				acct := newSummaryAccount(t, c, "sum-01", tc.addr)
				if tc.unmatched {
					if err := db.RecordAudit(context.Background(), c.db, &db.AuditEvent{Kind: db.AuditResetUnmatched, LoginID: acct.LoginID, IP: "192.0.2.7"}, c.clock.Now()); err != nil {
						t.Fatal(err)
					}
				} else {
					requestMailed(t, c, acct, tc.event, tc.detail)
				}
				c.clock.Advance(5 * time.Minute)
				_, b := enrol(t, c)
				res := b.do(t, "GET", "/accounts/"+itoa(acct.ID)+"?lang="+tc.lang, nil)
				if res.StatusCode != http.StatusOK {
					t.Fatalf("account page: %d", res.StatusCode)
				}
				doc := page(t, res)
				if got := chain(doc); got != tc.chain {
					t.Errorf("the summary reads\n%q, want\n%q", got, tc.chain)
				}
				if got := doc.Find("#summary-advice").Text(); !strings.Contains(got, tc.advice) {
					t.Errorf("the advice reads %q, want %q in it", got, tc.advice)
				}
				if got := doc.Find("#summary-delivery").Text(); got != tc.delivery {
					t.Errorf("the delivery health reads %q, want %q", got, tc.delivery)
				}
				if _, bounced := doc.Find("#summary-chain").Attr("data-bounced"); bounced != tc.bounced {
					t.Errorf("marked bounced: %v", bounced)
				}
				raw := doc.Find("#account-summary details#summary-raw")
				if tc.raw == "" && raw.Length() != 0 || tc.raw != "" && !strings.Contains(raw.Find("p").Text(), tc.raw) {
					t.Errorf("the provider's own words behind a disclosure: %q, want %q", raw.Text(), tc.raw)
				}
				if strings.Contains(doc.Find("#summary-chain").Text(), "550") {
					t.Error("the raw bounce text is in the summary's words")
				}
				if doc.Find("#next-send-reset").AttrOr("href", "") != "/accounts/"+itoa(acct.ID)+"/send-reset" {
					t.Error("the summary does not offer to send a reset link")
				}
				offersChange := doc.Find("#next-change-email").AttrOr("href", "") == "/accounts/"+itoa(acct.ID)+"/change-email"
				if want := tc.bounced || tc.unmatched; offersChange != want {
					t.Errorf("the summary offers to change the address: %v, want %v", offersChange, want)
				}
				// The summary comes first: before the timeline and the look-alikes.
				html, _ := doc.Find("main").Html()
				if s, tl := strings.Index(html, `id="account-summary"`), strings.Index(html, `id="timeline-heading"`); s < 0 || s > tl {
					t.Error("the summary does not come before the timeline")
				}
				if l := strings.Index(html, `id="lookalikes"`); tc.unmatched && l < strings.Index(html, `id="account-summary"`) {
					t.Error("the look-alikes sit above the summary")
				}
			})
		}
	})
}

// The summary names a pause and offers to lift it; a disabled account's
// summary offers no link.
func TestAccountSummaryStatus(t *testing.T) {
	dbtest.ForEachDialect(t, func(t *testing.T, dialect string) {
		c := newTestConsole(t, dialect, map[string]string{"LOGIN_LOCKOUT_THRESHOLD": "3"})
		ctx := context.Background()
		acct := newSummaryAccount(t, c, "sum-02", "sum02@example.jp")
		for range 3 {
			if _, err := db.RecordLoginFailure(ctx, c.db, acct.LoginID, "", c.clock.Now().Add(-time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		_, b := enrol(t, c)
		doc := page(t, b.do(t, "GET", "/accounts/"+itoa(acct.ID), nil))
		if got := doc.Find("#summary-status").Text(); !strings.Contains(got, "ログイン一時停止中") || !strings.Contains(got, "2026/12/01 18:14") {
			t.Errorf("the summary's status reads %q", got)
		}
		if doc.Find("#next-lift-pause").AttrOr("href", "") != "/accounts/"+itoa(acct.ID)+"/lift-pause" {
			t.Error("the summary does not offer to lift the pause")
		}
		if got := doc.Find("#summary-chain").Text(); got != "再設定の依頼はまだありません。" {
			t.Errorf("no request yet, the summary reads %q", got)
		}
		disabled := c.clock.Now()
		if err := db.SetAccountDisabled(ctx, c.db, acct.ID, &disabled, disabled); err != nil {
			t.Fatal(err)
		}
		doc = page(t, b.do(t, "GET", "/accounts/"+itoa(acct.ID), nil))
		if doc.Find("#summary-next a").Length() != 0 || !strings.Contains(doc.Find("#summary-advice").Text(), "無効") {
			t.Errorf("a disabled account's summary: %q, %d links", doc.Find("#summary-advice").Text(), doc.Find("#summary-next a").Length())
		}
	})
}

// Fifty failed logins by a stranger who knows the login ID are one row of
// the timeline: the latest request and the password change stay on the
// first page, and the summary still answers.
func TestFailedLoginsCollapsed(t *testing.T) {
	dbtest.ForEachDialect(t, func(t *testing.T, dialect string) {
		c := newTestConsole(t, dialect, nil)
		ctx := context.Background()
		acct := newSummaryAccount(t, c, "sum-03", "sum03@example.jp")
		if err := db.RecordAudit(ctx, c.db, &db.AuditEvent{Kind: db.AuditPasswordChanged, AccountID: &acct.ID}, c.clock.Now().Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		requestMailed(t, c, acct, db.DeliveryDelivered, "")
		for i := range 50 {
			ip := "198.51.100.1"
			if i%5 == 0 {
				ip = "198.51.100.2"
			}
			if err := db.RecordAudit(ctx, c.db, &db.AuditEvent{Kind: db.AuditLoginFailed, AccountID: &acct.ID, LoginID: acct.LoginID, IP: ip},
				c.clock.Now().Add(3*time.Minute+time.Duration(i)*time.Second)); err != nil {
				t.Fatal(err)
			}
		}
		c.clock.Advance(10 * time.Minute)
		_, b := enrol(t, c)
		doc := page(t, b.do(t, "GET", "/accounts/"+itoa(acct.ID), nil))
		failed := doc.Find(`#timeline tr[data-what="login_failed"]`)
		if failed.Length() != 1 {
			t.Fatalf("%d rows of failed logins, want one", failed.Length())
		}
		if got := failed.Find("td").Eq(2).Text(); got != "50回（2026/12/01 18:03 から）" {
			t.Errorf("the failed logins' row reads %q", got)
		}
		if got := failed.Find("td").Eq(4).Text(); got != "2 か所から" {
			t.Errorf("the failed logins' addresses read %q", got)
		}
		for _, what := range []string{"reset_requested", "password_changed", "mail_delivered"} {
			if doc.Find(`#timeline tr[data-what="`+what+`"]`).Length() != 1 {
				t.Errorf("%s is not on the first page", what)
			}
		}
		if doc.Find("#timeline-older").Length() != 0 {
			t.Error("a second page for a handful of events")
		}
		if got := chain(doc); !strings.HasPrefix(got, "12/1 18:00 依頼（一致）") {
			t.Errorf("the summary reads %q", got)
		}
	})
}

// A long history pages, newest first.
func TestTimelinePages(t *testing.T) {
	c := newTestConsole(t, "sqlite", nil)
	ctx := context.Background()
	acct := newSummaryAccount(t, c, "sum-04", "sum04@example.jp")
	for i := range timelinePage + 3 {
		kind := db.AuditLoginSucceeded
		if i%2 == 0 {
			kind = db.AuditLogout
		}
		if err := db.RecordAudit(ctx, c.db, &db.AuditEvent{Kind: kind, AccountID: &acct.ID}, c.clock.Now().Add(-time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	_, b := enrol(t, c)
	doc := page(t, b.do(t, "GET", "/accounts/"+itoa(acct.ID), nil))
	if n := doc.Find("#timeline tbody tr").Length(); n != timelinePage {
		t.Errorf("%d rows on the first page, want %d", n, timelinePage)
	}
	older := doc.Find("#timeline-older").AttrOr("href", "")
	if older == "" || doc.Find("#timeline-newer").Length() != 0 {
		t.Fatalf("first page's links: older %q", older)
	}
	doc = page(t, b.do(t, "GET", older, nil))
	if n := doc.Find("#timeline tbody tr").Length(); n != 3 {
		t.Errorf("%d rows on the second page, want 3", n)
	}
	if doc.Find("#timeline-newer").Length() != 1 || doc.Find("#timeline-older").Length() != 0 {
		t.Error("the second page's links")
	}
}
