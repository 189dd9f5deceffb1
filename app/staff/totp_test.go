package staff

import (
	"bytes"
	"context"
	"testing"

	"github.com/pquerna/otp/totp"

	"aikagi/app/secret"
	"aikagi/db"
)

// A mistyped first code, or a reload of the page, offers the same secret
// again: the one already in the member's authenticator app, whose next
// code then enrols.
func TestEnrolmentKeepsItsSecret(t *testing.T) {
	forEachDialect(t, func(t *testing.T, fx *fixture) {
		ctx := context.Background()
		if _, err := fx.svc.Create(ctx, "sato@example.jp", db.RoleSupport, goodPassword, "test"); err != nil {
			t.Fatal(err)
		}
		pending, member := secondStep(t, fx)
		first, err := fx.svc.BeginEnrolment(ctx, member)
		if err != nil {
			t.Fatal(err)
		}
		if codes, _, err := fx.svc.ConfirmEnrolment(ctx, pending, "000000", client); err != nil || codes != nil {
			t.Fatalf("a wrong code enrolled: %v %v", codes, err)
		}
		// The page again, as after the refusal or a reload: the member as
		// the session reads it.
		_, member, err = fx.svc.Session(ctx, secondSessionID(t, fx))
		if err != nil {
			t.Fatal(err)
		}
		again, err := fx.svc.BeginEnrolment(ctx, member)
		if err != nil {
			t.Fatal(err)
		}
		if again.Secret != first.Secret || again.URL != first.URL {
			t.Fatalf("the secret changed after a wrong code: %q, then %q", first.Secret, again.Secret)
		}
		code, _ := totp.GenerateCode(first.Secret, fx.clock.Now())
		if codes, id, err := fx.svc.ConfirmEnrolment(ctx, pending, code, client); err != nil || len(codes) != RecoveryCodes || id == "" {
			t.Fatalf("the first secret's code: %d codes, %q, %v", len(codes), id, err)
		}
	})
}

// secondSessionID logs sato in with the password again and returns the
// new pending session's cookie value.
func secondSessionID(t *testing.T, fx *fixture) string {
	t.Helper()
	at, err := fx.svc.CheckPassword(context.Background(), "sato@example.jp", goodPassword, client)
	if err != nil || at.Outcome != Passed {
		t.Fatalf("password: %+v %v", at, err)
	}
	return at.SessionID
}

// storedCodes returns the recovery code rows, oldest first.
func storedCodes(t *testing.T, fx *fixture) []db.StaffRecoveryCode {
	t.Helper()
	var stored []db.StaffRecoveryCode
	if err := fx.db.NewSelect().Model(&stored).OrderExpr("id").Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	return stored
}

// A copy of the database does not give the recovery codes away: what is
// stored is not the SHA-256 of a code, which one pass over the 50-bit code
// space would invert for every member at once, but argon2id under a salt
// of the member's, so each code costs that pass per member at 19 MiB a
// guess.
func TestRecoveryCodesStoredSalted(t *testing.T) {
	forEachDialect(t, func(t *testing.T, fx *fixture) {
		_, _, codes := enrolled(t, fx)
		stored := storedCodes(t, fx)
		if len(stored) != RecoveryCodes {
			t.Fatalf("%d codes stored", len(stored))
		}
		salt := stored[0].Salt
		if len(salt) != db.RecoverySaltLen {
			t.Fatalf("salt of %d bytes", len(salt))
		}
		for _, s := range stored {
			if !bytes.Equal(s.Salt, salt) {
				t.Error("one enrolment's codes have different salts")
			}
			for _, c := range codes {
				digest := secret.HashToken(normalizeRecoveryCode(c))
				if bytes.Equal(s.CodeHash, digest) || bytes.Equal(s.CodeHash, secret.HashToken(c)) {
					t.Fatal("a recovery code is stored as its SHA-256")
				}
			}
		}
		// Each code is found only through argon2id under the salt, and the
		// same code under another salt (another member's) looks different.
		for _, c := range codes {
			digest := secret.HashToken(normalizeRecoveryCode(c))
			want := db.RecoveryCodeHash(digest, salt)
			found := 0
			for _, s := range stored {
				if bytes.Equal(s.CodeHash, want) {
					found++
				}
			}
			if found != 1 {
				t.Errorf("code %s matches %d stored hashes", c, found)
			}
			if other := db.RecoveryCodeHash(digest, make([]byte, db.RecoverySaltLen)); bytes.Equal(other, want) {
				t.Error("the salt makes no difference")
			}
		}
	})
}

// Codes stored before salts (plain SHA-256) are wrapped when the database
// is migrated: the stored value no longer is the code's SHA-256, and the
// codes the member holds still sign in, once each.
func TestOldRecoveryCodesWrapped(t *testing.T) {
	forEachDialect(t, func(t *testing.T, fx *fixture) {
		ctx := context.Background()
		_, _, codes := enrolled(t, fx)
		for i, s := range storedCodes(t, fx) {
			if _, err := fx.db.NewUpdate().Model((*db.StaffRecoveryCode)(nil)).
				Set("code_hash = ?", secret.HashToken(normalizeRecoveryCode(codes[i]))).Set("salt = NULL").
				Where("id = ?", s.ID).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.Migrate(ctx, fx.db); err != nil {
			t.Fatal(err)
		}
		for i, s := range storedCodes(t, fx) {
			if len(s.Salt) != db.RecoverySaltLen || bytes.Equal(s.CodeHash, secret.HashToken(normalizeRecoveryCode(codes[i]))) {
				t.Fatalf("code %d not wrapped: salt %x", i, s.Salt)
			}
		}
		sess, member := secondStep(t, fx)
		if at, err := fx.svc.CheckCode(ctx, sess, member, codes[7], client); err != nil || at.Outcome != Passed {
			t.Fatalf("an old code after the migration: %+v %v", at, err)
		}
		sess, member = secondStep(t, fx)
		if at, _ := fx.svc.CheckCode(ctx, sess, member, codes[7], client); at.Outcome != Failed {
			t.Errorf("an old code was accepted twice: %+v", at)
		}
	})
}
