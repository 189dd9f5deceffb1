package db_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"aikagi/db"
	"aikagi/db/dbtest"
)

const sendLimit = "sends per IP"

// overviewSeed writes events, mail and reset links around t0 (10:00 UTC)
// and t0+1h, with some just outside [t0, t0+2h).
type overviewSeed struct {
	t    *testing.T
	bdb  *bun.DB
	ctx  context.Context
	next int
}

func (s *overviewSeed) must(err error) {
	s.t.Helper()
	if err != nil {
		s.t.Fatal(err)
	}
}

func (s *overviewSeed) audit(kind db.AuditKind, acct *db.Account, at time.Time) {
	s.t.Helper()
	e := &db.AuditEvent{Kind: kind}
	if acct != nil {
		e.AccountID = &acct.ID
	}
	s.must(db.RecordAudit(s.ctx, s.bdb, e, at))
}

// mail queues a mail for acct at queued and claims it, for the caller to
// mark sent or dead.
func (s *overviewSeed) mail(id string, acct *db.Account, queued time.Time) int {
	s.t.Helper()
	s.must(db.EnqueueMail(s.ctx, s.bdb, &db.OutboxMail{ID: id, Kind: "reset", AccountID: &acct.ID, ToAddr: acct.Email, Payload: []byte("sealed")}, queued))
	rows, err := db.ClaimMail(s.ctx, s.bdb, queued, time.Minute, 10, dbtest.BatchID())
	s.must(err)
	if len(rows) != 1 {
		s.t.Fatalf("claimed %d mails, want 1", len(rows))
	}
	return rows[0].Attempts
}

func (s *overviewSeed) sent(id string, acct *db.Account, at time.Time) {
	s.t.Helper()
	attempt := s.mail(id, acct, at.Add(-time.Minute))
	ok, err := db.MarkMailSent(s.ctx, s.bdb, id, attempt, "prov-"+id, at)
	s.must(err)
	if !ok {
		s.t.Fatalf("mail %s not marked sent", id)
	}
}

func (s *overviewSeed) dead(id string, acct *db.Account, at time.Time) {
	s.t.Helper()
	attempt := s.mail(id, acct, at.Add(-time.Minute))
	ok, err := db.MarkMailDead(s.ctx, s.bdb, id, attempt, "gave up", at)
	s.must(err)
	if !ok {
		s.t.Fatalf("mail %s not marked dead", id)
	}
}

func (s *overviewSeed) event(id string, ev db.DeliveryEvent, at time.Time) {
	s.t.Helper()
	_, _, err := db.RecordDeliveryEvent(s.ctx, s.bdb, db.MessageRef{OutboxID: id}, ev, "", at)
	s.must(err)
}

func (s *overviewSeed) reset(acct *db.Account, requested, used time.Time) {
	s.t.Helper()
	s.next++
	tok, err := db.CreateResetToken(s.ctx, s.bdb, acct.ID, hash(acct.LoginID+string(rune('a'+s.next))), requested, time.Hour, "")
	s.must(err)
	_, ok, err := db.ConsumeResetToken(s.ctx, s.bdb, tok.TokenHash, used)
	s.must(err)
	if !ok {
		s.t.Fatal("reset link not used")
	}
}

