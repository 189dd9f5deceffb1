package console

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"aikagi/app/limit"
	"aikagi/db"
	"aikagi/db/dbtest"
)

// seedOverview writes a day of activity before the console's clock
// (09:00 UTC, 18:00 in Japan) and returns the accounts' ids by login ID.
func seedOverview(t *testing.T, c *testConsole) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	now := c.clock.Now()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	ids := map[string]int64{}
	for _, id := range []string{"ov-taro", "ov-hana", "ov-jiro"} {
		a := &db.Account{LoginID: id, Email: id + "@example.jp", StoreName: "山田商店", Locale: "ja", PasswordHash: "x"}
		must(db.CreateAccount(ctx, c.db, a, now.Add(-48*time.Hour)))
		ids[id] = a.ID
	}
	audit := func(kind db.AuditKind, login string, at time.Time) {
		t.Helper()
		e := &db.AuditEvent{Kind: kind}
		if id, ok := ids[login]; ok {
			e.AccountID = &id
		}
		must(db.RecordAudit(ctx, c.db, e, at))
	}
	// taro: three links and two refusals by his mail limit, within the hour.
	for i, k := range []db.AuditKind{db.AuditResetRequested, db.AuditResetRequested, db.AuditResetRequested, db.AuditResetLimited, db.AuditResetLimited} {
		audit(k, "ov-taro", now.Add(-time.Duration(50-i)*time.Minute))
	}
	audit(db.AuditResetUnmatched, "", now.Add(-30*time.Minute))
	// Either side of midnight in Japan (15:00 UTC).
	audit(db.AuditReminderRequested, "ov-jiro", time.Date(2026, 11, 30, 14, 59, 59, 0, time.UTC))
	audit(db.AuditReminderUnmatched, "", time.Date(2026, 11, 30, 15, 0, 0, 0, time.UTC))
	// Four refusals of step 3 by the per-client limit, on one row.
	for range 4 {
		must(db.RecordAuditAggregated(ctx, c.db, &db.AuditEvent{Kind: db.AuditRateLimited, Detail: string(limit.SendsPerIP)}, "overview-test", now.Add(-20*time.Minute)))
	}
	// A week ago: outside the 24 hours, inside the 14 days.
	audit(db.AuditResetRequested, "ov-jiro", now.Add(-7*24*time.Hour))
	audit(db.AuditResetReported, "ov-hana", now.Add(-2*time.Hour))

	// hana set a new password 4 minutes after asking.
	tok, err := db.CreateResetToken(ctx, c.db, ids["ov-hana"], []byte("overview-token-hash-0123456789ab"), now.Add(-3*time.Hour), time.Hour, "")
	must(err)
	_, _, err = db.ConsumeResetToken(ctx, c.db, tok.TokenHash, now.Add(-3*time.Hour+4*time.Minute))
	must(err)
	audit(db.AuditPasswordChanged, "ov-hana", now.Add(-3*time.Hour+4*time.Minute))

	// A mail to hana bounced; one to jiro was given up.
	hana, jiro := ids["ov-hana"], ids["ov-jiro"]
	must(db.EnqueueMail(ctx, c.db, &db.OutboxMail{ID: "ov-m1", Kind: "reset_link", AccountID: &hana, ToAddr: "ov-hana@example.jp"}, now.Add(-4*time.Hour)))
	rows, err := db.ClaimMail(ctx, c.db, now.Add(-4*time.Hour), time.Minute, 10, dbtest.BatchID())
	must(err)
	_, err = db.MarkMailSent(ctx, c.db, "ov-m1", rows[0].Attempts, "p1", now.Add(-4*time.Hour))
	must(err)
	_, _, err = db.RecordDeliveryEvent(ctx, c.db, db.MessageRef{OutboxID: "ov-m1"}, db.DeliveryBounced, "", now.Add(-4*time.Hour+time.Minute))
	must(err)
	must(db.EnqueueMail(ctx, c.db, &db.OutboxMail{ID: "ov-m2", Kind: "reset_link", AccountID: &jiro, ToAddr: "ov-jiro@example.jp"}, now.Add(-time.Hour)))
	rows, err = db.ClaimMail(ctx, c.db, now.Add(-time.Hour), time.Minute, 10, dbtest.BatchID())
	must(err)
	_, err = db.MarkMailDead(ctx, c.db, "ov-m2", rows[0].Attempts, "gave up", now.Add(-time.Hour))
	must(err)
	return ids
}

