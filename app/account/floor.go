package account

import (
	"context"
	"log/slog"
	"time"
)

// CheckFloor measures how long the slowest importable hash takes to
// verify here, and warns when LOGIN_FAILURE_MIN_DURATION (floor) would not
// cover it: failed logins for such accounts would then answer later than for
// unknown login IDs.
func (h *Hasher) CheckFloor(ctx context.Context, floor time.Duration, log *slog.Logger) {
	if floor == 0 {
		log.Warn("LOGIN_FAILURE_MIN_DURATION=0: failed logins are not padded; their timing may tell which login IDs exist")
		return
	}
	var slowest time.Duration
	for _, hash := range SlowestImportableHashes() {
		start := time.Now()
		if _, _, err := h.Verify(ctx, hash, "not the password"); err != nil {
			return
		}
		slowest = max(slowest, time.Since(start))
	}
	if slowest > floor*3/4 {
		log.Warn("LOGIN_FAILURE_MIN_DURATION is too short for the slowest accepted password hash on this machine; raise it",
			"login_failure_min_duration", floor.String(), "slowest_verification", slowest.String())
		return
	}
	log.Info("failed-login floor covers the slowest accepted password hash",
		"login_failure_min_duration", floor.String(), "slowest_verification", slowest.String())
}
