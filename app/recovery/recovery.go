// Package recovery is what happens to an account on a merchant's or an
// operator's behalf, away from the web: matching a recorded request and
// mailing the reset link or the login IDs, sending a link for support
// staff, changing the registered address, and the keys of the
// 「心当たりがない場合」 links. The intake worker, the web app and the
// commands share it.
package recovery

import (
	"log/slog"
	"time"

	"github.com/uptrace/bun"

	"aikagi/app/config"
	"aikagi/app/limit"
	"aikagi/app/mail"
	"aikagi/app/secret"
)

// Service acts on accounts.
type Service struct {
	db         *bun.DB
	log        *slog.Logger
	now        func() time.Time
	cfg        config.Config
	outbox     *mail.Outbox
	limits     *limit.Limiter
	reportKeys [][]byte // sign the 「心当たりがない場合」 links; the first signs
	addrKeys   [][]byte // tag the addresses of unmatched requests (AddressTag)
}

// Deps are what a Service works with.
type Deps struct {
	DB     *bun.DB
	Log    *slog.Logger
	Now    func() time.Time
	Config config.Config
	Outbox *mail.Outbox
	Limits *limit.Limiter
}

// New returns a Service.
func New(d Deps) *Service {
	return &Service{db: d.DB, log: d.Log, now: d.Now, cfg: d.Config, outbox: d.Outbox, limits: d.Limits,
		reportKeys: secret.Keys(d.Config, "reset-report"), addrKeys: secret.Keys(d.Config, "audit-address")}
}
