package staff

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/uptrace/bun"

	"aikagi/app/account"
	"aikagi/app/config"
	"aikagi/app/limit"
	"aikagi/app/metrics"
	"aikagi/app/secret"
	"aikagi/app/testkit"
	"aikagi/db"
	"aikagi/db/dbtest"
)

const goodPassword = "correct horse battery staple"

type fixture struct {
	svc   *Service
	db    *bun.DB
	clock *testkit.Clock
}

// newFixture is a Service on a fresh database of dialect, its clock still.
func newFixture(t *testing.T, dialect string) *fixture {
	t.Helper()
	cfg, err := config.Load(func(k string) string {
		return map[string]string{"SECRET_KEY": strings.Repeat("ab", 32), "LOGIN_LOCKOUT_THRESHOLD": "5"}[k]
	}, secret.Random)
	if err != nil {
		t.Fatal(err)
	}
	bdb := dbtest.Open(t, dialect)
	clk := testkit.NewClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	m := metrics.New(bdb, clk.Now, config.Build())
	svc := New(Deps{DB: bdb, Log: log, Now: clk.Now, Hasher: account.NewHasher(nil), Sealer: secret.NewSealer(cfg),
		Limits: limit.New(bdb, log, clk.Now, m, cfg.Limits), Config: cfg})
	return &fixture{svc: svc, db: bdb, clock: clk}
}

func forEachDialect(t *testing.T, f func(t *testing.T, fx *fixture)) {
	for _, d := range dbtest.Dialects {
		t.Run(d, func(t *testing.T) { f(t, newFixture(t, d)) })
	}
}

var client = db.Actor{IP: "192.0.2.7", UserAgent: "test"}

// auditKinds lists the audit events of a staff member, oldest first.
func auditKinds(t *testing.T, bdb *bun.DB, staffID int64) []db.AuditKind {
	t.Helper()
	var events []db.AuditEvent
	if err := bdb.NewSelect().Model(&events).Where("staff_id = ?", staffID).OrderExpr("id").Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	var kinds []db.AuditKind
	for _, e := range events {
		kinds = append(kinds, e.Kind)
	}
	return kinds
}

func TestCreate(t *testing.T) {
	forEachDialect(t, func(t *testing.T, fx *fixture) {
		ctx := context.Background()
		member, err := fx.svc.Create(ctx, " Ｓａｔｏ@Example.JP ", db.RoleAdmin, goodPassword, "test")
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		if member.Email != "sato@example.jp" || member.Role != db.RoleAdmin || !strings.HasPrefix(member.PasswordHash, "$argon2id$") {
			t.Errorf("created %+v", member)
		}
		if got := auditKinds(t, fx.db, member.ID); len(got) != 1 || got[0] != db.AuditStaffCreated {
			t.Errorf("audit = %v, want [staff_created]", got)
		}
		var policy *PolicyError
		for _, tc := range []struct {
			name, email string
			role        db.StaffRole
			password    string
			check       func(error) bool
		}{
			{"taken", "SATO@example.jp", db.RoleSupport, goodPassword, func(err error) bool { return errors.Is(err, db.ErrStaffExists) }},
			{"short password", "kato@example.jp", db.RoleSupport, "short", func(err error) bool { return errors.As(err, &policy) }},
			{"common password", "kato@example.jp", db.RoleSupport, "password1234", func(err error) bool { return errors.As(err, &policy) }},
			{"password has email", "katoyoshio@example.jp", db.RoleSupport, "katoyoshio-is-here-now", func(err error) bool { return errors.As(err, &policy) }},
			{"bad role", "kato@example.jp", "root", goodPassword, func(err error) bool { return err != nil }},
			{"bad email", "kato", db.RoleSupport, goodPassword, func(err error) bool { return errors.Is(err, ErrBadEmail) }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if _, err := fx.svc.Create(ctx, tc.email, tc.role, tc.password, "test"); !tc.check(err) {
					t.Errorf("err = %v", err)
				}
			})
		}
	})
}

