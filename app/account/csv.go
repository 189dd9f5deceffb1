package account

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"aikagi/app/problem"
	"aikagi/app/route"
	"aikagi/db"
)

// ImportColumns is the header an import file must start with.
var ImportColumns = []string{"login_id", "email", "store_name", "locale", "password_hash"}

// ImportProblems is the error that lists every problem of a file, or nil.
func ImportProblems(problems []string, rows int) error {
	if len(problems) > 0 {
		return fmt.Errorf("account import: nothing imported:\n  %s", strings.Join(problems, "\n  "))
	}
	if rows == 0 {
		return errors.New("account import: the file has no accounts")
	}
	return nil
}

// ReadCSV checks every row and returns the good ones with every
// problem found, by line, each field's problem worded by word (the import
// command's words are English); err is for a file that cannot be read at
// all.
func ReadCSV(in io.Reader, word func(problem.Problem) string) (rows []ImportRow, problems []string, err error) {
	data, err := io.ReadAll(in)
	if err != nil {
		return nil, nil, fmt.Errorf("account import: %w", err)
	}
	if err := checkUTF8(data); err != nil {
		return nil, nil, err
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = len(ImportColumns)
	header, err := r.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("account import: line 1: %w", err)
	}
	header[0] = strings.TrimPrefix(header[0], "\ufeff") // Excel's byte order mark
	if strings.Join(header, ",") != strings.Join(ImportColumns, ",") {
		return nil, nil, fmt.Errorf("account import: line 1: the header must be %s", strings.Join(ImportColumns, ","))
	}
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
		acct, bad, slow := checkRow(record, seen, word)
		slowHash = slowHash || slow
		if len(bad) > 0 {
			problems = append(problems, fmt.Sprintf("line %d: %s", line, strings.Join(bad, "; ")))
			continue
		}
		seen[db.LoginKey(acct.LoginID)] = line
		rows = append(rows, ImportRow{Line: line, Account: acct})
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

// ImportRow is a checked row of an import file.
type ImportRow struct {
	Line    int
	Account *db.Account
}

// checkRow reads one record of an import file. bad lists what is wrong
// with it, worded by word; slow reports a hash refused as too slow to
// check. seen holds the login IDs of the rows before, by db.LoginKey, with
// their lines.
func checkRow(record []string, seen map[string]int, word func(problem.Problem) string) (acct *db.Account, bad []string, slow bool) {
	acct = &db.Account{
		LoginID:      NormalizeLoginID(record[0]),
		Email:        NormalizeEmail(record[1]),
		StoreName:    strings.TrimSpace(record[2]),
		Locale:       cmp.Or(strings.TrimSpace(record[3]), string(route.Ja)),
		PasswordHash: strings.TrimSpace(record[4]),
	}
	if p := ValidateLoginID(acct.LoginID); p != "" {
		bad = append(bad, "login_id: "+word(p))
	} else if first, dup := seen[db.LoginKey(acct.LoginID)]; dup {
		bad = append(bad, fmt.Sprintf("login_id: %q already on line %d (login IDs are matched without regard to case)", acct.LoginID, first))
	}
	if p := ValidateEmail(acct.Email); p != "" {
		bad = append(bad, "email: "+word(p))
	}
	if acct.StoreName == "" {
		bad = append(bad, "store_name: empty")
	} else if err := CheckStoreName(acct.StoreName); err != nil {
		bad = append(bad, "store_name: "+err.Error())
	}
	if _, ok := route.ParseLang(acct.Locale); !ok {
		bad = append(bad, "locale: use ja or en")
	}
	if err := CheckImportedHash(acct.PasswordHash); err != nil {
		bad = append(bad, "password_hash: "+err.Error())
		slow = errors.Is(err, ErrHashTooSlow)
	}
	return acct, bad, slow
}
