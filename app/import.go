package app

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"aikagi/db"
	"aikagi/views"
)

// importColumns is the header an import file must start with.
var importColumns = []string{"login_id", "email", "store_name", "locale", "password_hash"}

// importAccounts reads accounts from a CSV file (or "-" for standard input)
// with existing password hashes: bcrypt from the former admin site, or
// argon2id. Every bad row is reported by line number, and then nothing is
// imported: the file goes in whole or not at all.
func importAccounts(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("account import", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("account import: give one CSV file (or - for standard input) with the columns " + strings.Join(importColumns, ","))
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
	accounts, err := parseAccountCSV(in)
	if err != nil {
		return err
	}
	_, bdb, err := env.open(ctx, env.logger())
	if err != nil {
		return err
	}
	defer bdb.Close()
	now := time.Now()
	err = bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		for _, row := range accounts {
			if err := db.CreateAccount(ctx, tx, row.account, now); err != nil {
				if errors.Is(err, db.ErrLoginIDTaken) {
					return fmt.Errorf("line %d: login ID %q already exists", row.line, row.account.LoginID)
				}
				return fmt.Errorf("line %d: %w", row.line, err)
			}
			if err := db.RecordAudit(ctx, tx, &db.AuditEvent{Kind: db.AuditAccountImported, AccountID: &row.account.ID, LoginID: row.account.LoginID, Detail: "cli"}, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("account import: nothing imported: %w", err)
	}
	fmt.Fprintf(env.Stdout, "imported %d accounts\n", len(accounts))
	return nil
}

type importRow struct {
	line    int
	account *db.Account
}

// parseAccountCSV checks every row and reports all problems at once.
func parseAccountCSV(in io.Reader) ([]importRow, error) {
	r := csv.NewReader(in)
	r.FieldsPerRecord = len(importColumns)
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("account import: line 1: %w", err)
	}
	header[0] = strings.TrimPrefix(header[0], "\ufeff") // Excel's byte order mark
	if strings.Join(header, ",") != strings.Join(importColumns, ",") {
		return nil, fmt.Errorf("account import: line 1: the header must be %s", strings.Join(importColumns, ","))
	}
	en := views.T(views.En)
	var rows []importRow
	var problems []string
	slowHash := false
	seen := map[string]int{}
	for {
		record, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// A *csv.ParseError names its line; after a wrong field count
			// the reader can go on, after a broken quote it cannot.
			problems = append(problems, err.Error())
			if errors.Is(err, csv.ErrFieldCount) {
				continue
			}
			break
		}
		line, _ := r.FieldPos(0)
		loginID, email := normalizeLoginID(record[0]), normalizeEmail(record[1])
		store, locale, hash := strings.TrimSpace(record[2]), strings.TrimSpace(record[3]), strings.TrimSpace(record[4])
		var bad []string
		if p := validateLoginID(loginID); p != "" {
			bad = append(bad, "login_id: "+en.Problem(p))
		} else if first, dup := seen[loginID]; dup {
			bad = append(bad, fmt.Sprintf("login_id: %q already on line %d", loginID, first))
		}
		if p := validateEmail(email); p != "" {
			bad = append(bad, "email: "+en.Problem(p))
		}
		if store == "" {
			bad = append(bad, "store_name: empty")
		}
		if _, ok := views.ParseLang(locale); !ok {
			bad = append(bad, "locale: use ja or en")
		}
		if err := checkImportedHash(hash); err != nil {
			bad = append(bad, "password_hash: "+err.Error())
			slowHash = slowHash || errors.Is(err, errHashTooSlow)
		}
		if len(bad) > 0 {
			problems = append(problems, fmt.Sprintf("line %d: %s", line, strings.Join(bad, "; ")))
			continue
		}
		seen[loginID] = line
		rows = append(rows, importRow{line: line, account: &db.Account{LoginID: loginID, Email: email, StoreName: store, Locale: locale, PasswordHash: hash}})
	}
	if slowHash {
		problems = append(problems, "to import accounts with slower hashes: export them again at bcrypt cost 12 or lower, "+
			"or leave them out, create them with \"aikagi account create\" and send them a link with \"aikagi account send-reset\"")
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("account import: nothing imported:\n  %s", strings.Join(problems, "\n  "))
	}
	if len(rows) == 0 {
		return nil, errors.New("account import: the file has no accounts")
	}
	return rows, nil
}
