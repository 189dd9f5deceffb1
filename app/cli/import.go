package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"aikagi/app/account"
	"aikagi/db"
	"aikagi/views"
)

// importAccounts reads accounts from a CSV file (or "-" for standard input)
// with existing password hashes: bcrypt from the former admin site, or
// argon2id. Every bad row is reported by line number, and then nothing is
// imported: the file goes in whole or not at all. With --update, rows
// whose login ID exists correct that account's address, store name and
// locale (its password stays); without it they are refused. Login IDs
// that differ only in case from another row's or an account's are
// refused, all of them at once.
func importAccounts(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("account import", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	update := fs.Bool("update", false, "correct the address, store name and locale of accounts that exist (passwords are kept)")
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "usage: aikagi account import [--update] FILE.csv|-\n\nImports accounts from a UTF-8 CSV file with the header %s.\n\n", strings.Join(account.ImportColumns, ","))
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("account import: give one CSV file (or - for standard input) with the columns " + strings.Join(account.ImportColumns, ","))
	}
	var in io.Reader = env.Stdin
	if name := fs.Arg(0); name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("account import: %w", err)
		}
		defer f.Close()
		in = f
	}
	accounts, problems, err := account.ReadCSV(in, views.T(views.En).Problem)
	if err != nil {
		return err
	}
	bdb, err := env.openDB(ctx, env.logger())
	if err != nil {
		return err
	}
	defer bdb.Close()
	created, updated := 0, 0
	err = bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		existing, err := db.ExistingLoginIDs(ctx, tx, loginIDsOf(accounts))
		if err != nil {
			return err
		}
		problems = append(problems, takenLoginIDs(accounts, existing, *update)...)
		if err := account.ImportProblems(problems, len(accounts)); err != nil {
			return err
		}
		created, updated, err = storeImported(ctx, tx, accounts, existing, time.Now())
		return err
	})
	if err != nil {
		return fmt.Errorf("account import: nothing imported: %w", err)
	}
	if *update {
		fmt.Fprintf(env.Stdout, "imported %d accounts, updated %d\n", created, updated)
		return nil
	}
	fmt.Fprintf(env.Stdout, "imported %d accounts\n", created)
	return nil
}

func loginIDsOf(rows []account.ImportRow) []string {
	ids := make([]string, len(rows))
	for i, row := range rows {
		ids[i] = row.Account.LoginID
	}
	return ids
}

// takenLoginIDs reports every row whose login ID has an account already,
// in any case; with update, only those whose case differs from the
// account's (an update names the account as registered).
func takenLoginIDs(rows []account.ImportRow, existing map[string]db.Account, update bool) []string {
	var taken []string
	for _, row := range rows {
		found, ok := existing[db.LoginKey(row.Account.LoginID)]
		switch {
		case !ok:
		case found.LoginID != row.Account.LoginID:
			taken = append(taken, fmt.Sprintf("line %d: login_id: %q differs only in case from the existing %q; "+
				"login IDs are matched without regard to case", row.Line, row.Account.LoginID, found.LoginID))
		case !update:
			taken = append(taken, fmt.Sprintf("line %d: login_id: %q already exists (use --update to correct existing accounts)", row.Line, row.Account.LoginID))
		}
	}
	return taken
}

// storeImported writes the checked rows in tx: new login IDs are created,
// existing ones updated.
func storeImported(ctx context.Context, tx bun.Tx, rows []account.ImportRow, existing map[string]db.Account, now time.Time) (created, updated int, err error) {
	for _, row := range rows {
		a := row.Account
		event := &db.AuditEvent{Kind: db.AuditAccountImported, LoginID: a.LoginID, Detail: "cli"}
		if found, ok := existing[db.LoginKey(a.LoginID)]; ok {
			id := found.ID
			if err := db.UpdateAccountDetails(ctx, tx, id, a.Email, a.StoreName, a.Locale, now); err != nil {
				return 0, 0, fmt.Errorf("line %d: %w", row.Line, err)
			}
			event.Kind, event.AccountID = db.AuditAccountUpdated, &id
			updated++
		} else {
			if err := db.CreateAccount(ctx, tx, a, now); err != nil {
				return 0, 0, fmt.Errorf("line %d: %w", row.Line, err)
			}
			event.AccountID = &a.ID
			created++
		}
		if err := db.RecordAudit(ctx, tx, event, now); err != nil {
			return 0, 0, err
		}
	}
	return created, updated, nil
}
