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

func TestAccountPage(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			c := newTestConsole(t, dialect, map[string]string{"LOGIN_LOCKOUT_THRESHOLD": "3"})
			ctx := context.Background()
			now := c.clock.now()
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
			for id, want := range map[string]string{"#store": "山田商店", "#email": "taro@example.jp", "#locale": "en", "#last-bounced": "", "#login-id": "taro-01"} {
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
			if got := doc.Find(`#timeline tr[data-what="reset_sent_by_operator"]`).Text(); !strings.Contains(got, "sato@example.jp") {
				t.Errorf("the staff action does not name its member: %q", got)
			}
			if res := b.do(t, "GET", "/accounts/999999", nil); res.StatusCode != http.StatusNotFound {
				t.Errorf("unknown account: %d", res.StatusCode)
			}
			if res := (&browser{c: c}).do(t, "GET", "/accounts/"+itoa(acct.ID), nil); res.StatusCode != http.StatusSeeOther {
				t.Errorf("account page without login: %d", res.StatusCode)
			}
		})
	}
}

func itoa(n int64) string { return strings.TrimPrefix(accountPath(n), "/accounts/") }