func TestOverview(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			c := newTestConsole(t, dialect, nil)
			ids := seedOverview(t, c)
			_, b := enrol(t, c)

			res := b.do(t, "GET", "/", nil)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("home: %d", res.StatusCode)
			}
			doc := page(t, res)
			if doc.Find("#search-form ~ #overview").Length() != 1 {
				t.Error("the overview is not below the search box")
			}
			text := func(sel string) string {
				t.Helper()
				return strings.Join(strings.Fields(doc.Find(sel).Text()), " ")
			}
			for sel, want := range map[string]string{
				"#requests-24h-total": "直近24時間: 依頼 12件（一致 4・不一致 2・制限 6）",
				"#requests-14d-total": "直近14日間: 依頼 13件（一致 5・不一致 2・制限 6）",
				"#mails-24h-total":    "直近24時間: 送信 1件（到達 0・不達 1・送信断念 1）",
				"#resets-24h-total":   "直近24時間: 完了 1件（中央値 4分）",
				"#median-24h":         "4分",
				"#median-14d":         "4分",
				"#outbox-backlog":     "0件",
			} {
				if got := text(sel); got != want {
					t.Errorf("%s: %q, want %q", sel, got, want)
				}
			}
			// Japan's days: 23:59:59 on the 30th and midnight on the 1st.
			row := func(table, key string) string {
				t.Helper()
				var cells []string
				doc.Find(table + " tbody tr").Each(func(_ int, tr *goquery.Selection) {
					if tr.Find("th").Text() == key {
						tr.Find("td").Each(func(_ int, td *goquery.Selection) { cells = append(cells, td.Text()) })
					}
				})
				return strings.Join(cells, " ")
			}
			if got := row("#requests-14d-table", "11月30日"); got != "1 0 0" {
				t.Errorf("30 Nov: %q, want 1 matched", got)
			}
			if got := row("#requests-14d-table", "12月1日"); got != "3 2 6" {
				t.Errorf("1 Dec: %q, want 3 matched, 2 unmatched, 6 limited", got)
			}
			if got := row("#requests-24h-table", "12月1日 17時台"); got != "3 1 6" {
				t.Errorf("17:00 in Japan: %q, want 3 matched, 1 unmatched, 6 limited", got)
			}
			for list, login := range map[string]string{
				"#attention-repeated": "ov-taro",
				"#attention-reported": "ov-hana",
				"#attention-bounced":  "ov-hana",
				"#attention-dead":     "ov-jiro",
			} {
				a := doc.Find(list + " a")
				if a.Length() != 1 || a.Text() != login || a.AttrOr("href", "") != fmt.Sprintf("/accounts/%d", ids[login]) {
					t.Errorf("%s: %d links, %q → %q; want %s", list, a.Length(), a.Text(), a.AttrOr("href", ""), login)
				}
			}
			if got := text("#attention-repeated li"); !strings.Contains(got, "5回") {
				t.Errorf("repeated: %q, want 5 requests", got)
			}
			if got := text("#attention-dead li"); !strings.Contains(got, "再設定リンク") {
				t.Errorf("dead mail: %q, want the mail's kind by name", got)
			}
			if got := text("#resets-14d-total"); got != "直近14日間: 完了 1件（中央値 4分）" {
				t.Errorf("#resets-14d-total: %q", got)
			}

			en := page(t, b.do(t, "GET", "/?lang=en", nil))
			if got := strings.Join(strings.Fields(en.Find("#requests-24h-total").Text()), " "); got != "Last 24 hours: 12 received (Matched 4, Unmatched 2, Limited 6)" {
				t.Errorf("English total: %q", got)
			}
			if got := en.Find("#median-24h").Text(); got != "4 minutes" {
				t.Errorf("English median: %q", got)
			}
		})
	}
}

// TestOverviewWithoutData: a new installation's overview says there is
// nothing yet, with no empty brackets or median where no reset was done.
func TestOverviewWithoutData(t *testing.T) {
	c := newTestConsole(t, "sqlite", nil)
	_, b := enrol(t, c)
	doc := page(t, b.do(t, "GET", "/", nil))
	for sel, want := range map[string]string{
		"#resets-24h-total":   "直近24時間: 完了 0件",
		"#requests-14d-total": "直近14日間: 依頼 0件（一致 0・不一致 0・制限 0）",
		"#median-24h":         "完了した再設定はありません",
		"#attention-expired":  "期限までに送れなかったメール（14日間）ありません。",
		"#outbox-backlog":     "0件",
	} {
		if got := strings.Join(strings.Fields(doc.Find(sel).Text()), " "); got != want {
			t.Errorf("%s: %q, want %q", sel, got, want)
		}
	}
}

func TestMedian(t *testing.T) {
	m := time.Minute
	for _, tc := range []struct {
		waits []time.Duration
		want  time.Duration
		ok    bool
	}{
		{nil, 0, false},
		{[]time.Duration{9 * m, 1 * m, 4 * m}, 4 * m, true},
		{[]time.Duration{10 * m, 2 * m, 4 * m, 90 * m}, 7 * m, true},
	} {
		got, ok := median(tc.waits)
		if got != tc.want || ok != tc.ok {
			t.Errorf("median(%v) = %v %v, want %v %v", tc.waits, got, ok, tc.want, tc.ok)
		}
	}
}

