package console

import (
	"context"
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
			ips := map[string]string{}
			page(t, res).Find(`#timeline tbody tr[data-what="reset_request_nomatch"]`).Each(func(_ int, s *goquery.Selection) {
				ips[strings.TrimSpace(s.Find("td").Last().Text())] = s.Text()
			})
			if len(ips) != 2 {
				t.Fatalf("lookalike requests shown: %v, want those from 192.0.2.1 and 192.0.2.2", ips)
			}
			if got := ips["192.0.2.1"]; !strings.Contains(got, "別のメールアドレス") {
				t.Errorf("same login ID, another address: %q", got)
			}
			if got := ips["192.0.2.2"]; !strings.Contains(got, "別のログインID") || !strings.Contains(got, "taro-02") {
				t.Errorf("same address, another login ID: %q", got)
			}
		})
	}
}
