package cli

import (
	"context"
	"io"
	"log/slog"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/a-h/templ"
	"github.com/uptrace/bun"

	"aikagi/app/config"
	"aikagi/app/mail"
	"aikagi/app/service"
	"aikagi/app/testkit"
	"aikagi/db"
	"aikagi/db/dbtest"
)

// pgTool finds a PostgreSQL client program of the server's version.
func pgTool(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	if len(found) == 0 {
		t.Skipf("%s not found", name)
	}
	sort.Strings(found)
	return found[len(found)-1]
}

// The backup-and-restore runbook of docs/operations.md, step by step: a
// dump of a database with mail waiting, restored into a new database by
// the migration role, the runtime role granted its rights, migrations
// brought up to date, and the instances started with the same SECRET_KEY
// hours later: the waiting notice goes out, the reset mail whose link
// expired meanwhile ends expired and is not sent.
func TestBackupAndRestore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := testkit.NewClock(time.Date(2026, 12, 8, 9, 0, 0, 0, time.UTC))
	cfg, err := config.Load(getenvFrom(map[string]string{"SECRET_KEY": testSecretHex, "BASE_URL": "https://reset.example.test"}), func() []byte { return nil })
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	// The database backed up: an account with a reset mail and a notice waiting.
	source := dbtest.Fresh(t, "postgres")
	before := service.New(cfg, dbtest.OpenDSN(t, source), log, clock.Now, nil)
	acct := &db.Account{LoginID: "taro-01", Email: "taro@example.jp", StoreName: "山田商店", Locale: "ja", PasswordHash: "x"}
	if err := db.CreateAccount(ctx, before.DB, acct, clock.Now()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := before.Recovery.QueueResetLink(ctx, before.DB, acct, 30*time.Minute, ""); err != nil {
		t.Fatal(err)
	}
	if err := before.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		return before.Outbox.Queue(ctx, tx, mail.Outgoing{Kind: mail.KindPasswordChanged, AccountID: acct.ID, To: acct.Email,
			Subject: "パスワードを変更しました", Text: "本文", HTML: templ.Raw("<p>本文</p>")})
	}); err != nil {
		t.Fatal(err)
	}
	dump := filepath.Join(t.TempDir(), "aikagi.dump")
	if out, err := exec.Command(pgTool(t, "pg_dump"), "-Fc", "-f", dump, "--dbname", source).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}

	// Restored into a new database, two hours later.
	target := dbtest.Fresh(t, "postgres")
	if out, err := exec.Command(pgTool(t, "pg_restore"), "--no-owner", "--dbname", target, dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}
	restored, err := db.Open(target)
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	if _, err := db.Migrate(ctx, restored); err != nil {
		t.Fatalf("aikagi migrate on the restored database: %v", err)
	}
	clock.Advance(2 * time.Hour)
	box := mail.NewDevMailbox()
	after := service.New(cfg, restored, log, clock.Now, box)
	after.Outbox.Sleep = clock.Sleep
	if sent, err := after.Outbox.DeliverDue(ctx); err != nil || sent != 1 {
		t.Fatalf("DeliverDue after the restore = %d, %v; want the notice alone", sent, err)
	}
	if msgs := box.Messages(); len(msgs) != 1 || msgs[0].Subject != "パスワードを変更しました" {
		t.Errorf("mail after the restore: %+v; want the notice", msgs)
	}
	expired, err := db.ListOutbox(ctx, restored, db.OutboxFilter{Status: db.OutboxExpired})
	if err != nil || len(expired) != 1 || expired[0].Kind != string(mail.KindReset) {
		t.Errorf("expired mail after the restore: %+v, %v; want the reset mail", expired, err)
	}
}
