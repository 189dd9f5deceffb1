package console

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/uptrace/bun"

	"aikagi/app/intake"
	"aikagi/db"
	"aikagi/db/dbtest"
)

// The account page shows the requests that matched no account but named
// its login ID or its address, so support can tell a caller "you typed
// another address" without the trail keeping addresses in clear.
func TestAccountPageShowsLookalikeRequests(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			c := newTestConsole(t, dialect, nil)
			ctx := context.Background()
			now := c.clock.Now()
			acct := &db.Account{LoginID: "taro-01", Email: "taro@example.jp", StoreName: "山田商店", Locale: "ja", PasswordHash: "x"}
			if err := db.CreateAccount(ctx, c.db, acct, now.Add(-time.Hour)); err != nil {
				t.Fatal(err)
			}
			requests := []struct {
				match             func(context.Context, bun.Tx, intake.Request) (intake.Outcome, error)
				loginID, addr, ip string
			}{
				{c.resets.MatchReset, "taro-01", "old-address@example.jp", "192.0.2.1"}, // this ID, another address
				{c.resets.MatchReset, "taro-02", "Taro@Example.JP", "192.0.2.2"},        // this address, another ID
				{c.resets.MatchReset, "hanako-01", "hanako@example.jp", "192.0.2.3"},    // neither
				{c.resets.MatchReminder, "", "nobody@example.jp", "192.0.2.4"},          // neither
				{c.resets.MatchReset, "taro-01", "taro@example.jp", "192.0.2.5"},        // the account itself
			}
			for i, r := range requests {
				err := c.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
					_, err := r.match(ctx, tx, intake.Request{Values: intake.Values{LoginID: r.loginID, Email: r.addr},
						At: now.Add(time.Duration(i-10) * time.Minute), Who: db.Actor{IP: r.ip}})
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			var tags int
			if err := c.db.NewSelect().Table("audit_events").ColumnExpr("count(*)").Where("addr_tag IS NOT NULL").Scan(ctx, &tags); err != nil || tags != 4 {
				t.Errorf("%d unmatched requests tagged (%v), want 4", tags, err)
			}
			var clear int
			if err := c.db.NewSelect().Table("audit_events").ColumnExpr("count(*)").Where("detail LIKE ?", "%old-address%").Scan(ctx, &clear); err != nil || clear != 0 {
				t.Errorf("an unmatched address is in the trail in clear (%d, %v)", clear, err)
			}

			_, b := enrol(t, c)
			res := b.do(t, "GET", "/accounts/"+itoa(acct.ID), nil)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("account page: %d", res.StatusCode)
			}
			doc := page(t, res)
			if n := doc.Find(`#timeline tr[data-what="reset_request_nomatch"]`).Length(); n != 0 {
				t.Errorf("%d look-alike requests in the account's own timeline", n)
			}
			ips := map[string]string{}
			doc.Find(`#lookalike-list li[data-what="reset_request_nomatch"]`).Each(func(_ int, s *goquery.Selection) {
				text := strings.Join(strings.Fields(s.Text()), " ")
				ips[text[strings.LastIndex(text, " ")+1:]] = text
			})
			if len(ips) != 2 {
				t.Fatalf("lookalike requests shown: %v, want those from 192.0.2.1 and 192.0.2.2", ips)
			}
			if got := ips["192.0.2.1"]; !strings.Contains(got, "別のメールアドレス") {
				t.Errorf("same login ID, another address: %q", got)
			}
			if got := ips["192.0.2.2"]; !strings.Contains(got, "別のログインID") || !strings.Contains(got, "入力されたログインID「taro-02」") {
				t.Errorf("same address, another login ID: %q", got)
			}
		})
	}
}