// enrolled creates a member and enrols it, returning the member, its TOTP
// secret and its recovery codes.
func enrolled(t *testing.T, fx *fixture) (*db.Staff, string, []string) {
	t.Helper()
	ctx := context.Background()
	member, err := fx.svc.Create(ctx, "sato@example.jp", db.RoleSupport, goodPassword, "test")
	if err != nil {
		t.Fatal(err)
	}
	at, err := fx.svc.CheckPassword(ctx, "sato@example.jp", goodPassword, client)
	if err != nil || at.Outcome != Passed {
		t.Fatalf("password: %+v %v", at, err)
	}
	pending, _, err := fx.svc.Session(ctx, at.SessionID)
	if err != nil || pending == nil || pending.Stage != db.StagePending {
		t.Fatalf("pending session: %+v %v", pending, err)
	}
	enrol, err := fx.svc.BeginEnrolment(ctx, at.Staff)
	if err != nil {
		t.Fatal(err)
	}
	if len(enrol.QRPNG) == 0 || !strings.HasPrefix(enrol.URL, "otpauth://totp/") {
		t.Errorf("enrolment %q without QR", enrol.URL)
	}
	wrong, id, err := fx.svc.ConfirmEnrolment(ctx, pending, "000000", client)
	if err != nil || wrong != nil || id != "" {
		t.Fatalf("a wrong first code enrolled: %v %q %v", wrong, id, err)
	}
	code, _ := totp.GenerateCode(enrol.Secret, fx.clock.Now())
	codes, id, err := fx.svc.ConfirmEnrolment(ctx, pending, code, client)
	if err != nil || len(codes) != RecoveryCodes || id == "" {
		t.Fatalf("confirm: %d codes, %q, %v", len(codes), id, err)
	}
	if old, _, _ := fx.svc.Session(ctx, at.SessionID); old != nil {
		t.Error("the pending session outlived enrolment")
	}
	if full, _, _ := fx.svc.Session(ctx, id); full == nil || full.Stage != db.StageFull {
		t.Errorf("full session = %+v", full)
	}
	return member, enrol.Secret, codes
}

func TestEnrolment(t *testing.T) {
	forEachDialect(t, func(t *testing.T, fx *fixture) {
		member, _, codes := enrolled(t, fx)
		want := []db.AuditKind{db.AuditStaffCreated, db.AuditStaffCodeFailed, db.AuditStaffEnrolled, db.AuditStaffLoginSucceeded}
		if got := auditKinds(t, fx.db, member.ID); !equal(got, want) {
			t.Errorf("audit = %v, want %v", got, want)
		}
		var stored []db.StaffRecoveryCode
		if err := fx.db.NewSelect().Model(&stored).Scan(context.Background()); err != nil {
			t.Fatal(err)
		}
		for _, s := range stored {
			for _, c := range codes {
				if strings.Contains(string(s.CodeHash), normalizeRecoveryCode(c)) {
					t.Fatal("a recovery code is stored in clear")
				}
			}
		}
		if _, err := fx.svc.BeginEnrolment(context.Background(), member); err == nil {
			t.Error("an enrolled member was offered a new secret")
		}
	})
}

// secondStep logs in with the password and returns the pending session.
func secondStep(t *testing.T, fx *fixture) (*db.StaffSession, *db.Staff) {
	t.Helper()
	at, err := fx.svc.CheckPassword(context.Background(), "SATO@example.jp", goodPassword, client)
	if err != nil || at.Outcome != Passed {
		t.Fatalf("password: %+v %v", at, err)
	}
	sess, member, err := fx.svc.Session(context.Background(), at.SessionID)
	if err != nil || sess == nil {
		t.Fatal(err)
	}
	return sess, member
}

