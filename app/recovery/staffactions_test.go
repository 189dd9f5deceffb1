package recovery_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"aikagi/app/account"
	"aikagi/app/mail"
	"aikagi/app/recovery"
	"aikagi/db"
	"aikagi/db/dbtest"
)

// deadMail queues what queue queues while every mail bounces, and returns
// the row it left dead.
func (f *fixture) deadMail(t *testing.T, queue func()) db.OutboxMail {
	t.Helper()
	before := f.deadMails(t)
	f.box.bouncing.Store(true)
	defer f.box.bouncing.Store(false)
	queue()
	if msgs := f.deliver(t); len(msgs) != 0 {
		t.Fatalf("%d mails delivered while bouncing", len(msgs))
	}
	var dead []db.OutboxMail
	for _, row := range f.deadMails(t) {
		if _, ok := before[row.ID]; !ok {
			dead = append(dead, row)
		}
	}
	if len(dead) != 1 {
		t.Fatalf("%d mails died, want 1", len(dead))
	}
	return dead[0]
}

// deadMails are the dead rows of the outbox by id.
func (f *fixture) deadMails(t *testing.T) map[string]db.OutboxMail {
	t.Helper()
	rows, err := db.ListOutbox(context.Background(), f.DB, db.OutboxFilter{Status: db.OutboxDead})
	if err != nil {
		t.Fatalf("dead mail: %v", err)
	}
	byID := map[string]db.OutboxMail{}
	for _, row := range rows {
		byID[row.ID] = row
	}
	return byID
}

// TestRequeueMailByStaff: a dead reset mail whose link still works goes
// out again, the very message, audited with the member and their reason.
func TestRequeueMailByStaff(t *testing.T) {
	t.Parallel()
	dbtest.ForEachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		f := newFixture(t, dialect, nil)
		member := newStaff(t, f, "desk@example.test")
		acct := f.newAccount(t, "shop-001", "taro@example.jp", "ja")
		dead := f.deadMail(t, func() { f.matchReset(t, acct.LoginID, acct.Email) })

		f.clock.Advance(5 * time.Minute)
		row, err := f.Recovery.RequeueMailByStaff(ctx, acct.ID, dead.ID, member, "受信設定を確認済み")
		if err != nil {
			t.Fatalf("RequeueMailByStaff: %v", err)
		}
		if row.ID != dead.ID || row.Kind != string(mail.KindReset) {
			t.Errorf("RequeueMailByStaff returned %s %s, want the dead reset mail %s", row.Kind, row.ID, dead.ID)
		}
		msg := f.deliverOne(t)
		if msg.To != acct.Email {
			t.Errorf("mail to %s, want %s", msg.To, acct.Email)
		}
		if got := f.linkState(t, resetToken(t, msg)); got != db.TokenValid {
			t.Errorf("the link sent again: state %v, want valid", got)
		}
		events := f.events(t, db.AuditMailRetried)
		if len(events) != 1 {
			t.Fatalf("%d mail_retried events, want 1", len(events))
		}
		e := events[0]
		if e.AccountID == nil || *e.AccountID != acct.ID || e.StaffID == nil || *e.StaffID != member.StaffID {
			t.Errorf("audit event %+v, want the account and the member", e)
		}
		for _, want := range []string{"by desk@example.test", dead.ID, "550 5.1.1", "reason: 受信設定を確認済み"} {
			if !strings.Contains(e.Detail, want) {
				t.Errorf("audit detail %q lacks %q", e.Detail, want)
			}
		}
		if _, err := f.Recovery.RequeueMailByStaff(ctx, acct.ID, dead.ID, member, "二度目"); !errors.Is(err, recovery.ErrMailNotDead) {
			t.Errorf("requeueing a sent mail: %v, want ErrMailNotDead", err)
		}
	})
}

