package cli

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"aikagi/app/account"
	"aikagi/app/config"
	"aikagi/app/secret"
	"aikagi/db"
	"aikagi/views"
)

// Env is what a command gets from the process.
type Env struct {
	Getenv func(string) string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Now    func() time.Time // nil: time.Now; tests share their app's clock
}

func (e Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e Env) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(e.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// open loads the settings and opens the migrated database.
func (e Env) open(ctx context.Context, log *slog.Logger) (config.Config, *bun.DB, error) {
	cfg, err := config.Load(e.Getenv, secret.Random)
	if err != nil {
		return config.Config{}, nil, err
	}
	bdb, err := e.openDB(ctx, log)
	return cfg, bdb, err
}

// databaseURL is DATABASE_URL, or the default SQLite file.
func (e Env) databaseURL() string {
	if url := strings.TrimSpace(e.Getenv("DATABASE_URL")); url != "" {
		return url
	}
	return config.DefaultDatabaseURL
}

// openDB opens the migrated database of DATABASE_URL and needs no other
// setting: commands that only read or queue use it, so that an operator
// can run them with DATABASE_URL alone.
func (e Env) openDB(ctx context.Context, log *slog.Logger) (*bun.DB, error) {
	maxConns, err := strconv.Atoi(cmp.Or(strings.TrimSpace(e.Getenv("DATABASE_MAX_CONNS")), "20"))
	if err != nil || maxConns < 2 || maxConns > 1000 {
		return nil, &config.Error{Err: fmt.Errorf("DATABASE_MAX_CONNS=%q: use a number from 2 to 1000", e.Getenv("DATABASE_MAX_CONNS"))}
	}
	bdb, err := db.OpenWith(e.databaseURL(), db.Options{MaxConns: maxConns})
	if err != nil {
		return nil, err
	}
	applied, err := db.Migrate(ctx, bdb)
	if err != nil {
		bdb.Close()
		return nil, err
	}
	if len(applied) > 0 {
		log.Info("database migrated", "applied", applied)
	}
	return bdb, nil
}

// Migrate applies pending migrations and exits.
// It needs only DATABASE_URL.
func Migrate(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: aikagi migrate\n\nApplies the database migrations this version needs to DATABASE_URL and lists them.")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	bdb, err := db.Open(env.databaseURL())
	if err != nil {
		return err
	}
	defer bdb.Close()
	applied, err := db.Migrate(ctx, bdb)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(env.Stdout, "database is up to date: nothing to apply")
		return nil
	}
	fmt.Fprintf(env.Stdout, "applied %d migrations:\n", len(applied))
	for _, name := range applied {
		fmt.Fprintln(env.Stdout, "  "+name)
	}
	return nil
}

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

func createAccount(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("account create", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	loginID := fs.String("login-id", "", "login ID (required)")
	email := fs.String("email", "", "registered e-mail address (required)")
	store := fs.String("store", "", "store name (required)")
	locale := fs.String("locale", "ja", "language of the account's mail: ja or en")
	password := fs.String("password", "", "initial password (visible in shell history; prefer --password-stdin)")
	fromStdin := fs.Bool("password-stdin", false, "read the initial password from the first line of standard input")
	if err := fs.Parse(args); err != nil {
		return err
	}
	id, addr := account.NormalizeLoginID(*loginID), account.NormalizeEmail(*email)
	en := views.T(views.En)
	if p := account.ValidateLoginID(id); p != "" {
		return fmt.Errorf("--login-id: %s", en.Problem(p))
	}
	if p := account.ValidateEmail(addr); p != "" {
		return fmt.Errorf("--email: %s", en.Problem(p))
	}
	if strings.TrimSpace(*store) == "" {
		return errors.New("--store: give the store name")
	}
	if _, ok := views.ParseLang(*locale); !ok {
		return errors.New("--locale: use ja or en")
	}
	pw := *password
	if *fromStdin {
		line, err := bufio.NewReader(env.Stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("--password-stdin: %w", err)
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	log := env.logger()
	cfg, bdb, err := env.open(ctx, log)
	if err != nil {
		return err
	}
	defer bdb.Close()
	if len([]rune(pw)) < cfg.PasswordMinLength {
		return fmt.Errorf("password: use at least %d characters (--password-stdin or --password)", cfg.PasswordMinLength)
	}
	acct := &db.Account{LoginID: id, Email: addr, StoreName: strings.TrimSpace(*store), Locale: *locale, PasswordHash: account.HashArgon2id(account.NormalizePassword(pw))}
	now := time.Now()
	err = bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := db.CreateAccount(ctx, tx, acct, now); err != nil {
			return err
		}
		return db.RecordAudit(ctx, tx, &db.AuditEvent{Kind: db.AuditAccountCreated, AccountID: &acct.ID, LoginID: acct.LoginID, Detail: "cli"}, now)
	})
	if errors.Is(err, db.ErrLoginIDTaken) {
		return fmt.Errorf("account create: login ID %q already exists", id)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "created account %d: %s <%s> %s (%s)\n", acct.ID, acct.LoginID, acct.Email, terminalSafe(acct.StoreName), acct.Locale)
	return nil
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

// OSEnv is the process's own environment.
func OSEnv() Env {
	return Env{Getenv: os.Getenv, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
}

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
