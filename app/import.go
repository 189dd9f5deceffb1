package app

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"aikagi/app/account"
	"aikagi/db"
	"aikagi/views"
)

// importColumns is the header an import file must start with.
var importColumns = []string{"login_id", "email", "store_name", "locale", "password_hash"}

// importAccounts reads accounts from a CSV file (or "-" for standard input)
// with existing password hashes: bcrypt from the former admin site, or
// argon2id. Every bad row is reported by line number, and then nothing is
// imported: the file goes in whole or not at all. With --update, rows
// whose login ID exists correct that account's address, store name and
// locale (its password stays); without it they are refused.
func importAccounts(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("account import", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	update := fs.Bool("update", false, "correct the address, store name and locale of accounts that exist (passwords are kept)")
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "usage: aikagi account import [--update] FILE.csv|-\n\nImports accounts from a UTF-8 CSV file with the header %s.\n\n", strings.Join(importColumns, ","))
		fs.PrintDefaults()
	}
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
	accounts, problems, err := readAccountCSV(in)
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
		if !*update {
			problems = append(problems, takenLoginIDs(accounts, existing)...)
		}
		if err := importProblems(problems, len(accounts)); err != nil {
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

func loginIDsOf(rows []importRow) []string {
	ids := make([]string, len(rows))
	for i, row := range rows {
		ids[i] = row.account.LoginID
	}
	return ids
}

// takenLoginIDs reports every row whose login ID has an account already.
func takenLoginIDs(rows []importRow, existing map[string]int64) []string {
	var taken []string
	for _, row := range rows {
		if _, ok := existing[row.account.LoginID]; ok {
			taken = append(taken, fmt.Sprintf("line %d: login_id: %q already exists (use --update to correct existing accounts)", row.line, row.account.LoginID))
		}
	}
	return taken
}

// storeImported writes the checked rows in tx: new login IDs are created,
// existing ones updated.
func storeImported(ctx context.Context, tx bun.Tx, rows []importRow, existing map[string]int64, now time.Time) (created, updated int, err error) {
	for _, row := range rows {
		a := row.account
		event := &db.AuditEvent{Kind: db.AuditAccountImported, LoginID: a.LoginID, Detail: "cli"}
		if id, ok := existing[a.LoginID]; ok {
			if err := db.UpdateAccountDetails(ctx, tx, id, a.Email, a.StoreName, a.Locale, now); err != nil {
				return 0, 0, fmt.Errorf("line %d: %w", row.line, err)
			}
			event.Kind, event.AccountID = db.AuditAccountUpdated, &id
			updated++
		} else {
			if err := db.CreateAccount(ctx, tx, a, now); err != nil {
				return 0, 0, fmt.Errorf("line %d: %w", row.line, err)
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

// parseAccountCSV reads and checks a whole file against itself; the import
// also checks it against the database.
func parseAccountCSV(in io.Reader) ([]importRow, error) {
	rows, problems, err := readAccountCSV(in)
	if err != nil {
		return nil, err
	}
	return rows, importProblems(problems, len(rows))
}

// importProblems is the error that lists every problem of a file, or nil.
func importProblems(problems []string, rows int) error {
	if len(problems) > 0 {
		return fmt.Errorf("account import: nothing imported:\n  %s", strings.Join(problems, "\n  "))
	}
	if rows == 0 {
		return errors.New("account import: the file has no accounts")
	}
	return nil
}

// readAccountCSV checks every row and returns the good ones with every
// problem found, by line; err is for a file that cannot be read at all.
func readAccountCSV(in io.Reader) (rows []importRow, problems []string, err error) {
	data, err := io.ReadAll(in)
	if err != nil {
		return nil, nil, fmt.Errorf("account import: %w", err)
	}
	if err := checkUTF8(data); err != nil {
		return nil, nil, err
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = len(importColumns)
	header, err := r.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("account import: line 1: %w", err)
	}
	header[0] = strings.TrimPrefix(header[0], "\ufeff") // Excel's byte order mark
	if strings.Join(header, ",") != strings.Join(importColumns, ",") {
		return nil, nil, fmt.Errorf("account import: line 1: the header must be %s", strings.Join(importColumns, ","))
	}
	en := views.T(views.En)
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
		loginID, email := account.NormalizeLoginID(record[0]), account.NormalizeEmail(record[1])
		store, locale, hash := strings.TrimSpace(record[2]), strings.TrimSpace(record[3]), strings.TrimSpace(record[4])
		var bad []string
		if p := account.ValidateLoginID(loginID); p != "" {
			bad = append(bad, "login_id: "+en.Problem(p))
		} else if first, dup := seen[loginID]; dup {
			bad = append(bad, fmt.Sprintf("login_id: %q already on line %d", loginID, first))
		}
		if p := account.ValidateEmail(email); p != "" {
			bad = append(bad, "email: "+en.Problem(p))
		}
		if store == "" {
			bad = append(bad, "store_name: empty")
		}
		if locale == "" {
			locale = string(views.Ja)
		}
		if _, ok := views.ParseLang(locale); !ok {
			bad = append(bad, "locale: use ja or en")
		}
		if err := account.CheckImportedHash(hash); err != nil {
			bad = append(bad, "password_hash: "+err.Error())
			slowHash = slowHash || errors.Is(err, account.ErrHashTooSlow)
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
	return rows, problems, nil
}

// checkUTF8 refuses a file that is not UTF-8, naming its first bad lines:
// a Shift_JIS export from the old site would otherwise be stored as
// mojibake.
func checkUTF8(data []byte) error {
	if utf8.Valid(data) {
		return nil
	}
	var bad []string
	for i, line := range bytes.Split(data, []byte("\n")) {
		if !utf8.Valid(line) {
			bad = append(bad, strconv.Itoa(i+1))
			if len(bad) == 5 {
				bad = append(bad, "…")
				break
			}
		}
	}
	return fmt.Errorf("account import: nothing imported: the file is not UTF-8 (line %s); "+
		"if it came from the old site as Shift_JIS, convert it first: iconv -f SHIFT_JIS -t UTF-8 FILE > FILE.utf8.csv", strings.Join(bad, ", "))
}

type importRow struct {
	line    int
	account *db.Account
}