func TestLogin(t *testing.T) {
	forEachDialect(t, func(t *testing.T, fx *fixture) {
		ctx := context.Background()
		_, key, codes := enrolled(t, fx)
		fx.clock.Advance(time.Minute)

		for _, tc := range []struct{ name, email, password string }{
			{"wrong password", "sato@example.jp", "wrong password entirely"},
			{"unknown email", "nobody@example.jp", goodPassword},
		} {
			at, err := fx.svc.CheckPassword(ctx, tc.email, tc.password, client)
			if err != nil || at.Outcome != Failed || at.SessionID != "" {
				t.Errorf("%s: %+v %v", tc.name, at, err)
			}
		}

		sess, member := secondStep(t, fx)
		if at, err := fx.svc.CheckCode(ctx, sess, member, "123456", client); err != nil || at.Outcome != Failed {
			t.Errorf("wrong TOTP: %+v %v", at, err)
		}
		code, _ := totp.GenerateCode(key, fx.clock.Now())
		at, err := fx.svc.CheckCode(ctx, sess, member, code, client)
		if err != nil || at.Outcome != Passed {
			t.Fatalf("TOTP: %+v %v", at, err)
		}
		// The same code again, in the same 30 seconds, is refused.
		sess, member = secondStep(t, fx)
		if at, _ := fx.svc.CheckCode(ctx, sess, member, code, client); at.Outcome != Failed {
			t.Errorf("a TOTP code was accepted twice: %+v", at)
		}
		// A recovery code, typed in full width capitals without the dash, once.
		typed := strings.ToUpper(strings.ReplaceAll(codes[3], "-", " "))
		if at, _ := fx.svc.CheckCode(ctx, sess, member, typed, client); at.Outcome != Passed {
			t.Errorf("recovery code: %+v", at)
		}
		sess, member = secondStep(t, fx)
		if at, _ := fx.svc.CheckCode(ctx, sess, member, codes[3], client); at.Outcome != Failed {
			t.Errorf("a recovery code was accepted twice: %+v", at)
		}
		kinds := auditKinds(t, fx.db, member.ID)
		for _, want := range []db.AuditKind{db.AuditStaffLoginFailed, db.AuditStaffCodeFailed, db.AuditStaffRecoveryUsed, db.AuditStaffLoginSucceeded} {
			if !contains(kinds, want) {
				t.Errorf("no %s in %v", want, kinds)
			}
		}
	})
}

func TestLockout(t *testing.T) {
	forEachDialect(t, func(t *testing.T, fx *fixture) {
		ctx := context.Background()
		_, key, _ := enrolled(t, fx)
		for range 5 { // LOGIN_LOCKOUT_THRESHOLD=5
			if at, _ := fx.svc.CheckPassword(ctx, "sato@example.jp", "not the password at all", client); at.Outcome != Failed {
				t.Fatalf("failure: %+v", at)
			}
		}
		at, err := fx.svc.CheckPassword(ctx, "sato@example.jp", goodPassword, client)
		if err != nil || at.Outcome != Locked || at.SessionID != "" {
			t.Fatalf("over the threshold, the right password: %+v %v", at, err)
		}
		// The pause ends with the window; the next full login clears the count.
		fx.clock.Advance(16 * time.Minute)
		sess, member := secondStep(t, fx)
		code, _ := totp.GenerateCode(key, fx.clock.Now())
		if at, _ := fx.svc.CheckCode(ctx, sess, member, code, client); at.Outcome != Passed {
			t.Errorf("after the window: %+v", at)
		}
		if !contains(auditKinds(t, fx.db, member.ID), db.AuditStaffLoginLocked) {
			t.Error("the lockout was not audited with the member")
		}
	})
}

func TestSessionIdleExpiry(t *testing.T) {
	forEachDialect(t, func(t *testing.T, fx *fixture) {
		ctx := context.Background()
		_, key, _ := enrolled(t, fx)
		fx.clock.Advance(time.Minute)
		sess, member := secondStep(t, fx)
		code, _ := totp.GenerateCode(key, fx.clock.Now())
		at, _ := fx.svc.CheckCode(ctx, sess, member, code, client)
		fx.clock.Advance(29 * time.Minute)
		if s, _, _ := fx.svc.Session(ctx, at.SessionID); s == nil {
			t.Fatal("ended before 30 idle minutes")
		}
		fx.clock.Advance(29 * time.Minute) // active: the expiry moved
		if s, _, _ := fx.svc.Session(ctx, at.SessionID); s == nil {
			t.Fatal("an active session ended")
		}
		fx.clock.Advance(31 * time.Minute)
		if s, _, _ := fx.svc.Session(ctx, at.SessionID); s != nil {
			t.Error("alive after 31 idle minutes")
		}
		secondStep(t, fx) // a login clears expired sessions
		if n, _ := fx.db.NewSelect().Model((*db.StaffSession)(nil)).Where("stage = ?", db.StageFull).Count(ctx); n != 0 {
			t.Errorf("%d expired sessions kept", n)
		}
	})
}

func equal(a, b []db.AuditKind) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func contains(kinds []db.AuditKind, k db.AuditKind) bool {
	for _, x := range kinds {
		if x == k {
			return true
		}
	}
	return false
}
