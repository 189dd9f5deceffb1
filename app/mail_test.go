package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"aikagi/app/mail"
	"aikagi/app/secret"
	"aikagi/db"
	"aikagi/views"
	"aikagi/views/email"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files under app/testdata/golden")

// assertGolden compares got with the golden file testdata/golden/name, or
// rewrites the file with -update (go test ./app -run TestMailRendering -update).
func assertGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (create it with: go test ./app -run %s -update)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file; if the change is intended, run go test ./app -run %s -update and review the diff\n--- got\n%s\n--- want\n%s",
			name, strings.Split(t.Name(), "/")[0], got, want)
	}
}

// queuedMessage opens the sealed payload of the newest outbox row of kind.
func queuedMessage(t *testing.T, a *App, kind mail.Kind) mail.Message {
	t.Helper()
	var row db.OutboxMail
	if err := a.db.NewSelect().Model(&row).Where("kind = ?", kind).OrderExpr("created_at DESC").Limit(1).Scan(context.Background()); err != nil {
		t.Fatalf("no %s mail queued: %v", kind, err)
	}
	plain, err := a.sealer.Open(row.ID, row.Payload)
	if err != nil {
		t.Fatal(err)
	}
	var m mail.Message
	if err := json.Unmarshal(plain, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestMailRendering renders both mails in both languages through the path
// the app uses (settings, the account's locale, sealing) and checks each
// part: the text part against its golden file, the HTML part for what mail
// clients need (one table layout, inline styles, nothing fetched from
// elsewhere), and the links in both.
func TestMailRendering(t *testing.T) {
	t.Parallel()
	for _, locale := range []string{"ja", "en"} {
		t.Run(locale, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			a := newTestApp(t, "sqlite")
			acct := newAccount(t, a, "taro01", "taro@example.jp", locale)
			token, _, err := a.recovery.QueueResetLink(ctx, a.db, acct, a.cfg.TokenTTL, "192.0.2.1")
			if err != nil {
				t.Fatal(err)
			}
			reset := queuedMessage(t, a, mail.KindReset)
			resetURL := "https://reset.example.test/password-resetting/reset?token=" + token + "&lang=" + locale
			tok, err := db.LookupResetToken(ctx, a.db, secret.HashToken(token))
			if err != nil || tok == nil {
				t.Fatalf("the queued link is not stored: %v", err)
			}
			reportKey := a.recovery.ReportKey(tok)
			reportURL := "https://reset.example.test/password-resetting/report?token=" + reportKey + "&lang=" + locale
			// The mailed link opens the new-password page (before it is used below).
			u, _ := url.Parse(resetURL)
			if res := get(t, a, u.RequestURI()); res.Status != 303 {
				t.Errorf("the mailed link answers %d, want the redirect of a valid link", res.Status)
			}
			used, err := a.recovery.ChangePassword(ctx, acct, token, "$argon2id$new", client{IP: "192.0.2.1"})
			if err != nil || !used {
				t.Fatalf("changePassword = %v, %v", used, err)
			}
			changed := queuedMessage(t, a, mail.KindPasswordChanged)

			requestURL := "https://reset.example.test/password-resetting/regist?lang=" + locale
			loginURL := "https://reset.example.test/login?lang=" + locale
			for _, tc := range []struct {
				kind  mail.Kind
				m     mail.Message
				links []string
			}{
				{mail.KindReset, reset, []string{resetURL, reportURL}},
				{mail.KindPasswordChanged, changed, []string{requestURL, loginURL}},
			} {
				m := tc.m
				if m.From != "Shop Support <support@example.test>" || m.To != "taro@example.jp" || !strings.Contains(m.Subject, "テスト加盟店管理サイト") {
					t.Errorf("%s: from %q, to %q, subject %q; want MAIL_FROM, the account's address, SITE_NAME in the subject", tc.kind, m.From, m.To, m.Subject)
				}
				// The text part, with the one random thing in it masked.
				text := "From: " + m.From + "\nTo: " + m.To + "\nSubject: " + m.Subject + "\n\n" + m.Text
				text = strings.ReplaceAll(strings.ReplaceAll(text, token, "TOKEN"), reportKey, "REPORT-KEY")
				assertGolden(t, string(tc.kind)+"."+locale+".txt", text)

				lines := strings.Split(m.Text, "\n")
				doc, err := goquery.NewDocumentFromReader(strings.NewReader(m.HTML))
				if err != nil {
					t.Fatal(err)
				}
				var hrefs []string
				doc.Find("a[href]").Each(func(_ int, s *goquery.Selection) {
					href, _ := s.Attr("href")
					hrefs = append(hrefs, href)
				})
				for _, link := range tc.links {
					if !containsLineEnding(lines, link) {
						t.Errorf("%s: the text part has no line ending with %s:\n%s", tc.kind, link, m.Text)
					}
					if !slices.Contains(hrefs, link) {
						t.Errorf("%s: the HTML part links %q, want %s", tc.kind, hrefs, link)
					}
				}
				if len(hrefs) != len(tc.links) {
					t.Errorf("%s: the HTML part has links %q, want only %q", tc.kind, hrefs, tc.links)
				}
				if got, _ := doc.Find("html").Attr("lang"); got != locale {
					t.Errorf("%s: html lang = %q, want %q", tc.kind, got, locale)
				}
				if n := doc.Find("img, script, link, style, iframe, form, input").Length(); n != 0 {
					t.Errorf("%s: the HTML part has %d images, scripts, stylesheets or forms; mail clients block or mangle them", tc.kind, n)
				}
				if doc.Find(`table[role=presentation]`).Length() == 0 || doc.Find("[style]").Length() < 3 {
					t.Errorf("%s: the HTML part should be a layout table with inline styles", tc.kind)
				}
				if strings.Contains(m.HTML, "$argon2id") || strings.Contains(m.Text, "$argon2id") {
					t.Errorf("%s: the mail carries the password hash", tc.kind)
				}
			}
		})
	}
}

// TestMailTextParts checks the text parts of the views on fixed values, so
// that a wording change shows up here as well as in the golden files.
func TestMailTextParts(t *testing.T) {
	t.Parallel()
	for _, lang := range []views.Lang{views.Ja, views.En} {
		m := email.ResetMail{Lang: lang, SiteName: "S", StoreName: "St", URL: "https://x.test/r?token=T", ReportURL: "https://x.test/report?token=R", ExpiresAt: testStart}
		var html bytes.Buffer
		if err := email.ResetMailHTML(m).Render(context.Background(), &html); err != nil {
			t.Fatal(err)
		}
		for part, body := range map[string]string{"text": email.ResetMailPlain(m), "html": html.String()} {
			if strings.Count(body, "https://x.test/r?token=T") != map[string]int{"text": 1, "html": 2}[part] {
				t.Errorf("%s %s part: link count wrong:\n%s", lang, part, body)
			}
			if strings.Count(body, "https://x.test/report?token=R") != map[string]int{"text": 1, "html": 2}[part] {
				t.Errorf("%s %s part: report link count wrong:\n%s", lang, part, body)
			}
			if !strings.Contains(body, views.T(lang).ResetMail.Report) {
				t.Errorf("%s %s part: no 「心当たりがない場合」 link label", lang, part)
			}
		}
	}
}

func containsLineEnding(lines []string, s string) bool {
	for _, l := range lines {
		if strings.HasSuffix(strings.TrimSpace(l), s) {
			return true
		}
	}
	return false
}

// resetMailURL finds the reset link in a mail's text.
func resetMailURL(t *testing.T, text string) *url.URL {
	t.Helper()
	const prefix = "https://reset.example.test/password-resetting/reset?token="
	i := strings.Index(text, prefix)
	if i < 0 {
		t.Fatalf("mail text has no link starting with %s:\n%s", prefix, text)
	}
	raw, _, _ := strings.Cut(text[i:], "\n")
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		t.Fatalf("reset link %q: %v", raw, err)
	}
	return u
}

