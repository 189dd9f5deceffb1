package app

import (
	"context"

	"aikagi/app/account"
)

// Hasher is the app's password hasher, whose memory budget the support
// console shares.
func (a *App) Hasher() *account.Hasher { return a.hasher }

// CheckLoginFloor warns when LOGIN_FAILURE_MIN_DURATION does not cover the
// slowest accepted password hash on this machine (account.Hasher.CheckFloor).
func (a *App) CheckLoginFloor(ctx context.Context) {
	a.hasher.CheckFloor(ctx, a.cfg.LoginFailureFloor, a.log)
}
