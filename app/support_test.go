package app

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"aikagi/app/mail"
	"aikagi/db"
)

// supportEnv is a full set of the brand and support settings.
var supportEnv = map[string]string{
	"COMPANY_NAME":     "株式会社テストペイ",
	"COMPANY_NAME_EN":  "TestPay Inc.",
	"SITE_NAME_EN":     "Test Merchant Admin",
	"PRIVACY_URL":      "https://testpay.example/privacy",
	"SUPPORT_NAME":     "加盟店サポートデスク",
	"SUPPORT_NAME_EN":  "Merchant Support",
	"SUPPORT_PHONE":    "0120-000-000",
	"SUPPORT_PHONE_EN": "+81-3-0000-0000",
	"SUPPORT_HOURS":    "平日 9:00〜18:00",
	"SUPPORT_HOURS_EN": "Weekdays 9:00–18:00 JST",
	"SUPPORT_URL":      "https://testpay.example/contact",
}

// pageWant is what a page in one language shows of supportEnv.
type pageWant struct {
	lang, tel, phone, name, company, site string
}

var supportWant = []pageWant{
	{"ja", "tel:0120000000", "0120-000-000", "加盟店サポートデスク", "株式会社テストペイ", "テスト加盟店管理サイト"},
	{"en", "tel:+81300000000", "+81-3-0000-0000", "Merchant Support", "TestPay Inc.", "Test Merchant Admin"},
}

// TestSupportOnEveryStuckPage checks that, with the settings, the support
// desk is one tap away under step 1, in step 3's tips and on error pages,
// in each page's language, and that the header and footer name the company.
func TestSupportOnEveryStuckPage(t *testing.T) {
	t.Parallel()
	a := newTestAppEnv(t, "sqlite", supportEnv)
	for _, w := range supportWant {
		t.Run(w.lang, func(t *testing.T) {
			q := "?lang=" + w.lang
			pages := map[string]struct {
				res   *response
				block string
			}{
				"step 1":   {get(t, a, "/password-resetting/regist"+q), "#no-email"},
				"reminder": {get(t, a, reminderEnter+q), "#no-email"},
				"step 3":   {sendInLang(t, a, "taro01", "taro@example.jp", w.lang), "#support"},
				"404":      {get(t, a, "/no-such-page"+q), "#support"},
			}
			for name, p := range pages {
				doc := p.res.Doc(t)
				block := doc.Find(p.block)
				if block.Length() != 1 {
					t.Errorf("%s: no %s block", name, p.block)
					continue
				}
				if got := block.Find("a.support-phone").AttrOr("href", ""); got != w.tel {
					t.Errorf("%s: phone link = %q, want %q", name, got, w.tel)
				}
				for sel, want := range map[string]string{".support-phone": w.phone, ".support-name": w.name} {
					if got := strings.TrimSpace(block.Find(sel).Text()); got != want {
						t.Errorf("%s: %s = %q, want %q", name, sel, got, want)
					}
				}
				if got := block.Find("a.support-link").AttrOr("target", ""); got != "_top" {
					t.Errorf("%s: the support link opens in %q, want _top (out of the iframe)", name, got)
				}
				for sel, want := range map[string]string{"#site-company": w.company, "#site-name": w.site, "#footer-owner": "© " + w.company} {
					if got := strings.TrimSpace(doc.Find(sel).Text()); got != want {
						t.Errorf("%s: %s = %q, want %q", name, sel, got, want)
					}
				}
				if got := doc.Find("#footer-privacy").AttrOr("href", ""); got != "https://testpay.example/privacy" {
					t.Errorf("%s: privacy link = %q", name, got)
				}
			}
		})
	}
}

