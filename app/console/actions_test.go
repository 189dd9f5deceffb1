package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"aikagi/db"
	"aikagi/db/dbtest"
)

// countLinks is how many reset links the account has had.
func countLinks(t *testing.T, c *testConsole, acct *db.Account) int {
	t.Helper()
	n, err := c.db.NewSelect().Model((*db.ResetToken)(nil)).Where("account_id = ?", acct.ID).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Staff-sent links start at a day: a merchant on the phone may not reach
// their mail within the merchant journey's 30 minutes.
func TestSendResetDefaultsToADay(t *testing.T) {
	dbtest.ForEachDialect(t, func(t *testing.T, dialect string) {
		c := newTestConsole(t, dialect, nil)
		acct := newSummaryAccount(t, c, "send-01", "send01@example.jp")
		_, b := enrol(t, c)
		doc := page(t, b.do(t, "GET", "/accounts/"+itoa(acct.ID)+"/send-reset", nil))
		if got := doc.Find("#ttl option[selected]"); got.Length() != 1 || got.AttrOr("value", "") != "24h0m0s" || got.Text() != "24時間" {
			t.Errorf("the lifetime chosen at first: %q %q", got.AttrOr("value", ""), got.Text())
		}
		if got := doc.Find("#last-result").Text(); got != "なし" {
			t.Errorf("no mail yet, the last result reads %q", got)
		}
		if doc.Find("#confirm-bounced, #recent-link, #bounced-warning").Length() != 0 {
			t.Error("warnings about an address with no history")
		}
	})
}

// The send form shows how mail to the address last fared; an address that
// bounced for good, or whose owner marked mail as spam, asks for an
// explicit confirmation and offers to change the address first; a
// delivered or softly bounced address sends as before.
func TestSendResetToABouncedAddress(t *testing.T) {
	dbtest.ForEachDialect(t, func(t *testing.T, dialect string) {
		for _, tc := range []struct {
			name, addr    string
			event         db.DeliveryEvent
			detail        string
			admin         bool
			undeliverable bool
			result, fix   string
		}{
			{"carrier refusal", "taro@ezweb.ne.jp", db.DeliveryBounced, "Permanent/General: 550 5.7.1 rejected by policy", true, true,
				"不達: 受信拒否（URL付きメール拒否の可能性）、2026/12/01 18:02", "携帯会社の迷惑メール設定で"},
			{"no such user, support", "hanako@example.jp", db.DeliveryBounced, "Permanent/General: 550 5.1.1 user unknown", false, true,
				"不達: 宛先が存在しない（アドレスの誤りか廃止）、2026/12/01 18:02", "アドレスを変更してください"},
			{"complaint", "jiro@example.jp", db.DeliveryComplained, "", true, true,
				"迷惑メールとして報告、2026/12/01 18:02", "アドレスを変更してください"},
			{"mailbox full for now", "saburo@example.jp", db.DeliveryBounced, "Transient/General: try again later", true, false,
				"不達: 一時的な不達、2026/12/01 18:02", ""},
			{"delivered", "shiro@example.jp", db.DeliveryDelivered, "", true, false,
				"配達、2026/12/01 18:02", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				c := newTestConsole(t, dialect, nil)
				if tc.admin {
					makeAdmin(t, c)
				}
				acct := newSummaryAccount(t, c, "send-02", tc.addr)
				requestMailed(t, c, acct, tc.event, tc.detail)
				c.clock.Advance(time.Hour) // the earlier link is not recent
				_, b := enrol(t, c)
				path := "/accounts/" + itoa(acct.ID) + "/send-reset"
				doc := page(t, b.do(t, "GET", path, nil))
				if got := doc.Find("#last-result").Text(); got != tc.result {
					t.Errorf("the last result reads %q, want %q", got, tc.result)
				}
				if got := doc.Find("#bounce-fix").Text(); tc.fix == "" && got != "" || !strings.Contains(got, tc.fix) {
					t.Errorf("the fix reads %q, want %q", got, tc.fix)
				}
				box := doc.Find(`#confirm-bounced[type="checkbox"][required][name="confirm_bounced"]`)
				if (box.Length() == 1) != tc.undeliverable || (doc.Find("#bounced-warning").Length() == 1) != tc.undeliverable {
					t.Fatalf("asks for a confirmation: %v, want %v", box.Length() == 1, tc.undeliverable)
				}
				if offers := doc.Find("#change-address").AttrOr("href", "") == "/accounts/"+itoa(acct.ID)+"/change-email"; offers != (tc.undeliverable && tc.admin) {
					t.Errorf("offers 「アドレスを変更」: %v", offers)
				}
				if doc.Find("#recent-link").Length() != 0 {
					t.Error("a link an hour old is named as recent")
				}
				form := url.Values{"ttl": {"24h0m0s"}, "reason": {"called, identity checked"}}
				if tc.undeliverable {
					res := b.do(t, "POST", path, form)
					if res.StatusCode != http.StatusUnprocessableEntity {
						t.Fatalf("sent without the confirmation: %d", res.StatusCode)
					}
					doc := page(t, res)
					if got := doc.Find("#form-error").Text(); got != "届かない可能性を承知のうえで送る場合は、チェックを入れてください。" {
						t.Errorf("the refusal reads %q", got)
					}
					if doc.Find("#reason").Text() != "called, identity checked" || doc.Find(`#ttl option[selected]`).AttrOr("value", "") != "24h0m0s" {
						t.Error("the refused form lost what was typed")
					}
					if n := countLinks(t, c, acct); n != 1 {
						t.Fatalf("%d links after a refused send, want the first alone", n)
					}
					form.Set("confirm_bounced", "yes")
				}
				res := b.do(t, "POST", path, form)
				if res.StatusCode != http.StatusSeeOther {
					t.Fatalf("send: %d", res.StatusCode)
				}
				if n := countLinks(t, c, acct); n != 2 {
					t.Errorf("%d links, want a new one", n)
				}
			})
		}
	})
}

