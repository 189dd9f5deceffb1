package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"aikagi/app/account"
	"aikagi/db"
)

// AuditCommand runs "audit list [--login-id ID] [--limit N]".
func AuditCommand(ctx context.Context, env Env, args []string) error {
	if len(args) > 0 && isHelpArg(args[0]) {
		return printUsage(env, "usage: aikagi audit list [--login-id ID] [--limit N]\n")
	}
	if len(args) == 0 || args[0] != "list" {
		return errors.New("audit: use \"audit list [--login-id ID] [--limit N]\"")
	}
	fs := flag.NewFlagSet("audit list", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	loginID := fs.String("login-id", "", "only events of this login ID")
	limit := fs.Int("limit", 100, "at most this many events, newest first")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	bdb, err := env.openDB(ctx, env.logger())
	if err != nil {
		return err
	}
	defer bdb.Close()
	events, err := db.ListAudit(ctx, bdb, account.NormalizeLoginID(*loginID), *limit)
	if err != nil {
		return err
	}
	t := newTextTable("TIME", "EVENT", "LOGIN ID", "ACCOUNT", "IP", "USER AGENT", "DETAIL")
	for _, e := range events {
		account := ""
		if e.AccountID != nil {
			account = fmt.Sprint(*e.AccountID)
		}
		detail := e.Detail
		if e.Count > 1 {
			// An aggregate, such as the refusals of one client in one
			// window of a limit: its time is the first one's.
			detail = fmt.Sprintf("%s (%d times)", detail, e.Count)
		}
		t.add(e.At.Format(time.RFC3339), string(e.Kind), e.LoginID, account, e.IP, truncate(e.UserAgent, 40), detail)
	}
	return t.write(env.Stdout)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
