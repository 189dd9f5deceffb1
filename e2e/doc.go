// Package e2e drives the whole product in a real Chromium: the reset
// journey with and without JavaScript, the help center's cross-site iframe
// with third-party cookies blocked, the login-ID reminder, keyboard use,
// 200 % zoom and axe-core on every screen in both languages; and the
// support console (ADMIN_ADDR): a member's TOTP enrolment, search, an
// account and a staff-sent reset link, keyboard use and axe-core on each
// of its screens (console_*_test.go).
//
// The tests start the app, the console and the demo help center
// in-process on real listeners and launch Debian's chromium (or the
// browser named by CHROMIUM). Without a browser they skip, except with CI=true, where they
// fail. Screenshots of every screen go to test-output/; with
// UPDATE_SCREENSHOTS=1 the few shown in the README are rewritten in
// docs/screenshots/.
package e2e
