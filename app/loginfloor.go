package app

import (
	"context"
)

// CheckLoginFloor warns when LOGIN_FAILURE_MIN_DURATION does not cover the
// slowest accepted password hash on this machine (account.Hasher.CheckFloor).
func (a *App) CheckLoginFloor(ctx context.Context) {
	a.hasher.CheckFloor(ctx, a.cfg.LoginFailureFloor, a.log)
}
