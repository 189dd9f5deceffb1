package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/a-h/templ"
	"github.com/uptrace/bun"

	"aikagi/app/config"
	"aikagi/app/mail"
	"aikagi/app/mail/resendtest"
	"aikagi/app/service"
	"aikagi/db"
	"aikagi/db/dbtest"
)

// The fake Resend of every test (app/mail/resendtest).
type (
	fakeResend = resendtest.Fake
	fakeFault  = resendtest.Fault
)

const fakeAPIKey = resendtest.APIKey

func newFakeResend(t testing.TB) *fakeResend { return resendtest.New(t) }

// fakeTimeout is how long the app waits for the fake in tests: generous,
// so that a busy machine never turns a normal answer into a timeout. A test
// of the timeout itself stalls the fake and passes a short timeout.
const fakeTimeout = 30 * time.Second

// newResendApp builds an app on the database at dsn whose mail goes through
// ResendSender to fake, with a sender timeout (fakeTimeout when zero).
// With a clock, the app and its worker run on it; without, on real time.
func newResendApp(t testing.TB, dsn string, fake *fakeResend, clock *fakeClock, timeout time.Duration, overrides map[string]string) *App {
	t.Helper()
	env := testEnv()
	env["RESEND_API_KEY"] = fakeAPIKey
	env["RESEND_BASE_URL"] = fake.URL
	for k, v := range overrides {
		if v == "" {
			delete(env, k)
			continue
		}
		env[k] = v
	}
	cfg, err := config.Load(getenvFrom(env), noRandomKey(t))
	if err != nil {
		t.Fatalf("config.Load: %v", err)
	}
	if timeout == 0 {
		timeout = fakeTimeout
	}
	sender, err := mail.NewResendSender(cfg.ResendAPIKey, cfg.Resend.BaseURL, timeout)
	if err != nil {
		t.Fatal(err)
	}
	a := New(service.New(cfg, dbtest.OpenDSN(t, dsn), slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now, sender))
	if clock != nil {
		a.svc.SetClock(clock.Now)
		a.outbox.Sleep = clock.Sleep
	}
	return a
}

// queueNotices queues n small mails without an expiry for acct, in one
// transaction, and returns their outbox ids.
func queueNotices(t testing.TB, a *App, acct *db.Account, n int) []string {
	t.Helper()
	ctx := context.Background()
	before := map[string]bool{}
	var existing []string
	if err := a.db.NewSelect().Table("outbox").Column("id").Scan(ctx, &existing); err != nil {
		t.Fatal(err)
	}
	for _, id := range existing {
		before[id] = true
	}
	err := a.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		for i := range n {
			if err := a.outbox.Queue(ctx, tx, mail.Outgoing{
				Kind: mail.KindPasswordChanged, AccountID: acct.ID, To: acct.Email, Subject: fmt.Sprintf("notice %d", i),
				Text: fmt.Sprintf("text %d", i), HTML: templ.Raw(fmt.Sprintf("<p>html %d</p>", i)),
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("queue notices: %v", err)
	}
	var all []string
	if err := a.db.NewSelect().Table("outbox").Column("id").Order("created_at", "id").Scan(ctx, &all); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, id := range all {
		if !before[id] {
			ids = append(ids, id)
		}
	}
	if len(ids) != n {
		t.Fatalf("queued %d notices, found %d new rows", n, len(ids))
	}
	return ids
}

// outboxRow reads one outbox row.
func outboxRow(t testing.TB, a *App, id string) db.OutboxMail {
	t.Helper()
	row, err := db.GetOutboxMail(context.Background(), a.db, id)
	if err != nil || row == nil {
		t.Fatalf("outbox row %s: %v, %v", id, row, err)
	}
	return *row
}
