package cli

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"aikagi/app/config"
	"aikagi/app/mail"
	"aikagi/app/recovery"
	"aikagi/app/service"
	"aikagi/app/testkit"
	"aikagi/db"
	"aikagi/db/dbtest"
)

// testSecretHex is a fixed SECRET_KEY (32 bytes): the commands and the
// stand-in server below must share it to open each other's mail.
const testSecretHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

// testStart is the tests' clock: 2026-11-25 10:00 in Japan.
var testStart = time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)

// testEnv is the environment of a command run against the database at dsn,
// with the settings a server would have.
func testEnv(dsn string) map[string]string {
	return map[string]string{
		"DATABASE_URL": dsn,
		"SECRET_KEY":   testSecretHex,
		"BASE_URL":     "https://reset.example.test",
		"MAIL_FROM":    "Shop Support <support@example.test>",
		"SITE_NAME":    "テスト加盟店管理サイト",
		// Measuring the failed-login floor only slows a test down.
		"LOGIN_FAILURE_MIN_DURATION": "0s",
		"DEMO_ADDR":                  "off",
	}
}

// getenvFrom turns a map into a getenv function.
func getenvFrom(env map[string]string) func(string) string {
	return func(name string) string { return env[name] }
}

// forEachDialect runs f once per database dialect.
func forEachDialect(t *testing.T, f func(t *testing.T, dialect string)) {
	for _, d := range dbtest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			f(t, d)
		})
	}
}

// runCommand runs an operator command against the database at dsn with the
// test settings, on the clock now (nil: real time), and returns what it
// printed.
func runCommand(t *testing.T, dsn string, now func() time.Time, cmd func(context.Context, Env, []string) error, args ...string) (string, error) {
	t.Helper()
	return runWith(t, testEnv(dsn), now, "", cmd, args...)
}

// runWith runs cmd with exactly the environment env and stdin as input.
func runWith(t *testing.T, env map[string]string, now func() time.Time, stdin string, cmd func(context.Context, Env, []string) error, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := cmd(context.Background(), Env{Getenv: getenvFrom(env), Stdin: strings.NewReader(stdin), Stdout: &stdout, Stderr: &stderr, Now: now}, args)
	return stdout.String(), err
}

// lineWith returns the line of out that contains s.
func lineWith(t *testing.T, out, s string) string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, s) {
			return line
		}
	}
	t.Fatalf("no line with %q in:\n%s", s, out)
	return ""
}

// cliDB is a fresh database for the account commands of one test.
type cliDB struct {
	dsn string
}

func newCLIDB(t *testing.T, dialect string) cliDB {
	t.Helper()
	return cliDB{dsn: dbtest.Fresh(t, dialect)}
}

// run runs "account args…" with only DATABASE_URL and SECRET_KEY set, stdin
// as input, and returns what it printed and its error.
func (c cliDB) run(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	env := map[string]string{"DATABASE_URL": c.dsn, "SECRET_KEY": testSecretHex}
	return runWith(t, env, nil, stdin, AccountCommand, args...)
}

// loginIDs lists the login IDs that "account list" shows.
func (c cliDB) loginIDs(t *testing.T) []string {
	t.Helper()
	out, err := c.run(t, "", "list")
	if err != nil {
		t.Fatalf("account list: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !strings.HasPrefix(lines[0], "ID") {
		t.Fatalf("account list has no header:\n%s", out)
	}
	var ids []string
	for _, line := range lines[1:] {
		if f := strings.Fields(line); len(f) > 1 {
			ids = append(ids, f[1])
		}
	}
	return ids
}

// open opens the database the commands wrote.
func (c cliDB) open(t *testing.T) *bun.DB {
	t.Helper()
	return dbtest.OpenDSN(t, c.dsn)
}

// newAccount stores an account with a hash no password matches.
func newAccount(t testing.TB, bdb bun.IDB, loginID, email, locale string) *db.Account {
	t.Helper()
	acct := &db.Account{
		LoginID: loginID, Email: email, StoreName: "テスト商店 " + loginID, Locale: locale,
		PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
	}
	if err := db.CreateAccount(context.Background(), bdb, acct, testStart); err != nil {
		t.Fatalf("create account %s: %v", loginID, err)
	}
	return acct
}

// countRows counts the rows of table.
func countRows(t testing.TB, bdb bun.IDB, table string) int {
	t.Helper()
	n, err := bdb.NewSelect().Table(table).Count(context.Background())
	if err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// countWhere counts the rows of table with column = value.
func countWhere(t testing.TB, bdb bun.IDB, table, column string, value any) int {
	t.Helper()
	n, err := bdb.NewSelect().Table(table).Where("? = ?", bun.Ident(column), value).Count(context.Background())
	if err != nil {
		t.Fatalf("count %s.%s: %v", table, column, err)
	}
	return n
}

// rowCounts counts the rows of every table a command may write.
func rowCounts(t testing.TB, bdb bun.IDB) map[string]int {
	t.Helper()
	counts := map[string]int{}
	for _, table := range []string{"accounts", "reset_tokens", "outbox", "audit_events"} {
		counts[table] = countRows(t, bdb, table)
	}
	return counts
}

// outboxRow reads one outbox row.
func outboxRow(t testing.TB, bdb bun.IDB, id string) db.OutboxMail {
	t.Helper()
	row, err := db.GetOutboxMail(context.Background(), bdb, id)
	if err != nil || row == nil {
		t.Fatalf("outbox row %s: %v, %v", id, row, err)
	}
	return *row
}

// The shared test kit (app/testkit).
type (
	fakeClock  = testkit.Clock
	syncBuffer = testkit.SyncBuffer
)

var (
	newFakeClock = testkit.NewClock
	waitFor      = testkit.WaitFor
)

// server stands in for a running "aikagi serve" on the same database as
// the commands: its outbox delivers what they queue through its sender, and
// its recovery service queues mail as the server's own requests would, on
// the test clock.
type server struct {
	db       *bun.DB
	outbox   *mail.Outbox
	recovery *recovery.Service
}

func newServer(t *testing.T, dsn string, sender mail.Sender, clock *fakeClock) *server {
	t.Helper()
	cfg, err := config.Load(getenvFrom(testEnv(dsn)), func() []byte {
		t.Error("config.Load generated a random key although SECRET_KEY was set")
		return make([]byte, 32)
	})
	if err != nil {
		t.Fatalf("config.Load: %v", err)
	}
	bdb := dbtest.OpenDSN(t, dsn)
	svc := service.New(cfg, bdb, slog.New(slog.NewTextHandler(io.Discard, nil)), clock.Now, sender)
	svc.Outbox.Sleep = clock.Sleep
	return &server{db: bdb, outbox: svc.Outbox, recovery: svc.Recovery}
}

// deliver sends what is due and returns how many mails went out.
func (s *server) deliver(t *testing.T) int {
	t.Helper()
	sent, err := s.outbox.DeliverDue(context.Background())
	if err != nil {
		t.Fatalf("deliver: %v", err)
	}
	return sent
}

// waitLong bounds a wait for a state that should come soon: generous, since
// it only decides when a state that never comes fails the test.
const waitLong = 2 * time.Minute
