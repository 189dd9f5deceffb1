package cli

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"aikagi/app/account"
	"aikagi/db"
)

// accountStatusCommand is "account disable|enable|delete LOGIN_ID --reason
// TEXT". It needs only DATABASE_URL.
func accountStatusCommand(ctx context.Context, env Env, action account.Action, args []string) error {
	fs := flag.NewFlagSet("account "+string(action), flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	reason := fs.String("reason", "", "why, for the audit trail (required)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: aikagi account %s LOGIN_ID --reason TEXT\n\n%s\n\n", action, actionHelp(action))
		fs.PrintDefaults()
	}
	loginID, err := parseWithArg(fs, args, "LOGIN_ID")
	if err != nil {
		return err
	}
	if strings.TrimSpace(*reason) == "" {
		return fmt.Errorf("account %s: give --reason, for the audit trail", action)
	}
	log := env.logger()
	bdb, err := env.openDB(ctx, log)
	if err != nil {
		return err
	}
	defer bdb.Close()
	by := db.Actor{Command: "aikagi account " + string(action)}
	if err := account.ChangeStatus(ctx, bdb, account.NormalizeLoginID(loginID), action, by, "cli: "+*reason, env.now()); err != nil {
		return fmt.Errorf("account %s: %w", action, err)
	}
	fmt.Fprintf(env.Stdout, "%s: %s\n", terminalSafe(account.NormalizeLoginID(loginID)), actionDone(action))
	return nil
}

// actionHelp says what action does, for its -h.
func actionHelp(a account.Action) string {
	switch a {
	case account.Disable:
		return "Disables the account: its reset links and logins end, it can no longer log in, and requests for it are answered as usual but mail nothing."
	case account.Enable:
		return "Enables a disabled account again."
	case account.Delete:
		return "Deletes the account with its links and sessions; its mail and audit events stay, no longer linked to it."
	}
	return ""
}

// actionDone says what action did.
func actionDone(a account.Action) string {
	switch a {
	case account.Disable:
		return "disabled; its links and sessions have ended"
	case account.Enable:
		return "enabled"
	case account.Delete:
		return "deleted"
	}
	return ""
}