// TestRequeueMailByStaffRefuses what sending again could not help, and
// leaves such a mail as it is.
func TestRequeueMailByStaffRefuses(t *testing.T) {
	t.Parallel()
	dbtest.ForEachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		f := newFixture(t, dialect, nil)
		member := newStaff(t, f, "desk@example.test")
		acct := f.newAccount(t, "shop-001", "taro@example.jp", "ja")
		other := f.newAccount(t, "shop-002", "hanako@example.jp", "ja")

		// The retention sweep drops the content of a mail dead long enough.
		dropped := f.deadMail(t, func() { f.matchReminder(t, acct.Email) })
		if _, err := db.DropStalePayloads(ctx, f.DB, f.clock.Now(), f.clock.Now()); err != nil {
			t.Fatal(err)
		}

		f.matchReset(t, other.LoginID, other.Email)
		f.deliverOne(t)
		sent, err := db.ListOutbox(ctx, f.DB, db.OutboxFilter{Status: db.OutboxSent, Limit: 1})
		if err != nil || len(sent) != 1 {
			t.Fatalf("sent mail: %v, %v", sent, err)
		}
		othersDead := f.deadMail(t, func() { f.matchReminder(t, other.Email) })

		replaced := f.deadMail(t, func() { f.matchReset(t, acct.LoginID, acct.Email) })
		f.clock.Advance(time.Second)
		f.issueLink(t, acct, time.Hour)
		f.deliverOne(t)

		f.clock.Advance(time.Minute)
		expired := f.deadMail(t, func() { f.issueLink(t, acct, 10*time.Minute) })

		f.clock.Advance(10 * time.Minute)

		tests := []struct {
			name      string
			accountID int64
			id        string
			want      error
		}{
			{"a sent mail", other.ID, sent[0].ID, recovery.ErrMailNotDead},
			{"another account's mail", acct.ID, othersDead.ID, recovery.ErrNoMail},
			{"an unknown mail", acct.ID, mail.NewID(), recovery.ErrNoMail},
			{"an unknown account", other.ID + 100, othersDead.ID, recovery.ErrNoMail},
			{"a link replaced by a newer one", acct.ID, replaced.ID, recovery.ErrLinkDead},
			{"a link expired", acct.ID, expired.ID, recovery.ErrLinkDead},
			{"a mail whose content was dropped", acct.ID, dropped.ID, recovery.ErrMailGone},
		}
		for _, tc := range tests {
			if _, err := f.Recovery.RequeueMailByStaff(ctx, tc.accountID, tc.id, member, "理由"); !errors.Is(err, tc.want) {
				t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
			}
		}
		f.wantNoMail(t)
		if n := len(f.events(t, db.AuditMailRetried)); n != 0 {
			t.Errorf("%d mail_retried events, want none", n)
		}
		// The other account's dead reminder is still there for its own
		// account.
		if _, err := f.Recovery.RequeueMailByStaff(ctx, other.ID, othersDead.ID, member, "理由"); err != nil {
			t.Errorf("the other account's own dead mail: %v", err)
		}
	})
}