// TestResetMail follows a matching request to the mail: it goes to the
// registered address, carries a link built from BASE_URL whose token only
// the mail knows, and a newer request revokes the older link.
func TestResetMail(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		a := newTestApp(t, dialect)
		acct := newAccount(t, a, "taro01", "Taro@Example.jp", "ja")

		// The Host header must not leak into the link.
		req := func(t *testing.T) {
			state := confirmState(t, a, "taro01", "taro@example.jp")
			res := postForm(t, a, "/password-resetting/send", url.Values{"state": {state}}, func(r *http.Request) { r.Host = "evil.example" })
			if res.Status != http.StatusOK {
				t.Fatalf("send: status %d\n%s", res.Status, describe(res.Body))
			}
		}
		req(t)

		var sealed [][]byte
		if err := a.db.NewSelect().Table("outbox").Column("payload").Scan(ctx, &sealed); err != nil {
			t.Fatal(err)
		}
		if len(sealed) != 1 || len(sealed[0]) == 0 {
			t.Fatalf("outbox payloads = %d, want one sealed payload", len(sealed))
		}
		if len(a.mailbox.Messages()) != 0 {
			t.Fatal("mail was sent inline; it should only be queued")
		}

		if sent, err := a.outbox.DeliverDue(ctx); err != nil || sent != 1 {
			t.Fatalf("DeliverDue = %d, %v; want 1 sent", sent, err)
		}
		mails := a.mailbox.Messages()
		if len(mails) != 1 {
			t.Fatalf("mailbox has %d mails, want 1", len(mails))
		}
		m := mails[0]
		if m.To != "Taro@Example.jp" {
			t.Errorf("To = %q, want the registered spelling Taro@Example.jp", m.To)
		}
		if m.From != "Shop Support <support@example.test>" {
			t.Errorf("From = %q", m.From)
		}
		if want := "【テスト加盟店管理サイト】パスワード再設定のご案内"; m.Subject != want {
			t.Errorf("Subject = %q, want %q", m.Subject, want)
		}
		for _, want := range []string{acct.StoreName + " ご担当者様", "11月25日(水)10:30(日本時間)", "心当たりがない場合"} {
			if !strings.Contains(m.Text, want) {
				t.Errorf("mail text lacks %q:\n%s", want, m.Text)
			}
		}
		link := resetMailURL(t, m.Text)
		token := link.Query().Get("token")
		if len(token) < 43 {
			t.Errorf("token %q is shorter than 256 bits in base64url", token)
		}

		sum := sha256.Sum256([]byte(token))
		tok, err := db.LookupResetToken(ctx, a.db, sum[:])
		if err != nil || tok == nil {
			t.Fatalf("no reset token stored under the SHA-256 of the mailed token (err %v)", err)
		}
		if tok.AccountID != acct.ID || tok.State(a.now()) != db.TokenValid {
			t.Errorf("token: account %d state %v, want account %d valid", tok.AccountID, tok.State(a.now()), acct.ID)
		}
		if want := testStart.Add(30 * time.Minute); !tok.ExpiresAt.Equal(want) {
			t.Errorf("token expires at %v, want %v", tok.ExpiresAt, want)
		}
		if strings.Contains(string(sealed[0]), token) {
			t.Error("the outbox payload holds the raw token in clear")
		}
		if where := tablesContaining(t, a.db, token); len(where) != 0 {
			t.Errorf("the raw token is stored in %v", where)
		}

		var row db.OutboxMail
		if err := a.db.NewSelect().Model(&row).Limit(1).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		if row.Status != db.OutboxSent || row.Payload != nil || row.ToAddr != "Taro@Example.jp" {
			t.Errorf("outbox row after sending: status %q, payload %d bytes, to %q; want sent, cleared, Taro@Example.jp", row.Status, len(row.Payload), row.ToAddr)
		}
		if got := auditKinds(t, a.db); !slices.Equal(got, []db.AuditKind{db.AuditResetRequested, db.AuditMailSent}) {
			t.Errorf("audit kinds = %q", got)
		}

		// A second request revokes the first link.
		advanceClock(a, time.Minute)
		req(t)
		if sent, err := a.outbox.DeliverDue(ctx); err != nil || sent != 1 {
			t.Fatalf("second DeliverDue = %d, %v; want 1 sent", sent, err)
		}
		mails = a.mailbox.Messages()
		if len(mails) != 2 {
			t.Fatalf("mailbox has %d mails, want 2", len(mails))
		}
		token2 := resetMailURL(t, mails[0].Text).Query().Get("token")
		if token2 == token {
			t.Fatal("the second mail carries the same token")
		}
		first, _ := db.LookupResetToken(ctx, a.db, sum[:])
		if got := first.State(a.now()); got != db.TokenRevoked {
			t.Errorf("first token state = %v, want revoked (%v)", got, db.TokenRevoked)
		}
		sum2 := sha256.Sum256([]byte(token2))
		second, _ := db.LookupResetToken(ctx, a.db, sum2[:])
		if got := second.State(a.now()); got != db.TokenValid {
			t.Errorf("second token state = %v, want valid", got)
		}

		// Nothing more to send.
		if sent, err := a.outbox.DeliverDue(ctx); err != nil || sent != 0 {
			t.Errorf("third DeliverDue = %d, %v; want nothing", sent, err)
		}
	})
}