func TestOverviewHours(t *testing.T) {
	forEachDialect(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		s := &overviewSeed{t: t, bdb: bdb, ctx: ctx}
		a := createAccount(t, bdb, "ov01", "ov01@example.jp")
		b := createAccount(t, bdb, "ov02", "ov02@example.jp")
		end := t0.Add(2 * time.Hour)

		// Requests: on both edges of each hour, and outside the range.
		s.audit(db.AuditResetRequested, a, t0.Add(-time.Second)) // before the range
		s.audit(db.AuditResetRequested, a, t0)
		s.audit(db.AuditResetRequested, a, t0.Add(time.Hour-time.Second))
		s.audit(db.AuditReminderRequested, b, t0.Add(time.Hour))
		s.audit(db.AuditResetUnmatched, nil, t0.Add(90*time.Minute))
		s.audit(db.AuditReminderUnmatched, nil, t0.Add(91*time.Minute))
		s.audit(db.AuditResetLimited, a, t0.Add(15*time.Minute))
		s.audit(db.AuditReminderLimited, b, t0.Add(75*time.Minute))
		s.audit(db.AuditResetRequested, a, end) // after the range
		s.audit(db.AuditLoginFailed, a, t0.Add(time.Minute))
		// Three refusals of step 3 on one aggregated row; logins refused
		// by their own limit are no requests.
		for range 3 {
			s.must(db.RecordAuditAggregated(ctx, bdb, &db.AuditEvent{Kind: db.AuditRateLimited, IP: "192.0.2.1", Detail: sendLimit}, "send|192.0.2.1|10", t0.Add(20*time.Minute)))
		}
		s.must(db.RecordAuditAggregated(ctx, bdb, &db.AuditEvent{Kind: db.AuditRateLimited, IP: "192.0.2.1", Detail: "logins per IP"}, "login|192.0.2.1|10", t0.Add(20*time.Minute)))
		s.audit(db.AuditPasswordChanged, a, t0.Add(65*time.Minute))

		// Mail: sent, then delivered or bounced later; dead; dead and requeued.
		s.sent("m1", a, t0.Add(time.Minute))
		s.event("m1", db.DeliveryDelivered, t0.Add(70*time.Minute))
		s.sent("m2", b, t0.Add(2*time.Minute))
		s.event("m2", db.DeliveryBounced, t0.Add(30*time.Minute))
		s.sent("m3", b, t0.Add(3*time.Minute))
		s.event("m3", db.DeliveryFailed, t0.Add(31*time.Minute))
		s.sent("m4", a, t0.Add(-10*time.Minute)) // sent before the range
		s.dead("m5", a, t0.Add(100*time.Minute))
		s.dead("m6", b, t0.Add(101*time.Minute))
		if ok, err := db.RequeueMail(ctx, bdb, "m6", t0.Add(105*time.Minute)); !ok || err != nil {
			t.Fatalf("requeue: %v %v", ok, err)
		}

		// Reset links used: 4 minutes after the request, and 20.
		s.reset(a, t0.Add(1*time.Minute), t0.Add(5*time.Minute))
		s.reset(b, t0.Add(62*time.Minute), t0.Add(82*time.Minute))

		hours, err := db.OverviewHours(ctx, bdb, t0.Add(10*time.Minute), end, sendLimit)
		if err != nil {
			t.Fatal(err)
		}
		if len(hours) != 2 || !hours[0].Start.Equal(t0) || !hours[1].Start.Equal(t0.Add(time.Hour)) {
			t.Fatalf("hours: %+v", hours)
		}
		want := []db.OverviewHour{
			{Requests: db.RequestCounts{Matched: 2, Limited: 4}, Mails: db.MailCounts{Sent: 3, Bounced: 2}, Waits: []time.Duration{4 * time.Minute}},
			{Requests: db.RequestCounts{Matched: 1, Unmatched: 2, Limited: 1}, Mails: db.MailCounts{Delivered: 1, Dead: 1}, Resets: 1, Waits: []time.Duration{20 * time.Minute}},
		}
		for i, h := range hours {
			w := want[i]
			if h.Requests != w.Requests || h.Mails != w.Mails || h.Resets != w.Resets || !slices.Equal(h.Waits, w.Waits) {
				t.Errorf("hour %s: got %+v, want %+v", h.Start.Format("15:04"), h, w)
			}
		}

		// A range without anything still has its hours.
		empty, err := db.OverviewHours(ctx, bdb, t0.Add(24*time.Hour), t0.Add(27*time.Hour), sendLimit)
		if err != nil || len(empty) != 3 || empty[2].Requests != (db.RequestCounts{}) {
			t.Errorf("empty range: %+v %v", empty, err)
		}
	})
}