// A link sent in the last few minutes, by a member or at the merchant's
// own request, is named with who and when before another replaces it.
func TestSendResetNamesARecentLink(t *testing.T) {
	dbtest.ForEachDialect(t, func(t *testing.T, dialect string) {
		c := newTestConsole(t, dialect, nil)
		acct := newSummaryAccount(t, c, "send-03", "send03@example.jp")
		_, b := enrol(t, c)
		path := "/accounts/" + itoa(acct.ID) + "/send-reset"
		if res := b.do(t, "POST", path, url.Values{"ttl": {"24h0m0s"}, "reason": {"called"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("send: %d", res.StatusCode)
		}
		c.clock.Advance(3 * time.Minute)
		for lang, want := range map[string]string{
			"ja": "2026/12/01 18:00（3分前）に sato@example.jp が再設定リンクを送っています。",
			"en": "1 Dec 2026 18:00 (3 min ago): sato@example.jp sent a reset link.",
		} {
			doc := page(t, b.do(t, "GET", path+"?lang="+lang, nil))
			if got := doc.Find("#recent-link").Text(); !strings.HasPrefix(got, want) {
				t.Errorf("%s: the recent link reads %q, want %q", lang, got, want)
			}
		}
		c.clock.Advance(recentLinkWindow)
		if doc := page(t, b.do(t, "GET", path, nil)); doc.Find("#recent-link").Length() != 0 {
			t.Errorf("a link %v old is named as recent", 3*time.Minute+recentLinkWindow)
		}
		// The merchant's own request a minute ago.
		requestMailed(t, c, acct, "", "")
		c.clock.Advance(time.Minute)
		doc := page(t, b.do(t, "GET", path, nil))
		if got := doc.Find("#recent-link").Text(); !strings.HasPrefix(got, "2026/12/01 18:13（1分前）に本人の依頼で再設定リンクを送っています。") {
			t.Errorf("the merchant's recent request reads %q", got)
		}
	})
}