// TestOverviewExpiredMailAndBacklog: mail that passed its deadline unsent
// is listed with its kind, its account and when it expired (Japan time),
// in either language; the backlog counts the mail waiting and being sent,
// and says how long the oldest has waited.
func TestOverviewExpiredMailAndBacklog(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			c := newTestConsole(t, dialect, nil)
			ctx := context.Background()
			now := c.clock.Now() // 09:00 UTC, 18:00 in Japan
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			ids := map[string]int64{}
			for _, id := range []string{"ex-taro", "ex-hana", "ex-jiro"} {
				a := &db.Account{LoginID: id, Email: id + "@example.jp", StoreName: "山田商店", Locale: "ja", PasswordHash: "x"}
				must(db.CreateAccount(ctx, c.db, a, now.Add(-48*time.Hour)))
				ids[id] = a.ID
			}
			queue := func(id, kind, login string, queued, deadline time.Time) {
				t.Helper()
				acct := ids[login]
				must(db.EnqueueMail(ctx, c.db, &db.OutboxMail{ID: id, Kind: kind, AccountID: &acct, ToAddr: login + "@example.jp",
					Payload: []byte("sealed"), ExpiresAt: &deadline}, queued))
			}
			// taro's reset link expired at 16:30 in Japan, hana's login ID
			// reminder at 17:45; the worker's sweep ends each at its deadline.
			for _, m := range []struct {
				id, kind, login string
				deadline        time.Time
			}{
				{"ex-m1", "reset_link", "ex-taro", now.Add(-90 * time.Minute)},
				{"ex-m2", "login_id_reminder", "ex-hana", now.Add(-15 * time.Minute)},
			} {
				queue(m.id, m.kind, m.login, m.deadline.Add(-time.Hour), m.deadline)
				rows, err := db.ExpireOverdueMail(ctx, c.db, m.deadline, 10)
				must(err)
				if len(rows) != 1 {
					t.Fatalf("expired %d mails, want %s", len(rows), m.id)
				}
			}
			// jiro's mail: one being sent for 12 minutes, one pending for 2.
			queue("ex-w1", "reset_link", "ex-jiro", now.Add(-12*time.Minute), now.Add(48*time.Minute))
			rows, err := db.ClaimMail(ctx, c.db, now.Add(-12*time.Minute), time.Hour, 10, dbtest.BatchID())
			must(err)
			if len(rows) != 1 || rows[0].Status != db.OutboxSending {
				t.Fatalf("claimed %+v, want ex-w1 sending", rows)
			}
			queue("ex-w2", "password_changed", "ex-jiro", now.Add(-2*time.Minute), now.Add(24*time.Hour))
			_, b := enrol(t, c)

			for _, tc := range []struct {
				path, backlog, help string
				lines               []string
			}{
				{"/", "2件（最も古いものは12分前）", "再設定リンクとログインIDのお知らせは、もう一度依頼していただければ新しく送られます。再設定リンクはアカウントの画面の「再設定リンクを送る」からも送れます。",
					[]string{"ex-hana ログインIDのお知らせ 12月1日 17:45", "ex-taro 再設定リンク 12月1日 16:30"}},
				{"/?lang=en", "2 (the oldest waiting for 12 minutes)", "A reset link or login ID reminder goes out anew when the merchant asks again; a reset link can also be sent from the account page (Send a reset link).",
					[]string{"ex-hana Login ID reminder 1 Dec 17:45", "ex-taro Reset link 1 Dec 16:30"}},
			} {
				res := b.do(t, "GET", tc.path, nil)
				if res.StatusCode != http.StatusOK {
					t.Fatalf("%s: %d", tc.path, res.StatusCode)
				}
				doc := page(t, res)
				text := func(s *goquery.Selection) string { return strings.Join(strings.Fields(s.Text()), " ") }
				list := doc.Find("#attention #attention-expired")
				if list.Length() != 1 {
					t.Fatalf("%s: no list of expired mail in the needs-attention section", tc.path)
				}
				if got := text(list.Find("p")); got != tc.help {
					t.Errorf("%s: help %q, want %q", tc.path, got, tc.help)
				}
				var lines []string
				list.Find("li").Each(func(i int, li *goquery.Selection) {
					lines = append(lines, text(li))
					login := strings.Fields(text(li))[0]
					if href := li.Find("a").AttrOr("href", ""); href != fmt.Sprintf("/accounts/%d", ids[login]) {
						t.Errorf("%s: %s links to %q", tc.path, login, href)
					}
				})
				if strings.Join(lines, "\n") != strings.Join(tc.lines, "\n") {
					t.Errorf("%s: expired mail\n%s\nwant\n%s", tc.path, strings.Join(lines, "\n"), strings.Join(tc.lines, "\n"))
				}
				// Expired mail is neither given up nor waiting.
				if n := doc.Find("#attention-dead li").Length(); n != 0 {
					t.Errorf("%s: %d mails listed as given up, want none", tc.path, n)
				}
				if got := text(doc.Find("#outbox-backlog")); got != tc.backlog {
					t.Errorf("%s: backlog %q, want %q", tc.path, got, tc.backlog)
				}
			}
		})
	}
}
