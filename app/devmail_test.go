package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"aikagi/app/config"
	"aikagi/app/mail"
	"aikagi/app/service"
	"aikagi/db/dbtest"
)

func TestDevMailboxKeepsNewestFirst(t *testing.T) {
	t.Parallel()
	box := mail.NewDevMailbox()
	for i := 1; i <= mail.DevMailboxSize+1; i++ {
		id, err := box.Send(context.Background(), "outbox-row", mail.Message{To: fmt.Sprintf("m%d@example.jp", i), Subject: fmt.Sprint(i)})
		if err != nil || id != fmt.Sprintf("dev-%d", i) {
			t.Fatalf("Send %d = %q, %v", i, id, err)
		}
	}
	mails := box.Messages()
	if len(mails) != mail.DevMailboxSize {
		t.Fatalf("mailbox holds %d mails, want at most %d", len(mails), mail.DevMailboxSize)
	}
	if mails[0].ID != mail.DevMailboxSize+1 || mails[len(mails)-1].ID != 2 {
		t.Errorf("mailbox runs from %d to %d, want newest %d first and the oldest (1) dropped", mails[0].ID, mails[len(mails)-1].ID, mail.DevMailboxSize+1)
	}
	if _, ok := box.Find(1); ok {
		t.Error("the dropped mail can still be found")
	}
	if m, ok := box.Find(2); !ok || m.To != "m2@example.jp" {
		t.Errorf("find(2) = %+v, %v", m, ok)
	}
}

// TestDevMailPages follows two reset mails into /_dev/mail: the list, newest
// first, each message with its text and HTML part, and 404 for no message.
func TestDevMailPages(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	newAccount(t, a, "taro01", "Taro@Example.jp", "ja")
	newAccount(t, a, "jane01", "jane@example.com", "en")

	empty := get(t, a, "/_dev/mail", onLocalhost)
	if empty.Status != http.StatusOK {
		t.Fatalf("empty mailbox: status %d", empty.Status)
	}
	if n := empty.Doc(t).Find("#dev-mail-list li").Length(); n != 0 {
		t.Errorf("empty mailbox lists %d mails", n)
	}

	requestResetFlow(t, a, "taro01", "taro@example.jp")
	requestResetFlow(t, a, "jane01", "jane@example.com")
	if sent, err := a.outbox.DeliverDue(context.Background()); err != nil || sent != 2 {
		t.Fatalf("DeliverDue = %d, %v; want 2", sent, err)
	}
	mails := a.mailbox.Messages()

	res := get(t, a, "/_dev/mail", onLocalhost)
	if res.Status != http.StatusOK {
		t.Fatalf("mailbox: status %d", res.Status)
	}
	assertFullPage(t, res, "ja", "開発用メールボックス")
	var hrefs, subjects []string
	res.Doc(t).Find("#dev-mail-list li a").Each(func(_ int, s *goquery.Selection) {
		href, _ := s.Attr("href")
		hrefs = append(hrefs, href)
		subjects = append(subjects, strings.TrimSpace(s.Text()))
	})
	wantHrefs := []string{fmt.Sprintf("/_dev/mail/%d", mails[0].ID), fmt.Sprintf("/_dev/mail/%d", mails[1].ID)}
	if strings.Join(hrefs, " ") != strings.Join(wantHrefs, " ") || mails[0].ID < mails[1].ID {
		t.Errorf("list links = %q, want newest first %q", hrefs, wantHrefs)
	}
	if len(subjects) != 2 || subjects[0] != mails[0].Subject || !strings.Contains(subjects[1], "パスワード再設定") {
		t.Errorf("list subjects = %q", subjects)
	}

	for _, m := range mails {
		res := get(t, a, fmt.Sprintf("/_dev/mail/%d", m.ID), onLocalhost)
		if res.Status != http.StatusOK {
			t.Fatalf("mail %d: status %d", m.ID, res.Status)
		}
		doc := res.Doc(t)
		if got := strings.TrimSpace(doc.Find("#dev-mail-subject").Text()); got != m.Subject {
			t.Errorf("mail %d subject = %q, want %q", m.ID, got, m.Subject)
		}
		if got := strings.TrimSpace(doc.Find("#dev-mail-to").Text()); got != m.To {
			t.Errorf("mail %d to = %q, want %q", m.ID, got, m.To)
		}
		text := doc.Find("#dev-mail-text").Text()
		link := resetMailURL(t, text)
		if !strings.Contains(m.Text, link.String()) {
			t.Errorf("mail %d page shows link %s, not the one in the mail", m.ID, link)
		}
		frame, _ := doc.Find("iframe").Attr("src")
		if frame != fmt.Sprintf("/_dev/mail/%d/html", m.ID) {
			t.Errorf("mail %d frames %q, want its HTML part", m.ID, frame)
		}

		html := get(t, a, frame, onLocalhost)
		if html.Status != http.StatusOK {
			t.Fatalf("mail %d HTML part: status %d", m.ID, html.Status)
		}
		hdoc := html.Doc(t)
		if got, _ := hdoc.Find(`a[href^="https://reset.example.test/password-resetting/reset?token="]`).Attr("href"); got != link.String() {
			t.Errorf("mail %d HTML part links %q, want %q", m.ID, got, link)
		}
		csp := html.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "sandbox") || cspDirective(csp, "frame-ancestors") != "'self'" || strings.Contains(cspDirective(csp, "default-src"), "*") {
			t.Errorf("mail %d HTML part CSP = %q, want sandboxed, framed only by the app", m.ID, csp)
		}
	}
	if got, _ := get(t, a, fmt.Sprintf("/_dev/mail/%d/html", mails[1].ID), onLocalhost).Doc(t).Find("html").Attr("lang"); got != "ja" {
		t.Errorf("Japanese account's mail HTML lang = %q", got)
	}
	if got, _ := get(t, a, fmt.Sprintf("/_dev/mail/%d/html", mails[0].ID), onLocalhost).Doc(t).Find("html").Attr("lang"); got != "en" {
		t.Errorf("English account's mail HTML lang = %q", got)
	}

	for _, path := range []string{"/_dev/mail/999", "/_dev/mail/999/html", "/_dev/mail/abc", "/_dev/mail/0"} {
		assertProblemPage(t, get(t, a, path, onLocalhost), http.StatusNotFound, "ja", "お探しのページは見つかりませんでした。URLをご確認ください。")
	}
}

// TestDevMailNotInProduction checks that the development mailbox is never
// served in production, even when the app is given one.
func TestDevMailNotInProduction(t *testing.T) {
	t.Parallel()
	env := testEnv()
	env["APP_ENV"] = "production"
	env["RESEND_API_KEY"] = "re_test"
	cfg, err := config.Load(getenvFrom(env), noRandomKey(t))
	if err != nil {
		t.Fatal(err)
	}
	box := mail.NewDevMailbox()
	a := New(service.New(cfg, dbtest.Open(t, "sqlite"), slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now, box))
	if _, err := box.Send(context.Background(), "x", mail.Message{To: "taro@example.jp", Subject: "secret link"}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/_dev/mail", "/_dev/mail/1", "/_dev/mail/1/html"} {
		res := get(t, a, path, onLocalhost)
		if res.Status != http.StatusNotFound {
			t.Errorf("%s in production: status %d, want 404", path, res.Status)
		}
		if strings.Contains(string(res.Body), "secret link") {
			t.Errorf("%s in production shows the mail", path)
		}
	}
}