// TestStepThreeSameWithSupportAndDeadline checks that step 3, now with
// the time by which to use the link and the support desk, still answers
// matching and non-matching input byte for byte alike (the clock is
// injected, so both requests fall in the same minute), and says that time
// in Japan time.
func TestStepThreeSameWithSupportAndDeadline(t *testing.T) {
	t.Parallel()
	for _, env := range []map[string]string{nil, supportEnv} {
		a := newTestAppEnv(t, "sqlite", env)
		newAccount(t, a, "taro01", "taro@example.jp", "ja")
		matching := requestResetFlow(t, a, "taro01", "taro@example.jp")
		other := requestResetFlow(t, a, "taro01", "hanako@example.jp")
		if withoutNonces(string(matching.Body)) != withoutNonces(string(other.Body)) {
			t.Errorf("support=%v: step 3 differs between matching and non-matching input", env != nil)
		}
		// testStart is 01:00 UTC, 10:00 in Japan; TOKEN_TTL is 30 minutes.
		doc := matching.Doc(t)
		if got, want := strings.TrimSpace(doc.Find("#sent-deadline").Text()), "メールのURLから10:30までに新しいパスワードを設定してください。"; got != want {
			t.Errorf("deadline = %q, want %q", got, want)
		}
		if got := doc.Find("#request-again").AttrOr("href", ""); got != "/password-resetting/regist?lang=ja" {
			t.Errorf("もう一度依頼する = %q", got)
		}
		if got := strings.TrimSpace(doc.Find("#carrier-domain").Text()); !strings.Contains(got, "「@example.test」") {
			t.Errorf("carrier tip = %q, want the sender's domain", got)
		}
		if support := doc.Find("#support").Length(); support != map[bool]int{false: 0, true: 1}[env != nil] {
			t.Errorf("support=%v: %d support blocks", env != nil, support)
		}
	}
	en := newTestAppEnv(t, "sqlite", nil)
	doc := sendInLang(t, en, "taro01", "taro@example.jp", "en").Doc(t)
	if got, want := strings.TrimSpace(doc.Find("#sent-deadline").Text()), "Use the link in the email to set a new password by 10:30 (Japan time)."; got != want {
		t.Errorf("deadline = %q, want %q", got, want)
	}
}

// TestNoSupportSettingsShowNothingEmpty checks the pages without the
// settings: no support block, no empty footer list, the site's own name.
func TestNoSupportSettingsShowNothingEmpty(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	for _, res := range []*response{
		get(t, a, "/password-resetting/regist"),
		requestResetFlow(t, a, "taro01", "taro@example.jp"),
		get(t, a, "/no-such-page?lang=en"),
	} {
		doc := res.Doc(t)
		for _, sel := range []string{"#no-email", "#support", "section", "footer ul", "#site-company", "footer a"} {
			if n := doc.Find(sel).Length(); n != 0 {
				t.Errorf("%s: %d × %s without the settings", doc.Find("title").Text(), n, sel)
			}
		}
		if got := strings.TrimSpace(doc.Find("#footer-owner").Text()); got != "© テスト加盟店管理サイト" {
			t.Errorf("footer = %q", got)
		}
	}
}

// TestMailsNameTheSupportDesk checks that the reset mail's footer, in both
// parts and in the account's language, says whom to contact, since
// replies go nowhere.
func TestMailsNameTheSupportDesk(t *testing.T) {
	t.Parallel()
	for _, w := range supportWant {
		t.Run(w.lang, func(t *testing.T) {
			t.Parallel()
			a := newTestAppEnv(t, "sqlite", supportEnv)
			newAccount(t, a, "taro01", "taro@example.jp", w.lang)
			requestResetFlow(t, a, "taro01", "taro@example.jp")
			m := queuedMail(t, a, mail.KindReset)
			for _, want := range []string{w.phone, w.name, "https://testpay.example/contact", w.company + " " + w.site} {
				if !strings.Contains(m.Text, want) {
					t.Errorf("plain text lacks %q:\n%s", want, m.Text)
				}
			}
			doc, err := goquery.NewDocumentFromReader(strings.NewReader(m.HTML))
			if err != nil {
				t.Fatal(err)
			}
			if got := doc.Find(`a[href^="tel:"]`).AttrOr("href", ""); got != w.tel {
				t.Errorf("HTML phone link = %q, want %q", got, w.tel)
			}
			if !strings.Contains(m.Subject, w.site) {
				t.Errorf("subject %q does not name %q", m.Subject, w.site)
			}
			if !strings.HasPrefix(m.From, "Shop Support <") {
				t.Errorf("From = %q: an explicit MAIL_FROM name is kept", m.From)
			}
		})
	}
}

// queuedMail opens the one queued mail of kind.
func queuedMail(t *testing.T, a *App, kind mail.Kind) mail.Message {
	t.Helper()
	var rows []db.OutboxMail
	if err := a.db.NewSelect().Model(&rows).Where("kind = ?", kind).Scan(context.Background()); err != nil || len(rows) != 1 {
		t.Fatalf("queued %d mails of kind %s, %v", len(rows), kind, err)
	}
	plain, err := a.sealer.Open(rows[0].ID, rows[0].Payload)
	if err != nil {
		t.Fatal(err)
	}
	var m mail.Message
	if err := json.Unmarshal(plain, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// sendInLang runs steps 1–3 with step 3 in lang.
func sendInLang(t *testing.T, a *App, loginID, email, lang string) *response {
	t.Helper()
	res := postForm(t, a, "/password-resetting/send?lang="+lang, url.Values{"state": {confirmState(t, a, loginID, email)}})
	if res.Status != http.StatusOK {
		t.Fatalf("send: status %d", res.Status)
	}
	return res
}