func TestNeedsAttention(t *testing.T) {
	forEachDialect(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		s := &overviewSeed{t: t, bdb: bdb, ctx: ctx}
		a := createAccount(t, bdb, "na01", "na01@example.jp")
		b := createAccount(t, bdb, "na02", "na02@example.jp")
		now := t0.Add(15 * 24 * time.Hour)

		s.sent("old", a, now.Add(-15*24*time.Hour))
		s.event("old", db.DeliveryBounced, now.Add(-15*24*time.Hour)) // too old to list
		s.sent("b1", a, now.Add(-3*time.Hour))
		s.event("b1", db.DeliveryBounced, now.Add(-2*time.Hour))
		s.sent("b2", b, now.Add(-3*time.Hour))
		s.event("b2", db.DeliveryComplained, now.Add(-time.Hour))
		s.sent("ok", b, now.Add(-3*time.Hour))
		s.event("ok", db.DeliveryDelivered, now.Add(-time.Hour))
		s.dead("d1", a, now.Add(-5*time.Hour))
		s.dead("d2", b, now.Add(-4*time.Hour))
		if ok, err := db.RequeueMail(ctx, bdb, "d2", now.Add(-3*time.Hour)); !ok || err != nil {
			t.Fatalf("requeue: %v %v", ok, err)
		}
		s.audit(db.AuditResetReported, b, now.Add(-6*time.Hour))
		s.audit(db.AuditResetReported, a, now.Add(-20*24*time.Hour)) // too old

		// a: five requests that reached it within a day; b: four, and one
		// more the day before.
		for i, k := range []db.AuditKind{db.AuditResetRequested, db.AuditResetLimited, db.AuditResetLimited, db.AuditReminderRequested, db.AuditReminderLimited} {
			s.audit(k, a, now.Add(-time.Duration(10+i)*time.Hour))
		}
		s.audit(db.AuditResetUnmatched, a, now.Add(-time.Hour)) // names no account's request
		for i := range 4 {
			s.audit(db.AuditResetRequested, b, now.Add(-time.Duration(i+1)*time.Hour))
		}
		s.audit(db.AuditResetRequested, b, now.Add(-25*time.Hour))

		got, err := db.NeedsAttention(ctx, bdb, now)
		if err != nil {
			t.Fatal(err)
		}
		check := func(name string, items []db.AttentionItem, want ...string) {
			t.Helper()
			var ids []string
			for _, it := range items {
				ids = append(ids, it.LoginID+":"+it.What)
				if it.AccountID == 0 {
					t.Errorf("%s: %+v has no account", name, it)
				}
			}
			if !slices.Equal(ids, want) {
				t.Errorf("%s: got %v, want %v", name, ids, want)
			}
		}
		check("bounced", got.Bounced, "na02:complained", "na01:bounced")
		check("dead", got.Dead, "na01:reset")
		check("reported", got.Reported, "na02:reset_reported")
		check("repeated", got.Repeated, "na01:")
		if len(got.Repeated) == 1 && (got.Repeated[0].Count != 5 || !got.Repeated[0].At.Equal(now.Add(-10*time.Hour))) {
			t.Errorf("repeated: %+v, want 5 requests, the latest 10 hours ago", got.Repeated[0])
		}
		if len(got.Dead) == 1 && !got.Dead[0].At.Equal(now.Add(-5*time.Hour)) {
			t.Errorf("dead at %v", got.Dead[0].At)
		}
	})
}

