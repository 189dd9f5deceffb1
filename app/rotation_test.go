package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"aikagi/app/config"
	"aikagi/app/intake"
	"aikagi/app/mail"
	"aikagi/db"
	"aikagi/db/dbtest"
)

const (
	oldSecretHex = testSecretHex
	newSecretHex = "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f"
)

// Rotating SECRET_KEY: an instance with the new key and the old one in
// SECRET_KEYS_OLD takes over what an instance with the old key signed and
// sealed — a form on its confirmation page, a recorded request, a queued
// mail — and seals what it writes with the new key.
func TestSecretKeyRotation(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect string) {
		dsn := dbtest.Fresh(t, dialect)
		before := newTestAppOn(t, dsn, nil)
		after := newTestAppOn(t, dsn, map[string]string{"SECRET_KEY": newSecretHex, "SECRET_KEYS_OLD": oldSecretHex})
		newOnly := newTestAppOn(t, dsn, map[string]string{"SECRET_KEY": newSecretHex})
		newAccount(t, before, "rot01", "rot01@example.jp", "ja")
		newAccount(t, before, "rot02", "rot02@example.jp", "ja")
		ctx := context.Background()

		// A form confirmed before the rotation is sent after it.
		state := confirmState(t, before, "rot01", "rot01@example.jp")
		if res := postFormOnly(t, after, "/password-resetting/send", url.Values{"state": {state}}); res.Status != http.StatusOK {
			t.Fatalf("old form on the rotated instance: status %d", res.Status)
		}
		refusals := captureLog(newOnly)
		if res := postFormOnly(t, newOnly, "/password-resetting/send", url.Values{"state": {state}}); res.Status != http.StatusBadRequest {
			t.Errorf("old form on an instance without the old key: status %d, want 400", res.Status)
		}
		if !strings.Contains(refusals.String(), "check that SECRET_KEY") {
			t.Errorf("a refused form leaves no hint in the log:\n%s", refusals)
		}
		// A request recorded and a mail queued under the old key.
		recordReset(t, before, "rot02", "rot02@example.jp", "192.0.2.20")
		if _, err := before.intake.ProcessDue(ctx); err != nil {
			t.Fatal(err)
		}
		recordReset(t, before, "rot02", "rot02@example.jp", "192.0.2.20")

		// An instance without the old key leaves both for one that has it,
		// and says which settings to check.
		logs := captureLog(newOnly)
		if _, err := newOnly.intake.ProcessDue(ctx); err != nil {
			t.Fatal(err)
		}
		if sent, err := newOnly.outbox.DeliverDue(ctx); err != nil || sent != 0 {
			t.Fatalf("DeliverDue without the old key = %d, %v", sent, err)
		}
		if !strings.Contains(logs.String(), "SECRET_KEYS_OLD") {
			t.Errorf("the log does not name the settings to check:\n%s", logs)
		}
		var dead int
		if dead = countWhere(t, newOnly, "outbox", "status", db.OutboxDead); dead != 0 {
			t.Fatalf("%d mails declared dead by an instance that lacks their key", dead)
		}

		advanceClock(after, mail.Lease+intake.KeyRetry+mail.RetryDelay(mail.MaxAttempts))
		processIntake(t, after)
		if n := countRows(t, after.db, "intake_requests"); n != 0 {
			t.Errorf("%d requests left for the rotated instance", n)
		}
		if _, err := after.outbox.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		if got := countWhere(t, after, "outbox", "status", db.OutboxSent); got != 3 {
			t.Errorf("%d mails sent by the rotated instance, want 3 (two requests and the form)", got)
		}
		// What it wrote is sealed with the new key alone.
		recordReset(t, after, "rot01", "rot01@example.jp", "192.0.2.21")
		setClock(newOnly, after.now())
		processIntake(t, newOnly)
		if n := countRows(t, newOnly.db, "intake_requests"); n != 0 {
			t.Errorf("a request recorded after the rotation is not readable with the new key alone")
		}
	})
}

func TestSecretKeysOldSetting(t *testing.T) {
	env := testEnv()
	env["SECRET_KEYS_OLD"] = newSecretHex + ", " + oldSecretHex
	cfg, err := config.Load(getenvFrom(env), noRandomKey(t))
	if err != nil || len(cfg.SecretKeysOld) != 2 {
		t.Fatalf("two old keys: %d keys, %v", len(cfg.SecretKeysOld), err)
	}
	for _, bad := range []string{"not-hex", "abcd"} {
		env["SECRET_KEYS_OLD"] = bad
		if _, err := config.Load(getenvFrom(env), noRandomKey(t)); err == nil || !strings.Contains(err.Error(), "SECRET_KEYS_OLD") {
			t.Errorf("SECRET_KEYS_OLD=%q: %v, want an error naming the setting", bad, err)
		}
	}
}
