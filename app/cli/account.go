package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"aikagi/app/account"
	"aikagi/db"
	"aikagi/views"

	"github.com/uptrace/bun"
)

// accountUsage lists the account sub-commands; each takes -h for its flags.
const accountUsage = `usage: aikagi account create|list|import|send-reset|set-email|disable|enable|delete [flags] [args]
  create                 add an account (-h for its flags)
  list                   list accounts
  import FILE            import accounts from a CSV file
  send-reset LOGIN_ID    queue a reset link to the account's registered address
  set-email LOGIN_ID ADDRESS
                         change the registered address; both addresses get a notice
  disable LOGIN_ID --reason TEXT
                         end the account's links and sessions; no mail, no login
  enable LOGIN_ID --reason TEXT
                         enable a disabled account again
  delete LOGIN_ID --reason TEXT
                         delete the account (its mail and audit events stay)
`

// AccountCommand runs the "account" sub-commands of accountUsage.
func AccountCommand(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return errors.New("account: use \"account create\", \"account list\", \"account import\", \"account send-reset\", \"account set-email\", \"account disable\", \"account enable\" or \"account delete\"")
	}
	if isHelpArg(args[0]) {
		return printUsage(env, accountUsage)
	}
	switch args[0] {
	case "create":
		return createAccount(ctx, env, args[1:])
	case "list":
		return listAccounts(ctx, env, args[1:])
	case "import":
		return importAccounts(ctx, env, args[1:])
	case "send-reset":
		return sendResetCommand(ctx, env, args[1:]) // outbox.go
	case "set-email":
		return setEmailCommand(ctx, env, args[1:]) // setemail.go
	case "disable", "enable", "delete":
		return accountStatusCommand(ctx, env, account.Action(args[0]), args[1:]) // status.go
	}
	return fmt.Errorf("account: unknown sub-command %q (use create, list, import, send-reset, set-email, disable, enable or delete)", args[0])
}

// isHelpArg reports an argument that asks for help where a sub-command is
// expected.
func isHelpArg(arg string) bool {
	switch arg {
	case "help", "-h", "-help", "--help":
		return true
	}
	return false
}

// printUsage prints usage and returns flag.ErrHelp, which main takes as a
// request answered, like the flag package's own -h.
func printUsage(env Env, usage string) error {
	fmt.Fprint(env.Stdout, usage)
	return flag.ErrHelp
}

// createAccount is "account create": an account with an initial password.
func createAccount(ctx context.Context, env Env, args []string) error {
	acct, pw, err := parseNewAccount(env, args)
	if err != nil {
		return err
	}
	cfg, bdb, err := env.open(ctx, env.logger())
	if err != nil {
		return err
	}
	defer bdb.Close()
	if len([]rune(pw)) < cfg.PasswordMinLength {
		return fmt.Errorf("password: use at least %d characters (--password-stdin or --password)", cfg.PasswordMinLength)
	}
	acct.PasswordHash = account.HashArgon2id(account.NormalizePassword(pw))
	now := time.Now()
	err = bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := db.CreateAccount(ctx, tx, acct, now); err != nil {
			return err
		}
		return db.RecordAudit(ctx, tx, &db.AuditEvent{Kind: db.AuditAccountCreated, AccountID: &acct.ID, LoginID: acct.LoginID, Detail: "cli"}, now)
	})
	if errors.Is(err, db.ErrLoginIDTaken) {
		if found, ferr := db.FindAccountByLoginID(ctx, bdb, acct.LoginID); ferr == nil && found != nil && found.LoginID != acct.LoginID {
			return fmt.Errorf("account create: login ID %q differs only in case from the existing %q; login IDs are matched without regard to case", acct.LoginID, found.LoginID)
		}
		return fmt.Errorf("account create: login ID %q already exists", acct.LoginID)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "created account %d: %s <%s> %s (%s)\n", acct.ID, acct.LoginID, acct.Email, terminalSafe(acct.StoreName), acct.Locale)
	return nil
}

// parseNewAccount reads the flags of "account create": the account,
// normalised and checked as step 1 does, and its initial password.
func parseNewAccount(env Env, args []string) (acct *db.Account, password string, err error) {
	fs := flag.NewFlagSet("account create", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	loginID := fs.String("login-id", "", "login ID (required)")
	email := fs.String("email", "", "registered e-mail address (required)")
	store := fs.String("store", "", "store name (required)")
	locale := fs.String("locale", "ja", "language of the account's mail: ja or en")
	pw := fs.String("password", "", "initial password (visible in shell history; prefer --password-stdin)")
	fromStdin := fs.Bool("password-stdin", false, "read the initial password from the first line of standard input")
	if err := fs.Parse(args); err != nil {
		return nil, "", err
	}
	acct = &db.Account{LoginID: account.NormalizeLoginID(*loginID), Email: account.NormalizeEmail(*email), StoreName: strings.TrimSpace(*store), Locale: *locale}
	en := views.T(views.En)
	switch {
	case account.ValidateLoginID(acct.LoginID) != "":
		return nil, "", fmt.Errorf("--login-id: %s", en.Problem(account.ValidateLoginID(acct.LoginID)))
	case account.ValidateEmail(acct.Email) != "":
		return nil, "", fmt.Errorf("--email: %s", en.Problem(account.ValidateEmail(acct.Email)))
	case acct.StoreName == "":
		return nil, "", errors.New("--store: give the store name")
	case account.CheckStoreName(acct.StoreName) != nil:
		return nil, "", fmt.Errorf("--store: %w", account.CheckStoreName(acct.StoreName))
	}
	if _, ok := views.ParseLang(acct.Locale); !ok {
		return nil, "", errors.New("--locale: use ja or en")
	}
	if !*fromStdin {
		return acct, *pw, nil
	}
	line, err := bufio.NewReader(env.Stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, "", fmt.Errorf("--password-stdin: %w", err)
	}
	return acct, strings.TrimRight(line, "\r\n"), nil
}

func listAccounts(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("account list", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	bdb, err := env.openDB(ctx, env.logger())
	if err != nil {
		return err
	}
	defer bdb.Close()
	accounts, err := db.ListAccounts(ctx, bdb)
	if err != nil {
		return err
	}
	t := newTextTable("ID", "LOGIN ID", "EMAIL", "STORE", "LOCALE", "CREATED", "STATUS")
	for _, a := range accounts {
		status := "active"
		if a.DisabledAt != nil {
			status = "disabled since " + a.DisabledAt.Format(time.RFC3339)
		}
		t.add(fmt.Sprint(a.ID), a.LoginID, a.Email, a.StoreName, a.Locale, a.CreatedAt.Format(time.RFC3339), status)
	}
	return t.write(env.Stdout)
}