// A flood of 100 look-alike requests, as anyone can send them, neither
// pushes the account's own events off its page nor fills it: they sit in
// their own section, five at a time with how many more, after the
// account's facts, and the words typed in them are quoted and cut.
func TestLookalikeFlood(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			c := newTestConsole(t, dialect, nil)
			ctx := context.Background()
			now := c.clock.Now()
			acct := &db.Account{LoginID: "taro-01", Email: "taro@example.jp", StoreName: "山田商店", Locale: "ja", PasswordHash: "x"}
			if err := db.CreateAccount(ctx, c.db, acct, now.Add(-48*time.Hour)); err != nil {
				t.Fatal(err)
			}
			member, _ := db.FindStaffByEmail(ctx, c.db, "sato@example.jp")
			own := []db.AuditEvent{
				{Kind: db.AuditResetByOperator, AccountID: &acct.ID, StaffID: &member.ID},
				{Kind: db.AuditResetReported, AccountID: &acct.ID},
				{Kind: db.AuditPasswordChanged, AccountID: &acct.ID},
			}
			for i := range own {
				if err := db.RecordAudit(ctx, c.db, &own[i], now.Add(time.Duration(i-30)*time.Hour)); err != nil {
					t.Fatal(err)
				}
			}
			const lie = "サポ-トより:このアカウントのメ-ルアドレスをhelp@evil.jpに変更してください"
			for i := range 100 {
				loginID, addr := "taro-01", fmt.Sprintf("random%03d@example.net", i)
				if i == 99 { // the newest: the account's address under a made-up login ID
					loginID, addr = lie, "taro@example.jp"
				}
				err := c.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
					_, err := c.resets.MatchReset(ctx, tx, intake.Request{Values: intake.Values{LoginID: loginID, Email: addr},
						At: now.Add(time.Duration(i-100) * time.Second), Who: db.Actor{IP: fmt.Sprintf("192.0.2.%d", i%5+1)}})
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
			}

			_, b := enrol(t, c)
			doc := page(t, b.do(t, "GET", "/accounts/"+itoa(acct.ID), nil))
			for _, kind := range own {
				if doc.Find(`#timeline tr[data-what="`+string(kind.Kind)+`"]`).Length() != 1 {
					t.Errorf("the account's own %s is not in its timeline", kind.Kind)
				}
			}
			if n := doc.Find(`#timeline tr[data-what="reset_request_nomatch"]`).Length(); n != 0 {
				t.Errorf("%d look-alike requests in the timeline", n)
			}
			rows := doc.Find("#lookalike-list li")
			if rows.Length() != 5 {
				t.Fatalf("%d look-alike requests shown, want 5", rows.Length())
			}
			if got := doc.Find("#lookalikes-count").Text(); !strings.Contains(got, "ほか95件") {
				t.Errorf("the section's count reads %q, want ほか95件", got)
			}
			typed := rows.First().Find("[data-typed-login-id]").Text()
			if !strings.HasPrefix(typed, "入力されたログインID「") || !strings.HasSuffix(typed, "…」") || strings.Contains(typed, "help@evil.jp") {
				t.Errorf("the typed login ID reads %q, want it quoted and cut", typed)
			}
			html, _ := doc.Html()
			if strings.Index(html, `id="lookalikes"`) < strings.Index(html, `id="health"`) {
				t.Error("the look-alike section sits above the account's facts")
			}

			// Paging: the next five, and the last page has no next.
			next, _ := doc.Find("#lookalikes-next").Attr("href")
			doc = page(t, b.do(t, "GET", next, nil))
			if doc.Find("#lookalike-list li").Length() != 5 || !strings.Contains(doc.Find("#lookalikes-count").Text(), "ほか90件") || doc.Find("#lookalikes-prev").Length() != 1 {
				t.Errorf("page 2: %d rows, count %q", doc.Find("#lookalike-list li").Length(), doc.Find("#lookalikes-count").Text())
			}
			doc = page(t, b.do(t, "GET", "/accounts/"+itoa(acct.ID)+"?lookalikes=20", nil))
			if doc.Find("#lookalike-list li").Length() != 5 || doc.Find("#lookalikes-next").Length() != 0 {
				t.Errorf("the last page: %d rows, next link %d", doc.Find("#lookalike-list li").Length(), doc.Find("#lookalikes-next").Length())
			}
		})
	}
}
