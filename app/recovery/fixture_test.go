package recovery_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"aikagi/app/config"
	"aikagi/app/intake"
	"aikagi/app/mail"
	"aikagi/app/route"
	"aikagi/app/secret"
	"aikagi/app/service"
	"aikagi/app/testkit"
	"aikagi/db"
	"aikagi/db/dbtest"
)

// testSecretHex is the SECRET_KEY of every test service.
const testSecretHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

// baseURL is BASE_URL: every link in a mail starts with it.
const baseURL = "https://reset.example.test"

// testStart is when every test's clock starts: Wednesday 2026-11-25 at
// 10:00 in Japan, a whole second, as the database stores times.
var testStart = time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)

// client is the browser every test request comes from.
var client = db.Actor{IP: "192.0.2.10", UserAgent: "test browser"}

// testEnv is the environment every test service starts from.
func testEnv() map[string]string {
	return map[string]string{
		"SECRET_KEY": testSecretHex,
		"BASE_URL":   baseURL,
		"MAIL_FROM":  "Shop Support <support@example.test>",
		"SITE_NAME":  "テスト管理サイト",
		"DEMO_ADDR":  "off",
	}
}

// fixture is one test's services, built by the composition root on a
// fresh database, with a clock that moves only when the test says and the
// development mailbox as the sender.
type fixture struct {
	*service.Services
	clock *testkit.Clock
	box   *mailbox
	seen  int // messages of box already returned by deliver
}

// mailbox is the development mailbox, which a test can make refuse every
// mail, as a provider refuses a mailbox that does not exist.
type mailbox struct {
	*mail.DevMailbox
	bouncing atomic.Bool
}

func (b *mailbox) Send(ctx context.Context, id string, m mail.Message) (string, error) {
	if b.bouncing.Load() {
		return "", &mail.PermanentError{Err: errors.New("550 5.1.1 mailbox unavailable"), Content: true}
	}
	return b.DevMailbox.Send(ctx, id, m)
}

// newFixture builds the services on a fresh database of dialect, with
// overrides added to testEnv (an empty value removes the variable).
func newFixture(t *testing.T, dialect string, overrides map[string]string) *fixture {
	t.Helper()
	return newFixtureOn(t, dbtest.Open(t, dialect), overrides)
}

// newFixtureOn builds the services on bdb: two fixtures on one database
// play two instances, or one instance before and after a change of
// settings.
func newFixtureOn(t *testing.T, bdb *bun.DB, overrides map[string]string) *fixture {
	t.Helper()
	env := testEnv()
	for k, v := range overrides {
		if v == "" {
			delete(env, k)
			continue
		}
		env[k] = v
	}
	cfg, err := config.Load(func(name string) string { return env[name] }, func() []byte {
		t.Error("config.Load generated a random key although SECRET_KEY was set")
		return make([]byte, 32)
	})
	if err != nil {
		t.Fatalf("config.Load: %v", err)
	}
	f := &fixture{clock: testkit.NewClock(testStart), box: &mailbox{DevMailbox: mail.NewDevMailbox()}}
	f.Services = service.New(cfg, bdb, slog.New(slog.NewTextHandler(io.Discard, nil)), f.clock.Now, f.box)
	return f
}

// newAccount stores an active account with a placeholder password hash.
func (f *fixture) newAccount(t *testing.T, loginID, email, locale string) *db.Account {
	t.Helper()
	acct := &db.Account{
		LoginID:      loginID,
		Email:        email,
		StoreName:    "テスト商店 " + loginID,
		Locale:       locale,
		PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
	}
	if err := db.CreateAccount(context.Background(), f.DB, acct, f.clock.Now()); err != nil {
		t.Fatalf("create account %s: %v", loginID, err)
	}
	return acct
}

// disable disables acct, as aikagi account disable does.
func (f *fixture) disable(t *testing.T, acct *db.Account) {
	t.Helper()
	now := f.clock.Now()
	if err := db.SetAccountDisabled(context.Background(), f.DB, acct.ID, &now, now); err != nil {
		t.Fatalf("disable %s: %v", acct.LoginID, err)
	}
}

// request is a recorded step 3 with loginID and addr, confirmed now by
// client, as the intake worker hands it to a matcher.
func (f *fixture) request(loginID, addr string) intake.Request {
	return intake.Request{Values: intake.Values{LoginID: loginID, Email: addr}, At: f.clock.Now(), Who: client, Lang: "ja"}
}

// matchReset matches a reset request in a transaction of its own, as the
// intake worker does.
func (f *fixture) matchReset(t *testing.T, loginID, addr string) intake.Outcome {
	t.Helper()
	return f.match(t, f.Recovery.MatchReset, f.request(loginID, addr))
}

// matchReminder matches a login-ID reminder request for addr.
func (f *fixture) matchReminder(t *testing.T, addr string) intake.Outcome {
	t.Helper()
	return f.match(t, f.Recovery.MatchReminder, f.request("", addr))
}

func (f *fixture) match(t *testing.T, m intake.Matcher, r intake.Request) intake.Outcome {
	t.Helper()
	var outcome intake.Outcome
	err := f.DB.RunInTx(context.Background(), nil, func(ctx context.Context, tx bun.Tx) error {
		var err error
		outcome, err = m(ctx, tx, r)
		return err
	})
	if err != nil {
		t.Fatalf("match %+v: %v", r.Values, err)
	}
	return outcome
}

