// Package service is the composition root: it builds every service the
// front ends share — the sealer, the metrics, the limits, the outbox, the
// intake, recovery, the password hasher, logins, staff and the sweeper —
// once per process, and runs their workers. The merchant app, the support
// console and every command take what they need from one Services; nothing
// else constructs a service.
package service

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"aikagi/app/account"
	"aikagi/app/config"
	"aikagi/app/intake"
	"aikagi/app/limit"
	"aikagi/app/mail"
	"aikagi/app/metrics"
	"aikagi/app/recovery"
	"aikagi/app/rekey"
	"aikagi/app/retention"
	"aikagi/app/route"
	"aikagi/app/secret"
	"aikagi/app/staff"
)

// Services are the shared services of one process.
type Services struct {
	Config config.Config
	DB     *bun.DB
	Log    *slog.Logger

	Sealer   *secret.Sealer     // seals payloads at rest
	Metrics  *metrics.Metrics   // the process's one registry
	Limits   *limit.Limiter     // the LIMIT_* settings, counted in the database
	Outbox   *mail.Outbox       // queues mail and, with a sender, delivers it
	Mailbox  *mail.DevMailbox   // the development mailbox when it is the sender; else nil
	Intake   *intake.Worker     // matches recorded step 3 requests
	Recovery *recovery.Service  // matches requests, issues links, changes addresses
	Hasher   *account.Hasher    // password hashing within one memory budget
	Logins   *account.Logins    // merchants' logins and lockouts
	Staff    *staff.Service     // support staff, their logins and second factor
	Sweeper  *retention.Sweeper // deletes and masks what has served its time
	Rekey    *rekey.Resealer    // seals again under SECRET_KEY what an old key sealed

	clock   atomic.Pointer[func() time.Time]
	sending bool // the outbox has a sender: this process delivers mail
}

// New builds every service on bdb once. now is the clock of them all
// (time.Now in production). sender delivers the outbox; nil makes an outbox
// that only queues, for the commands, whose mail the servers' workers send.
// A *mail.DevMailbox sender is also Mailbox, except in production.
func New(cfg config.Config, bdb *bun.DB, log *slog.Logger, now func() time.Time, sender mail.Sender) *Services {
	s := &Services{Config: cfg, DB: bdb, Log: log, sending: sender != nil}
	s.SetClock(now)
	clock := s.Now
	if box, ok := sender.(*mail.DevMailbox); ok && !cfg.Production {
		s.Mailbox = box
	}
	s.Sealer = secret.NewSealer(cfg)
	s.Metrics = metrics.New(bdb, clock, config.Build())
	s.Limits = limit.New(bdb, log, clock, s.Metrics, cfg.Limits)
	s.Outbox = mail.New(mail.Deps{
		DB: bdb, Log: log, Now: clock, Sender: sender, Sealer: s.Sealer,
		Metrics: s.Metrics, From: cfg.From(), Rate: cfg.Resend.RateLimit,
		BatchSize: cfg.Resend.BatchSize, RepeatWindow: cfg.Limits.MailsPerAccount.Window,
	})
	s.Recovery = recovery.New(recovery.Deps{DB: bdb, Log: log, Now: clock, Config: cfg, Outbox: s.Outbox, Limits: s.Limits})
	s.Hasher = account.NewHasher(func(d time.Duration) { s.Metrics.HashWait.Observe(d.Seconds()) })
	s.Logins = account.NewLogins(bdb, s.Hasher, clock, cfg)
	s.Staff = staff.New(staff.Deps{DB: bdb, Log: log, Now: clock, Hasher: s.Hasher, Sealer: s.Sealer, Limits: s.Limits, Config: cfg})
	s.Sweeper = retention.New(bdb, log, clock, cfg)
	s.Rekey = rekey.New(bdb, log, s.Sealer, s.Metrics)
	s.Intake = intake.New(intake.Deps{
		DB: bdb, Log: log, Now: clock, Sealer: s.Sealer, Metrics: s.Metrics,
		Matchers: map[route.Journey]intake.Matcher{
			route.ResetJourney:    s.Recovery.MatchReset,
			route.ReminderJourney: s.Recovery.MatchReminder,
			route.RenewJourney:    s.Recovery.MatchRenewal,
		},
		OutboxWake: s.Outbox.Wake,
	})
	return s
}

// Now is the services' time.
func (s *Services) Now() time.Time { return (*s.clock.Load())() }

// SetClock makes now the time of every service (tests drive it).
func (s *Services) SetClock(now func() time.Time) { s.clock.Store(&now) }

// RunWorkers runs the intake worker (matching step 3 requests), the mail
// worker (when this process has a sender), the sweeper and, during a key
// rotation, the re-sealing passes until ctx ends.
func (s *Services) RunWorkers(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { s.Rekey.Run(ctx) })
	wg.Go(func() { s.Intake.Run(ctx) })
	if s.sending {
		wg.Go(func() { s.Outbox.Run(ctx) })
	}
	wg.Go(func() { s.Sweeper.Run(ctx) })
	wg.Wait()
}
