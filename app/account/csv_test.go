package account

import (
	"aikagi/views"
	"io"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/text/encoding/japanese"
)

const importHeader = "login_id,email,store_name,locale,password_hash\n"

func bcryptHash(t testing.TB, password string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

// checkFile checks a whole file against itself, as the import command
// does before it looks at the database: every row read, and every
// problem of the file in one error.
func checkFile(in io.Reader) ([]ImportRow, error) {
	rows, problems, err := ReadCSV(in, views.T(views.En).Problem)
	if err != nil {
		return nil, err
	}
	return rows, ImportProblems(problems, len(rows))
}

// TestReadCSVHeader checks the header row: with or without Excel's byte
// order mark, and refused when the columns are not the expected ones.
func TestReadCSVHeader(t *testing.T) {
	t.Parallel()
	row := "taro01,taro01@example.jp,たろう商店,ja," + bcryptHash(t, "header test password") + "\n"
	for _, tc := range []struct {
		name, header string
		ok           bool
	}{
		{"plain", importHeader, true},
		{"byte order mark", "\ufeff" + importHeader, true},
		{"CRLF", "login_id,email,store_name,locale,password_hash\r\n", true},
		{"columns in another order", "email,login_id,store_name,locale,password_hash\n", false},
		{"upper case", strings.ToUpper(importHeader), false},
		{"missing", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := checkFile(strings.NewReader(tc.header + row))
			if tc.ok != (err == nil) {
				t.Fatalf("error = %v, want ok=%v", err, tc.ok)
			}
			if !tc.ok && !strings.Contains(err.Error(), "line 1") {
				t.Errorf("error %q does not name line 1", err)
			}
			if tc.ok && (len(rows) != 1 || rows[0].Account.LoginID != "taro01" || rows[0].Line != 2) {
				t.Errorf("rows = %+v, want taro01 on line 2", rows)
			}
		})
	}
}

// TestReadCSVRefusesBadRows checks that each kind of bad row is refused
// with its line and column, and that every bad line is named at once.
func TestReadCSVRefusesBadRows(t *testing.T) {
	t.Parallel()
	hash := bcryptHash(t, "bad rows password")
	good := func(id string) string { return id + "," + id + "@example.jp,よい店,ja," + hash + "\n" }
	cases := []struct {
		name string
		rows string
		want []string
	}{
		{"bad e-mail", good("ok01") + "bad01,not-an-address,店,ja," + hash + "\n" + good("ok02"), []string{"line 3", "email"}},
		{"unknown locale", good("ok01") + "bad01,bad01@example.jp,店,fr," + hash + "\n", []string{"line 3", "locale"}},
		{"locale in upper case", good("ok01") + "bad01,bad01@example.jp,店,JA," + hash + "\n", []string{"line 3", "locale"}},
		{"plain-text password", good("ok01") + "bad01,bad01@example.jp,店,ja,hunter2hunter2\n", []string{"line 3", "password_hash"}},
		{"empty hash", good("ok01") + "bad01,bad01@example.jp,店,ja,\n", []string{"line 3", "password_hash"}},
		{"truncated bcrypt hash", good("ok01") + "bad01,bad01@example.jp,店,ja," + hash[:40] + "\n", []string{"line 3", "password_hash"}},
		{"MD5 crypt hash", good("ok01") + "bad01,bad01@example.jp,店,ja,$1$saltsalt$qjXMvbEw8oaL.CzflDugX/\n", []string{"line 3", "password_hash"}},
		{"bcrypt above cost 12", good("ok01") + "bad01,bad01@example.jp,店,ja," + strings.Replace(hash, "$04$", "$13$", 1) + "\n",
			[]string{"line 3", "bcrypt cost 13 is above 12", "export them again"}},
		{"argon2id above the app's memory", good("ok01") + "bad01,bad01@example.jp,店,ja,\"$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA\"\n",
			[]string{"line 3", "m=65536", "export them again"}},
		{"argon2id above the app's passes", good("ok01") + "bad01,bad01@example.jp,店,ja,\"$argon2id$v=19$m=19456,t=3,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA\"\n",
			[]string{"line 3", "t=3"}},
		{"argon2id with absurd memory", good("ok01") + "bad01,bad01@example.jp,店,ja,\"$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA\"\n", []string{"line 3", "password_hash"}},
		{"empty store name", good("ok01") + "bad01,bad01@example.jp, ,ja," + hash + "\n", []string{"line 3", "store_name"}},
		{"right-to-left override in the store name", good("ok01") + "bad01,bad01@example.jp,店\u202egnp.exe,ja," + hash + "\n", []string{"line 3", "store_name", "U+202E"}},
		{"zero-width space in the store name", good("ok01") + "bad01,bad01@example.jp,山田\u200b商店,ja," + hash + "\n", []string{"line 3", "store_name", "U+200B"}},
		{"escape in the store name", good("ok01") + "bad01,bad01@example.jp,店\x1b[2J,ja," + hash + "\n", []string{"line 3", "store_name", "U+001B"}},
		{"login ID with a space", good("ok01") + "bad 01,bad01@example.jp,店,ja," + hash + "\n", []string{"line 3", "login_id"}},
		{"empty login ID", good("ok01") + ",bad01@example.jp,店,ja," + hash + "\n", []string{"line 3", "login_id"}},
		{"duplicate login ID", good("ok01") + good("ok02") + good("ok01"), []string{"line 4", "login_id", "line 2"}},
		{"duplicate after normalisation", good("ok01") + "ｏｋ０１,other@example.jp,店,ja," + hash + "\n", []string{"line 3", "login_id", "line 2"}},
		{"too few columns", good("ok01") + "bad01,bad01@example.jp,店,ja\n", []string{"line 3", "wrong number of fields"}},
		{"too many columns", good("ok01") + "bad01,bad01@example.jp,店,ja," + hash + ",extra\n", []string{"line 3", "wrong number of fields"}},
		{"several bad rows", good("ok01") + "bad01,nope,店,ja," + hash + "\n" + good("ok02") + "bad02,bad02@example.jp,店,xx," + hash + "\n",
			[]string{"line 3", "line 5"}},
		{"no rows", "", []string{"no accounts"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := checkFile(strings.NewReader(importHeader + tc.rows))
			if err == nil {
				t.Fatal("the file was accepted")
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not mention %q:\n%v", want, err)
				}
			}
		})
	}
}

