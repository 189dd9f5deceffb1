package cli

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"aikagi/app/mail"
	"aikagi/db"
	"aikagi/db/dbtest"
)

// TestSetEmailCommand is support staff changing a merchant's registered
// address: the account matches the new address only, its old links stop
// working, the change is audited, and both addresses get a notice.
func TestSetEmailCommand(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		dsn := dbtest.Fresh(t, dialect)
		a := newTestAppOn(t, dsn, nil)
		acct := newAccount(t, a, "taro01", "Old.Taro@Example.jp", "ja")
		requestResetFlow(t, a, "taro01", "old.taro@example.jp")
		if _, err := a.outbox.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		oldLink := resetMailURL(t, a.mailbox.Messages()[0].Text)

		// A full-width login ID and address, as typed, are normalised as
		// step 1 does.
		out, err := runCommand(t, dsn, a.now, AccountCommand, "set-email", "ｔａｒｏ０１", "Ｎｅｗ．Ｔａｒｏ＠Example.jp")
		if err != nil {
			t.Fatalf("set-email: %v", err)
		}
		if !strings.Contains(out, "from Old.Taro@Example.jp to New.Taro@Example.jp") {
			t.Errorf("output does not name both addresses:\n%s", out)
		}
		if got, _ := db.FindAccountForReset(ctx, a.db, "taro01", "new.taro@example.jp"); got == nil || got.Email != "New.Taro@Example.jp" {
			t.Errorf("the new address does not match the account: %+v", got)
		}
		if got, _ := db.FindAccountForReset(ctx, a.db, "taro01", "old.taro@example.jp"); got != nil {
			t.Error("the old address still matches the account")
		}
		if res := get(t, a, oldLink.RequestURI()); res.Status == http.StatusSeeOther {
			t.Error("a link mailed to the old address still works")
		}

		events, _ := db.ListAudit(ctx, a.db, "taro01", 10)
		i := slices.IndexFunc(events, func(e db.AuditEvent) bool { return e.Kind == db.AuditEmailChanged })
		if i < 0 || *events[i].AccountID != acct.ID || events[i].Detail != "from Old.Taro@Example.jp to New.Taro@Example.jp" {
			t.Errorf("audit = %+v, want an %s event naming both addresses", events, db.AuditEmailChanged)
		}

		notices, err := db.ListOutbox(ctx, a.db, db.OutboxFilter{Status: db.OutboxPending, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var to []string
		for _, n := range notices {
			if n.Kind != string(mail.KindEmailChanged) || *n.AccountID != acct.ID {
				t.Errorf("queued %+v, want only the notices", n)
			}
			to = append(to, n.ToAddr)
		}
		slices.Sort(to)
		if strings.Join(to, " ") != "New.Taro@Example.jp Old.Taro@Example.jp" {
			t.Errorf("notices to %q, want one to the old and one to the new address", to)
		}
		if sent, err := a.outbox.DeliverDue(ctx); err != nil || sent != 2 {
			t.Fatalf("deliverDue = %d, %v", sent, err)
		}
		for _, m := range a.mailbox.Messages()[:2] {
			full, _ := a.mailbox.Find(m.ID)
			if m.Subject != "【テスト加盟店管理サイト】登録メールアドレスが変更されました" {
				t.Errorf("subject %q", m.Subject)
			}
			for _, part := range []string{m.Text, full.HTML} {
				for _, want := range []string{"Old.Taro@Example.jp", "New.Taro@Example.jp", "taro01", "2026年11月25日 10:00(日本時間)"} {
					if !strings.Contains(part, want) {
						t.Errorf("notice to %s lacks %q:\n%s", m.To, want, part)
					}
				}
			}
			doc, err := goquery.NewDocumentFromReader(strings.NewReader(full.HTML))
			if err != nil {
				t.Fatal(err)
			}
			if lang, _ := doc.Find("html").Attr("lang"); lang != "ja" {
				t.Errorf("notice HTML lang = %q", lang)
			}
			toOld := strings.Contains(m.Text, "このアドレスには届きません")
			if toOld != (m.To == "Old.Taro@Example.jp") {
				t.Errorf("the notice to %s tells the wrong address where mail goes now:\n%s", m.To, m.Text)
			}
		}
	})
}

// TestSetEmailRefusals checks that a bad request is refused with a clear
// error and changes nothing.
func TestSetEmailRefusals(t *testing.T) {
	t.Parallel()
	dsn := dbtest.Fresh(t, "sqlite")
	a := newTestAppOn(t, dsn, nil)
	newAccount(t, a, "taro01", "taro@example.jp", "en")
	before := rowCounts(t, a.db)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"set-email", "nobody", "new@example.jp"}, `no account with login ID "nobody"`},
		{[]string{"set-email", "taro01", "not-an-address"}, "Enter the e-mail address in the form name@example.com"},
		{[]string{"set-email", "taro01", "a b@example.jp"}, "ADDRESS"},
		{[]string{"set-email", "taro01", ""}, "Enter your registered e-mail address"},
		{[]string{"set-email", "taro01", "taro@example.jp"}, "already the registered address"},
		{[]string{"set-email", "taro01"}, "LOGIN_ID and the new ADDRESS"},
		{[]string{"set-email", "taro01", "a@example.jp", "b@example.jp"}, "LOGIN_ID and the new ADDRESS"},
	} {
		if _, err := runCommand(t, dsn, a.now, AccountCommand, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want one saying %q", tc.args, err, tc.want)
		}
	}
	if after := rowCounts(t, a.db); !maps.Equal(before, after) {
		t.Errorf("rows changed by refused commands: %v → %v", before, after)
	}
	if acct, _ := db.FindAccountByLoginID(context.Background(), a.db, "taro01"); acct.Email != "taro@example.jp" {
		t.Errorf("address changed to %q", acct.Email)
	}
}

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
			if _, _, err := a.recovery.ChangeEmail(ctx, "taro01", "new@example.jp"); err != nil {
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