// issueLink queues a reset link for acct, valid for ttl, and returns its
// token.
func (f *fixture) issueLink(t *testing.T, acct *db.Account, ttl time.Duration) string {
	t.Helper()
	var token string
	err := f.DB.RunInTx(context.Background(), nil, func(ctx context.Context, tx bun.Tx) error {
		var err error
		token, _, err = f.Recovery.QueueResetLink(ctx, tx, acct, ttl, client.IP)
		return err
	})
	if err != nil {
		t.Fatalf("queue reset link for %s: %v", acct.LoginID, err)
	}
	return token
}

// deliver hands the due mail to the mailbox and returns what arrived
// since the last call, oldest first.
func (f *fixture) deliver(t *testing.T) []mail.DevMessage {
	t.Helper()
	if _, err := f.Outbox.DeliverDue(context.Background()); err != nil {
		t.Fatalf("deliver: %v", err)
	}
	all := f.box.Messages() // newest first
	var arrived []mail.DevMessage
	for i := len(all) - f.seen - 1; i >= 0; i-- {
		arrived = append(arrived, all[i])
	}
	f.seen = len(all)
	return arrived
}

// deliverOne delivers and wants exactly one mail.
func (f *fixture) deliverOne(t *testing.T) mail.DevMessage {
	t.Helper()
	msgs := f.deliver(t)
	if len(msgs) != 1 {
		t.Fatalf("%d mails delivered, want 1: %v", len(msgs), subjects(msgs))
	}
	return msgs[0]
}

// wantNoMail delivers and wants nothing.
func (f *fixture) wantNoMail(t *testing.T) {
	t.Helper()
	if msgs := f.deliver(t); len(msgs) != 0 {
		t.Errorf("%d mails delivered, want none: %v", len(msgs), subjects(msgs))
	}
}

func subjects(msgs []mail.DevMessage) []string {
	var s []string
	for _, m := range msgs {
		s = append(s, m.To+": "+m.Subject)
	}
	return s
}

// events returns the audit events of kind, oldest first.
func (f *fixture) events(t *testing.T, kind db.AuditKind) []db.AuditEvent {
	t.Helper()
	var events []db.AuditEvent
	if err := f.DB.NewSelect().Model(&events).Where("kind = ?", kind).OrderExpr("id").Scan(context.Background()); err != nil {
		t.Fatalf("audit events %s: %v", kind, err)
	}
	return events
}

// lastEvent is the newest audit event.
func (f *fixture) lastEvent(t *testing.T) db.AuditEvent {
	t.Helper()
	var e db.AuditEvent
	if err := f.DB.NewSelect().Model(&e).OrderExpr("id DESC").Limit(1).Scan(context.Background()); err != nil {
		t.Fatalf("last audit event: %v", err)
	}
	return e
}

// count counts the rows of table.
func (f *fixture) count(t *testing.T, table string) int {
	t.Helper()
	n, err := f.DB.NewSelect().Table(table).Count(context.Background())
	if err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// link is the stored reset link of token, or nil.
func (f *fixture) link(t *testing.T, token string) *db.ResetToken {
	t.Helper()
	tok, err := db.LookupResetToken(context.Background(), f.DB, secret.HashToken(token))
	if err != nil {
		t.Fatalf("look up link: %v", err)
	}
	return tok
}

// linkState is what token's link is good for now.
func (f *fixture) linkState(t *testing.T, token string) db.TokenState {
	t.Helper()
	return f.link(t, token).State(f.clock.Now())
}

// account reads acct back.
func (f *fixture) account(t *testing.T, id int64) *db.Account {
	t.Helper()
	acct, err := db.GetAccount(context.Background(), f.DB, id)
	if err != nil || acct == nil {
		t.Fatalf("get account %d: %v, %v", id, acct, err)
	}
	return acct
}

// tokenIn is the token of the first link to path in msg's plain text.
func tokenIn(t *testing.T, msg mail.DevMessage, path string) string {
	t.Helper()
	prefix := baseURL + path + "?"
	for line := range strings.Lines(msg.Text) {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		u, err := url.Parse(line)
		if err != nil {
			t.Fatalf("link %q: %v", line, err)
		}
		if tok := u.Query().Get("token"); tok != "" {
			return tok
		}
	}
	t.Fatalf("no link to %s in the mail to %s:\n%s", prefix, msg.To, msg.Text)
	return ""
}

// resetToken is the reset link's token in msg.
func resetToken(t *testing.T, msg mail.DevMessage) string {
	t.Helper()
	return tokenIn(t, msg, route.Reset)
}

// reportKey is the 「心当たりがない場合」 link's key in msg.
func reportKey(t *testing.T, msg mail.DevMessage) string {
	t.Helper()
	return tokenIn(t, msg, route.Report)
}

// newStaff stores a member of the support desk and returns them as the
// console names them when they act, from their own browser.
func newStaff(t *testing.T, f *fixture, addr string) db.Actor {
	t.Helper()
	member := &db.Staff{Email: addr, Role: db.RoleSupport, PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"}
	if err := db.CreateStaff(context.Background(), f.DB, member, f.clock.Now()); err != nil {
		t.Fatalf("create staff %s: %v", addr, err)
	}
	return db.Actor{StaffID: member.ID, Email: addr, IP: "198.51.100.20", UserAgent: "desk browser"}
}
