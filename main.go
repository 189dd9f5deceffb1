// Command aikagi serves the self-service password reset of the merchant
// admin site, and administers it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"aikagi/app/cli"
	"aikagi/app/config"
)

const usage = `usage: aikagi [command]

commands:
  serve             serve the web app and the mail worker (the default)
  migrate           apply database migrations and exit
  account create    add an account: --login-id --email --store [--locale ja|en] --password-stdin
  account list      list accounts
  account import F  import accounts from a CSV file (login_id,email,store_name,locale,password_hash)
  account send-reset LOGIN_ID [--ttl 24h]
                    queue a reset link to the account's registered address, for support staff
  account set-email LOGIN_ID ADDRESS
                    change the account's registered address; both addresses get a notice
  account disable|enable|delete LOGIN_ID --reason TEXT
                    end or restore an account's standing, or delete it
  audit list        show the audit trail, newest first: [--login-id ID] [--limit N]
  outbox list       show queued and sent mail, newest first: [--status S] [--event E] [--problems] [--limit N]
  outbox retry ID   queue a dead mail again
  staff create      add support staff: --email --role support|admin --password-stdin
  version           print the version, the commit and the Go version

Every command takes -h for its flags. Settings come from environment
variables; see README.md.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, cli.OSEnv(), os.Args[1:])
	stop()
	os.Exit(code)
}

// run runs the command in args and returns the process's exit status.
func run(ctx context.Context, env cli.Env, args []string) int {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = cli.Serve(ctx, env, args)
	case "migrate":
		err = cli.Migrate(ctx, env, args)
	case "account":
		err = cli.AccountCommand(ctx, env, args)
	case "audit":
		err = cli.AuditCommand(ctx, env, args)
	case "outbox":
		err = cli.OutboxCommand(ctx, env, args)
	case "staff":
		err = cli.StaffCommand(ctx, env, args)
	case "version", "--version":
		fmt.Fprintln(env.Stdout, "aikagi", config.Build())
		return 0
	case "help", "-h", "-help", "--help":
		fmt.Fprint(env.Stdout, usage)
		return 0
	default:
		fmt.Fprintf(env.Stderr, "aikagi: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	var cfgErr *config.Error
	switch {
	case errors.Is(err, flag.ErrHelp):
		// The command has printed its usage, as asked.
		return 0
	case errors.As(err, &cfgErr):
		fmt.Fprintln(env.Stderr, "aikagi:", err)
		return config.ExitStatus
	case err != nil:
		fmt.Fprintln(env.Stderr, "aikagi:", err)
		return 1
	}
	return 0
}
