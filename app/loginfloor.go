package app

import (
	"aikagi/app/account"
	"context"
	"time"
)

// CheckLoginFloor measures how long the slowest importable hash takes to
// verify here, and warns when LOGIN_FAILURE_MIN_DURATION would not cover
// it: failed logins for such accounts would then answer later than for
// unknown login IDs.
func (a *App) CheckLoginFloor(ctx context.Context) {
	if a.cfg.LoginFailureFloor == 0 {
		a.log.Warn("LOGIN_FAILURE_MIN_DURATION=0: failed logins are not padded; their timing may tell which login IDs exist")
		return
	}
	var slowest time.Duration
	for _, h := range account.SlowestImportableHashes() {
		start := time.Now()
		if _, _, err := a.hasher.Verify(ctx, h, "not the password"); err != nil {
			return
		}
		slowest = max(slowest, time.Since(start))
	}
	if slowest > a.cfg.LoginFailureFloor*3/4 {
		a.log.Warn("LOGIN_FAILURE_MIN_DURATION is too short for the slowest accepted password hash on this machine; raise it",
			"login_failure_min_duration", a.cfg.LoginFailureFloor.String(), "slowest_verification", slowest.String())
		return
	}
	a.log.Info("failed-login floor covers the slowest accepted password hash",
		"login_failure_min_duration", a.cfg.LoginFailureFloor.String(), "slowest_verification", slowest.String())
}
