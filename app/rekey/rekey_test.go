package rekey_test

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/a-h/templ"
	"github.com/uptrace/bun"

	"aikagi/app/config"
	"aikagi/app/intake"
	"aikagi/app/mail"
	"aikagi/app/route"
	"aikagi/app/service"
	"aikagi/app/testkit"
	"aikagi/db"
	"aikagi/db/dbtest"
)

const (
	oldKey = "1111111111111111111111111111111111111111111111111111111111111111"
	newKey = "2222222222222222222222222222222222222222222222222222222222222222"
)

func servicesWith(t *testing.T, dsn string, clock *testkit.Clock, env map[string]string) (*service.Services, *mail.DevMailbox) {
	t.Helper()
	base := map[string]string{"BASE_URL": "https://reset.example.test", "MAIL_FROM": "Shop <support@example.test>"}
	for k, v := range env {
		base[k] = v
	}
	cfg, err := config.Load(func(k string) string { return base[k] }, func() []byte { t.Fatal("random key"); return nil })
	if err != nil {
		t.Fatal(err)
	}
	box := mail.NewDevMailbox()
	svc := service.New(cfg, dbtest.OpenDSN(t, dsn), slog.New(slog.NewTextHandler(io.Discard, nil)), clock.Now, box)
	svc.Outbox.Sleep = clock.Sleep
	svc.Intake.Delay = 0
	return svc, box
}

// A rotation as documented, on two instances: what the old key sealed (a
// queued mail, a recorded request, a member's TOTP secret) is sealed again
// under the new key by the instances' passes, and after the old key is
// dropped every one of them still opens: the mail goes out, the request is
// matched, the member's second factor is read.
func TestRotationLeavesNothingUnderTheOldKey(t *testing.T) {
	t.Parallel()
	dbtest.ForEachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		clock := testkit.NewClock(time.Date(2026, 12, 8, 9, 0, 0, 0, time.UTC))
		dsn := dbtest.Fresh(t, dialect)
		before, _ := servicesWith(t, dsn, clock, map[string]string{"SECRET_KEY": oldKey})

		acct := &db.Account{LoginID: "taro-01", Email: "taro@example.jp", StoreName: "山田商店", Locale: "ja", PasswordHash: "x"}
		if err := db.CreateAccount(ctx, before.DB, acct, clock.Now()); err != nil {
			t.Fatal(err)
		}
		err := before.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			return before.Outbox.Queue(ctx, tx, mail.Outgoing{Kind: mail.KindPasswordChanged, AccountID: acct.ID, To: acct.Email,
				Subject: "件名", Text: "本文", HTML: templ.Raw("<p>本文</p>")})
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := before.Intake.Record(ctx, route.ResetJourney, intake.Values{LoginID: acct.LoginID, Email: acct.Email}, db.Actor{IP: "192.0.2.1"}, "ja"); err != nil {
			t.Fatal(err)
		}
		member := &db.Staff{Email: "desk@example.test", Role: db.RoleSupport, PasswordHash: "x"}
		if err := db.CreateStaff(ctx, before.DB, member, clock.Now()); err != nil {
			t.Fatal(err)
		}
		totpSeal := "staff-totp:" + itoa(member.ID)
		if _, err := before.DB.NewUpdate().Table("staff").Set("totp_sealed = ?", before.Sealer.Seal(totpSeal, []byte("JBSWY3DPEHPK3PXP"))).
			Where("id = ?", member.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}

		// Both instances restarted with the new key, the old one kept.
		rotating := map[string]string{"SECRET_KEY": newKey, "SECRET_KEYS_OLD": oldKey}
		one, _ := servicesWith(t, dsn, clock, rotating)
		two, _ := servicesWith(t, dsn, clock, rotating)
		done := make(chan [2]int, 2)
		for _, svc := range []*service.Services{one, two} {
			go func() {
				resealed, left := svc.Rekey.Pass(ctx)
				done <- [2]int{resealed, left}
			}()
		}
		total := 0
		for range 2 {
			r := <-done
			if r[1] != 0 {
				t.Errorf("a pass left %d payloads under the old key", r[1])
			}
			total += r[0]
		}
		if total != 3 {
			t.Errorf("the passes re-sealed %d payloads, want 3 (the mail, the request, the TOTP secret) once each", total)
		}
		if resealed, left := one.Rekey.Pass(ctx); resealed != 0 || left != 0 {
			t.Errorf("a pass after: %d re-sealed, %d left; want nothing", resealed, left)
		}

		// The old key dropped.
		after, box := servicesWith(t, dsn, clock, map[string]string{"SECRET_KEY": newKey})
		var sealed []byte
		if err := after.DB.NewSelect().Table("staff").Column("totp_sealed").Where("id = ?", member.ID).Scan(ctx, &sealed); err != nil {
			t.Fatal(err)
		}
		if got, err := after.Sealer.Open(totpSeal, sealed); err != nil || string(got) != "JBSWY3DPEHPK3PXP" {
			t.Errorf("the TOTP secret under the new key alone: %q, %v", got, err)
		}
		if n, err := after.Intake.ProcessDue(ctx); err != nil || n != 1 {
			t.Errorf("the recorded request: matched %d, %v; want 1", n, err)
		}
		if sent, err := after.Outbox.DeliverDue(ctx); err != nil || sent != 2 {
			t.Errorf("DeliverDue = %d, %v; want the queued notice and the matched request's link", sent, err)
		}
		if n := len(box.Messages()); n != 2 {
			t.Errorf("%d mails delivered, want 2", n)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