// TestLiftLoginPause: a member lifts the pause that failed logins put on
// an account, audited with their reason; the merchant can log in again.
// An account whose logins are not paused is refused.
func TestLiftLoginPause(t *testing.T) {
	t.Parallel()
	dbtest.ForEachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		f := newFixture(t, dialect, map[string]string{"LOGIN_LOCKOUT_THRESHOLD": "5", "LOGIN_LOCKOUT_WINDOW": "15m"})
		member := newStaff(t, f, "desk@example.test")
		acct := f.newAccount(t, "shop-001", "taro@example.jp", "ja")
		if err := db.SetPassword(ctx, f.DB, acct.ID, f.hash(t, newPassword), f.clock.Now(), false); err != nil {
			t.Fatal(err)
		}
		other := f.newAccount(t, "shop-002", "hanako@example.jp", "ja")

		f.failLogins(t, acct.LoginID, 4)
		if err := f.Recovery.LiftLoginPause(ctx, acct.ID, member, "理由"); !errors.Is(err, recovery.ErrNotPaused) {
			t.Errorf("below the threshold: %v, want ErrNotPaused", err)
		}
		f.clock.Advance(time.Minute)
		f.failLogins(t, acct.LoginID, 1)
		f.failLogins(t, other.LoginID, 5)
		if login, err := f.Logins.Attempt(ctx, acct.LoginID, newPassword, client.IP, client.UserAgent); err != nil || login.Outcome != account.LoginLocked {
			t.Fatalf("login while paused = %v, %v; want locked", login.Outcome, err)
		}

		if err := f.Recovery.LiftLoginPause(ctx, acct.ID, member, "本人から電話あり"); err != nil {
			t.Fatalf("LiftLoginPause: %v", err)
		}
		if login, err := f.Logins.Attempt(ctx, acct.LoginID, newPassword, client.IP, client.UserAgent); err != nil || login.Outcome != account.LoginSucceeded {
			t.Errorf("login after the pause was lifted = %v, %v; want succeeded", login.Outcome, err)
		}
		if n := f.loginFailures(t, other.LoginID); n != 5 {
			t.Errorf("another account's failures: %d, want its 5", n)
		}
		events := f.events(t, db.AuditLoginPauseLifted)
		if len(events) != 1 {
			t.Fatalf("%d login_pause_lifted events, want 1", len(events))
		}
		// The pause would have ended 15 minutes after the oldest of the
		// last five failures.
		want := "by desk@example.test, paused until 2026-11-25T01:15:00Z; reason: 本人から電話あり"
		if e := events[0]; e.AccountID == nil || *e.AccountID != acct.ID || e.StaffID == nil || *e.StaffID != member.StaffID || e.Detail != want {
			t.Errorf("audit event %+v, want detail %q", e, want)
		}

		if err := f.Recovery.LiftLoginPause(ctx, acct.ID, member, "理由"); !errors.Is(err, recovery.ErrNotPaused) {
			t.Errorf("once lifted: %v, want ErrNotPaused", err)
		}
		f.clock.Advance(15 * time.Minute)
		if err := f.Recovery.LiftLoginPause(ctx, other.ID, member, "理由"); !errors.Is(err, recovery.ErrNotPaused) {
			t.Errorf("after the window: %v, want ErrNotPaused", err)
		}
		if err := f.Recovery.LiftLoginPause(ctx, other.ID+100, member, "理由"); !errors.Is(err, recovery.ErrNoAccount) {
			t.Errorf("an unknown account: %v, want ErrNoAccount", err)
		}
	})
}

// A dead reset mail whose link was revoked since — a new address, a
// disabled account — or replaced within the same second is not sent again:
// the merchant would get a link that does not work, at an old address.
func TestRequeueMailByStaffRefusesRevokedLinks(t *testing.T) {
	t.Parallel()
	dbtest.ForEachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		f := newFixture(t, dialect, nil)
		member := newStaff(t, f, "desk@example.test")

		moved := f.newAccount(t, "shop-010", "old@example.jp", "ja")
		movedMail := f.deadMail(t, func() { f.matchReset(t, moved.LoginID, moved.Email) })
		if _, _, err := f.Recovery.ChangeEmail(ctx, moved.LoginID, "new@example.jp", db.Actor{Command: "test"}, "moved"); err != nil {
			t.Fatal(err)
		}
		f.deliver(t) // the notices of the change

		sameSecond := f.newAccount(t, "shop-011", "taro@example.jp", "ja")
		sameSecondMail := f.deadMail(t, func() { f.matchReset(t, sameSecond.LoginID, sameSecond.Email) })
		f.clock.Advance(300 * time.Millisecond)
		f.issueLink(t, sameSecond, time.Hour)
		f.deliverOne(t)

		for name, tc := range map[string]struct {
			accountID int64
			id        string
		}{
			"a link revoked by a new address":    {moved.ID, movedMail.ID},
			"a link replaced in the same second": {sameSecond.ID, sameSecondMail.ID},
		} {
			if _, err := f.Recovery.RequeueMailByStaff(ctx, tc.accountID, tc.id, member, "理由"); !errors.Is(err, recovery.ErrLinkDead) {
				t.Errorf("%s: %v, want ErrLinkDead", name, err)
			}
		}
	})
}
