package app

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"aikagi/app/mail"
	"aikagi/db"
	"aikagi/db/dbtest"
)

// TestEmailChangedMailRendering renders the notice to the old and to the
// new address in both languages: the text parts against golden files, the
// HTML parts for their language, links and mail-client-safe layout.
func TestEmailChangedMailRendering(t *testing.T) {
	t.Parallel()
	for _, locale := range []string{"ja", "en"} {
		t.Run(locale, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			a := newTestApp(t, "sqlite")
			newAccount(t, a, "taro01", "old@example.jp", locale)
			if _, _, err := a.recovery.ChangeEmail(ctx, "taro01", "new@example.jp", db.Actor{Command: "test"}, ""); err != nil {
				t.Fatal(err)
			}
			var rows []db.OutboxMail
			if err := a.db.NewSelect().Model(&rows).Where("kind = ?", mail.KindEmailChanged).Order("to_addr").Scan(ctx); err != nil || len(rows) != 2 {
				t.Fatalf("queued %d notices, %v", len(rows), err)
			}
			links := []string{
				"https://reset.example.test/login?lang=" + locale,
				"https://reset.example.test/password-resetting/regist?lang=" + locale,
			}
			for _, row := range rows {
				plain, err := a.sealer.Open(row.ID, row.Payload)
				if err != nil {
					t.Fatal(err)
				}
				var m mail.Message
				if err := json.Unmarshal(plain, &m); err != nil {
					t.Fatal(err)
				}
				copyFor := strings.TrimSuffix(m.To, "@example.jp") // old or new
				text := "From: " + m.From + "\nTo: " + m.To + "\nSubject: " + m.Subject + "\n\n" + m.Text
				assertGolden(t, "email_changed."+copyFor+"."+locale+".txt", text)

				doc, err := goquery.NewDocumentFromReader(strings.NewReader(m.HTML))
				if err != nil {
					t.Fatal(err)
				}
				if got, _ := doc.Find("html").Attr("lang"); got != locale {
					t.Errorf("%s: html lang = %q", copyFor, got)
				}
				var hrefs []string
				doc.Find("a[href]").Each(func(_ int, s *goquery.Selection) {
					href, _ := s.Attr("href")
					hrefs = append(hrefs, href)
				})
				if !slices.Equal(hrefs, links) {
					t.Errorf("%s: HTML links %q, want %q", copyFor, hrefs, links)
				}
				if n := doc.Find("img, script, link, style, iframe, form, input").Length(); n != 0 || doc.Find(`table[role=presentation]`).Length() == 0 {
					t.Errorf("%s: the HTML part is not a plain layout table", copyFor)
				}
			}
		})
	}
}

// TestSweepKeepsDeadMailForRetry checks what the sweep leaves for "outbox
// retry": a dead reset mail's sealed payload until its link expires, any
// other dead mail's until db.DeadPayloadRetention after it died. What the command
// then says is tested in package cli (TestRetryOfDeadMailOverTime).
func TestSweepKeepsDeadMailForRetry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := newFakeResend(t)
	clock := newFakeClock(testStart)
	a := newResendApp(t, dbtest.Fresh(t, "sqlite"), fake, clock, 0, nil)
	acct := newAccount(t, a, "taro01", "taro@example.jp", "ja")
	notice := queueNotices(t, a, acct, 1)[0]
	if _, _, err := a.recovery.SendResetByOperator(ctx, "taro01", time.Hour); err != nil {
		t.Fatal(err)
	}
	fake.Fail(fakeFault{Status: 403}, fakeFault{Status: 403})
	a.outbox.DeliverDue(ctx)
	rows, _ := db.ListOutbox(ctx, a.db, db.OutboxFilter{Status: db.OutboxDead})
	if len(rows) != 2 {
		t.Fatalf("dead rows = %+v", rows)
	}
	var reset string
	for _, r := range rows {
		if r.Kind == string(mail.KindReset) {
			reset = r.ID
		}
	}
	kept := func(id string) bool { return outboxRow(t, a, id).Payload != nil }

	a.sweeper.Sweep(ctx)
	if !kept(reset) || !kept(notice) {
		t.Error("the sweep dropped a payload before the link expired")
	}
	clock.Advance(time.Hour)
	a.sweeper.Sweep(ctx)
	if kept(reset) || !kept(notice) {
		t.Error("after the link expired, the sweep should drop the reset mail's payload and keep the notice's")
	}
	deadline := *outboxRow(t, a, notice).ExpiresAt
	clock.Set(deadline.Add(-time.Minute))
	a.sweeper.Sweep(ctx)
	if !kept(notice) {
		t.Error("the notice's payload was dropped before its deadline")
	}
	clock.Set(deadline.Add(time.Minute))
	a.sweeper.Sweep(ctx)
	if kept(notice) {
		t.Error("the notice's payload outlived its deadline, after which it can no longer be sent")
	}
}
