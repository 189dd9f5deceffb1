package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"aikagi/app/account"
	"aikagi/db"
	"aikagi/views"
)

// setEmailCommand is "account set-email LOGIN_ID ADDRESS": support staff
// change an account's registered address, for a merchant who can no longer
// read the old one. The address is normalised and checked as step 1 does.
func setEmailCommand(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("account set-email", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: aikagi account set-email LOGIN_ID ADDRESS")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return errors.New("account set-email: give the LOGIN_ID and the new ADDRESS")
	}
	loginID, addr := account.NormalizeLoginID(fs.Arg(0)), account.NormalizeEmail(fs.Arg(1))
	if p := account.ValidateEmail(addr); p != "" {
		return fmt.Errorf("account set-email: ADDRESS %q: %s", terminalSafe(addr), views.T(views.En).Problem(p))
	}
	svc, closeDB, err := env.openToQueueMail(ctx, "account set-email")
	if err != nil {
		return err
	}
	defer closeDB()
	acct, old, err := svc.ChangeEmail(ctx, loginID, addr, db.Actor{Command: "aikagi account set-email"}, "")
	if err != nil {
		return fmt.Errorf("account set-email: %w", err)
	}
	fmt.Fprintf(env.Stdout, "changed the registered address of %s from %s to %s; older reset links are revoked.\n"+
		"Notices to both addresses are queued; a running aikagi serve sends them within a second.\n",
		terminalSafe(acct.LoginID), terminalSafe(old), terminalSafe(acct.Email))
	return nil
}