// TestResetMailInAccountLanguage checks that the mail follows the account's
// stored locale, not the language of the pages.
func TestResetMailInAccountLanguage(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	newAccount(t, a, "jane01", "jane@example.com", "en")
	newAccount(t, a, "taro01", "taro@example.jp", "ja")
	// Japanese pages, English account.
	requestResetFlow(t, a, "jane01", "jane@example.com")
	// English pages, Japanese account.
	state := confirmState(t, a, "taro01", "taro@example.jp")
	if res := postForm(t, a, "/password-resetting/send?lang=en", url.Values{"state": {state}}); res.Status != http.StatusOK {
		t.Fatalf("send in English: status %d", res.Status)
	}
	if sent, err := a.outbox.DeliverDue(context.Background()); err != nil || sent != 2 {
		t.Fatalf("DeliverDue = %d, %v; want 2", sent, err)
	}
	byTo := map[string]mail.DevMessage{}
	for _, m := range a.mailbox.Messages() {
		byTo[m.To] = m
	}
	en := byTo["jane@example.com"]
	if en.Subject != "[テスト加盟店管理サイト] Reset your password" {
		t.Errorf("English subject = %q", en.Subject)
	}
	if !strings.Contains(en.Text, "Works until Wed, 25 Nov, 10:30 (Japan time)") {
		t.Errorf("English mail text:\n%s", en.Text)
	}
	if ja := byTo["taro@example.jp"]; !strings.Contains(ja.Subject, "パスワード再設定のご案内") {
		t.Errorf("Japanese subject = %q", ja.Subject)
	}
}
