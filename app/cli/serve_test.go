package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"aikagi/app/config"
	"aikagi/db"
	"aikagi/db/dbtest"
)

// TestServeWithResend runs the serve command as an operator would, with
// RESEND_API_KEY set and RESEND_BASE_URL pointing at the fake: a merchant's
// request reaches Resend as one well-formed call; a reset link queued by an
// operator's command (another process) goes out too; a bounce reported by
// webhook shows in outbox list, even when it overtakes the worker; and the
// server stops cleanly when told to.
func TestServeWithResend(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		fake := newFakeResend(t)
		dsn := dbtest.Fresh(t, dialect)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		env := testEnv(dsn)
		for k, v := range map[string]string{
			"ADDR":           addr,
			"RESEND_API_KEY": fakeAPIKey, "RESEND_BASE_URL": fake.URL, "RESEND_WEBHOOK_SECRET": testWebhookSecret,
		} {
			env[k] = v
		}
		command := func(cmd func(context.Context, Env, []string) error, stdin string, args ...string) string {
			t.Helper()
			var out bytes.Buffer
			if err := cmd(context.Background(), Env{Getenv: getenvFrom(env), Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: io.Discard}, args); err != nil {
				t.Fatalf("%q: %v", args, err)
			}
			return out.String()
		}
		command(AccountCommand, "a long passphrase of mine\n", "create", "--login-id", "taro01", "--email", "taro@example.jp", "--store", "山田商店", "--locale", "en", "--password-stdin")

		ctx, stop := context.WithCancel(context.Background())
		defer stop()
		logs := &syncBuffer{}
		served := make(chan error, 1)
		go func() { served <- Serve(ctx, Env{Getenv: getenvFrom(env), Stdout: io.Discard, Stderr: logs}, nil) }()

		base := "http://" + addr
		hc := &http.Client{Timeout: time.Minute, Transport: &http.Transport{DisableKeepAlives: true}}
		waitFor(t, waitLong, "the server to answer", func() bool {
			res, err := hc.Get(base + "/healthz")
			if err == nil {
				res.Body.Close()
			}
			return err == nil && res.StatusCode == http.StatusOK
		})
		post := func(path string, form url.Values) *goquery.Document {
			t.Helper()
			req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			res, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Fatalf("POST %s: status %d", path, res.StatusCode)
			}
			doc, err := goquery.NewDocumentFromReader(res.Body)
			if err != nil {
				t.Fatal(err)
			}
			return doc
		}

		// The merchant's request.
		state, _ := post("/password-resetting/confirm", url.Values{"login_id": {"taro01"}, "email": {"taro@example.jp"}}).Find("input[name=state]").Attr("value")
		post("/password-resetting/send", url.Values{"state": {state}})
		waitFor(t, waitLong, "the reset mail to reach Resend", func() bool { return len(fake.Mails()) == 1 })
		m := fake.Mails()[0]
		bdb := dbtest.OpenDSN(t, dsn)
		rows, err := db.ListOutbox(context.Background(), bdb, db.OutboxFilter{})
		if err != nil || len(rows) != 1 {
			t.Fatalf("outbox: %+v, %v", rows, err)
		}
		link := "https://reset.example.test/password-resetting/reset?token="
		if m.Key != rows[0].ID || m.From != "Shop Support <support@example.test>" || len(m.To) != 1 || m.To[0] != "taro@example.jp" ||
			m.Subject != "[テスト加盟店管理サイト] Reset your password" || !strings.Contains(m.Text, link) || !strings.Contains(m.HTML, link) {
			t.Errorf("the call to Resend: key %q (row %q), from %q, to %q, subject %q, text %d bytes, html %d bytes",
				m.Key, rows[0].ID, m.From, m.To, m.Subject, len(m.Text), len(m.HTML))
		}
		waitFor(t, waitLong, "the row to be marked sent", func() bool {
			row, _ := db.GetOutboxMail(context.Background(), bdb, m.Key)
			return row != nil && row.Status == db.OutboxSent && row.ProviderID == m.ID
		})

		// An operator's reset link, queued by another process.
		command(AccountCommand, "", "send-reset", "taro01")
		waitFor(t, waitLong, "the operator's mail to reach Resend", func() bool { return len(fake.Mails()) == 2 })

		// Resend reports a bounce, possibly before the worker has stored
		// Resend's id: the mail's outbox_id tag names the row. The operator
		// sees it.
		bounced := fake.Mails()[1]
		res, err := hc.Do(signedWebhook(t, base+"/webhooks/resend", testWebhookSecret, bounceWebhookBody(bounced.ID, bounced.TagsObject()), time.Now()))
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("webhook: %v, %v", res, err)
		}
		res.Body.Close()
		if out := command(OutboxCommand, "", "list", "--problems"); !strings.Contains(out, "bounced") || !strings.Contains(out, bounced.Key) {
			t.Errorf("outbox list --problems:\n%s", out)
		}
		if res, err := hc.Get(base + "/_dev/mail"); err != nil || res.StatusCode != http.StatusNotFound {
			t.Errorf("the development mailbox is served beside Resend: %v, %v", res, err)
		}

		stop()
		select {
		case err := <-served:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(waitLong):
			t.Fatal("Serve did not stop")
		}
		if d := fake.Deliveries(); len(d) != 2 || d[m.Key] != 1 {
			t.Errorf("deliveries = %v, want two mails once each", d)
		}
		if !strings.Contains(logs.String(), `"stopped"`) {
			t.Errorf("no stop in the log:\n%s", logs.String())
		}
	})
}

// A runtime role with DML rights only, started before `aikagi migrate`
// ran, exits 78 naming the migrations and what to run: a restart cannot
// help, and the units do not restart on 78.
func TestRuntimeRoleWithPendingMigrations(t *testing.T) {
	t.Parallel()
	dsn := dbtest.Fresh(t, "postgres")
	owner, err := db.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	ctx := context.Background()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	role := "aikagi_runtime_" + hex.EncodeToString(b)
	for _, stmt := range []string{
		"CREATE ROLE " + role + " LOGIN PASSWORD 'runtime'",
		"REVOKE CREATE ON SCHEMA public FROM PUBLIC",
		"GRANT USAGE ON SCHEMA public TO " + role,
	} {
		if _, err := owner.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	t.Cleanup(func() {
		cleanup, err := db.Open(dsn)
		if err != nil {
			return
		}
		defer cleanup.Close()
		_, _ = cleanup.ExecContext(context.Background(), "DROP OWNED BY "+role)
		_, _ = cleanup.ExecContext(context.Background(), "DROP ROLE "+role)
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(role, "runtime")

	_, err = runCommand(t, u.String(), time.Now, OutboxCommand, "list")
	var cfgErr *config.Error
	if !errors.As(err, &cfgErr) || !strings.Contains(err.Error(), "aikagi migrate") || !strings.Contains(err.Error(), "migration") {
		t.Fatalf("err = %v; want a configuration error (exit 78) naming the pending migrations and aikagi migrate", err)
	}
}
