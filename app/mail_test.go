package app

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"aikagi/app/mail"
	"aikagi/app/secret"
	"aikagi/db"
	"aikagi/views"
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
		m := views.ResetMail{Lang: lang, SiteName: "S", StoreName: "St", URL: "https://x.test/r?token=T", ReportURL: "https://x.test/report?token=R", ExpiresAt: testStart}
		var html bytes.Buffer
		if err := views.ResetMailHTML(m).Render(context.Background(), &html); err != nil {
			t.Fatal(err)
		}
		for part, body := range map[string]string{"text": views.ResetMailPlain(m), "html": html.String()} {
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