// TestNeedsAttentionExpiredMail: mail that passed its deadline unsent is
// listed newest first with its kind, for AttentionWindow and up to
// AttentionListMax; mail still within its deadline is not.
func TestNeedsAttentionExpiredMail(t *testing.T) {
	forEachDialect(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		s := &overviewSeed{t: t, bdb: bdb, ctx: ctx}
		a := createAccount(t, bdb, "ex01", "ex01@example.jp")
		b := createAccount(t, bdb, "ex02", "ex02@example.jp")
		now := t0.Add(15 * 24 * time.Hour)

		// expire queues a mail an hour before its deadline and lets the
		// worker's sweep end it at the deadline.
		expire := func(id, kind string, acct *db.Account, deadline time.Time) {
			t.Helper()
			s.must(db.EnqueueMail(ctx, bdb, &db.OutboxMail{ID: id, Kind: kind, AccountID: &acct.ID, ToAddr: acct.Email,
				Payload: []byte("sealed"), ExpiresAt: &deadline}, deadline.Add(-time.Hour)))
			rows, err := db.ExpireOverdueMail(ctx, bdb, deadline, 10)
			s.must(err)
			if len(rows) != 1 || rows[0].ID != id {
				t.Fatalf("expired %v, want %s", rows, id)
			}
		}
		expire("too-old", "reset_link", a, now.Add(-db.AttentionWindow-time.Minute))
		expire("e1", "reset_link", a, now.Add(-3*time.Hour))
		expire("e2", "login_id_reminder", b, now.Add(-time.Hour))
		waiting := now.Add(time.Hour)
		s.must(db.EnqueueMail(ctx, bdb, &db.OutboxMail{ID: "w1", Kind: "reset_link", AccountID: &b.ID, ToAddr: b.Email,
			Payload: []byte("sealed"), ExpiresAt: &waiting}, now.Add(-time.Minute)))

		got, err := db.NeedsAttention(ctx, bdb, now)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, it := range got.Expired {
			ids = append(ids, it.LoginID+":"+it.What)
			if it.Kind != db.AttentionExpired || it.AccountID == 0 {
				t.Errorf("%+v: want an expired mail with its account", it)
			}
		}
		if want := []string{"ex02:login_id_reminder", "ex01:reset_link"}; !slices.Equal(ids, want) {
			t.Errorf("expired: got %v, want %v", ids, want)
		}
		if len(got.Expired) == 2 && !got.Expired[0].At.Equal(now.Add(-time.Hour)) {
			t.Errorf("expired at %v, want %v", got.Expired[0].At, now.Add(-time.Hour))
		}
		if len(got.Dead) != 0 || len(got.Bounced) != 0 {
			t.Errorf("expired mail listed as dead or bounced: %+v", got)
		}

		// A burst of expired mail shows only its newest.
		deadline := now.Add(-30 * time.Minute)
		for i := range db.AttentionListMax + 5 {
			s.must(db.EnqueueMail(ctx, bdb, &db.OutboxMail{ID: fmt.Sprintf("burst%02d", i), Kind: "reset_link", AccountID: &a.ID, ToAddr: a.Email,
				Payload: []byte("sealed"), ExpiresAt: &deadline}, deadline.Add(-time.Hour)))
		}
		if _, err := db.ExpireOverdueMail(ctx, bdb, deadline, 100); err != nil {
			t.Fatal(err)
		}
		got, err = db.NeedsAttention(ctx, bdb, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Expired) != db.AttentionListMax {
			t.Fatalf("after a burst: %d items, want %d", len(got.Expired), db.AttentionListMax)
		}
		if last := got.Expired[db.AttentionListMax-1]; !last.At.Equal(deadline) {
			t.Errorf("after a burst, the last listed expired at %v, want the burst's %v", last.At, deadline)
		}
	})
}

func TestCurrentBacklog(t *testing.T) {
	forEachDialect(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		s := &overviewSeed{t: t, bdb: bdb, ctx: ctx}
		a := createAccount(t, bdb, "bl01", "bl01@example.jp")
		empty, err := db.CurrentBacklog(ctx, bdb)
		if err != nil || empty != (db.Backlog{}) {
			t.Fatalf("empty backlog: %+v %v", empty, err)
		}
		s.sent("s1", a, t0)
		s.must(db.EnqueueMail(ctx, bdb, &db.OutboxMail{ID: "w1", Kind: "reset", AccountID: &a.ID, ToAddr: a.Email}, t0.Add(time.Minute)))
		s.must(db.EnqueueMail(ctx, bdb, &db.OutboxMail{ID: "w2", Kind: "reset", AccountID: &a.ID, ToAddr: a.Email}, t0.Add(2*time.Minute)))
		s.must(db.InsertIntake(ctx, bdb, &db.IntakeRequest{ID: "r1", Journey: "reset", Payload: []byte("x")}, t0.Add(3*time.Minute), t0.Add(3*time.Minute)))
		got, err := db.CurrentBacklog(ctx, bdb)
		if err != nil {
			t.Fatal(err)
		}
		want := db.Backlog{Intake: 1, IntakeOldest: t0.Add(3 * time.Minute), Outbox: 2, OutboxOldest: t0.Add(time.Minute)}
		if got.Intake != want.Intake || got.Outbox != want.Outbox || !got.IntakeOldest.Equal(want.IntakeOldest) || !got.OutboxOldest.Equal(want.OutboxOldest) {
			t.Errorf("backlog: got %+v, want %+v", got, want)
		}
	})
}