// TestReadCSVAcceptsTheSlowestHashes checks the bounds of what is
// accepted: bcrypt at cost 12 and argon2id at the app's memory and passes
// with four lanes. That they log in is tested in package app
// (TestImportedHashesLogIn).
func TestReadCSVAcceptsTheSlowestHashes(t *testing.T) {
	t.Parallel()
	slowest, err := bcrypt.GenerateFromPassword([]byte("cost twelve password"), MaxImportBcryptCost)
	if err != nil {
		t.Fatal(err)
	}
	argonP4 := "$argon2id$v=19$m=19456,t=2,p=4$" + strings.SplitN(HashArgon2id("x"), "$", 5)[4]
	csv := importHeader +
		"slow01,slow01@example.jp,遅い店,ja," + string(slowest) + "\n" +
		"slow02,slow02@example.jp,遅い店,ja,\"" + argonP4 + "\"\n"
	rows, err := checkFile(strings.NewReader(csv))
	if err != nil {
		t.Fatalf("refused: %v", err)
	}
	if len(rows) != 2 || rows[0].Account.PasswordHash != string(slowest) || rows[1].Account.PasswordHash != argonP4 {
		t.Errorf("rows = %+v, want both accounts with their hashes as given", rows)
	}
}

// TestReadCSVSyntaxError checks a row that is not valid CSV (a stray quote
// as Excel users type them): a clear error with the line, not a crash.
func TestReadCSVSyntaxError(t *testing.T) {
	t.Parallel()
	hash := bcryptHash(t, "syntax error password")
	for name, row := range map[string]string{
		"stray quote":        `ta"ro01,taro01@example.jp,店,ja,` + hash + "\n",
		"unterminated quote": `"taro01,taro01@example.jp,店,ja,` + hash + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			var err error
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("ReadCSV panicked: %v", r)
					}
				}()
				_, err = checkFile(strings.NewReader(importHeader + "ok01,ok01@example.jp,店,ja," + hash + "\n" + row))
			}()
			if err == nil || !strings.Contains(err.Error(), "line 3") {
				t.Errorf("error = %v, want one naming line 3", err)
			}
		})
	}
}

// A Shift_JIS export is refused with its line and the command that
// converts it, before any row is read, so nothing is stored as mojibake.
func TestReadCSVRefusesShiftJIS(t *testing.T) {
	t.Parallel()
	hash := bcryptHash(t, "shift jis password")
	utf8Rows := "sjis01,sjis01@example.jp,ascii store,ja," + hash + "\n" + "sjis02,sjis02@example.jp,山田商店,ja," + hash + "\n"
	sjis, err := japanese.ShiftJIS.NewEncoder().String(importHeader + utf8Rows)
	if err != nil {
		t.Fatal(err)
	}
	rows, problems, err := ReadCSV(strings.NewReader(sjis), views.T(views.En).Problem)
	if err == nil {
		t.Fatalf("a Shift_JIS file was read: %+v, %v", rows, problems)
	}
	for _, want := range []string{"not UTF-8", "line 3", "iconv -f SHIFT_JIS -t UTF-8", "nothing imported"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q: %v", want, err)
		}
	}
	if strings.Contains(err.Error(), "line 2") {
		t.Errorf("line 2 is plain ASCII, yet named: %v", err)
	}
	if len(rows) != 0 {
		t.Errorf("rows read: %+v", rows)
	}
}
