package cli

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/text/encoding/japanese"

	"aikagi/app/account"
	"aikagi/app/config"
	"aikagi/app/mail"
	"aikagi/db"
)

const importHeader = "login_id,email,store_name,locale,password_hash\n"

// cliDB is a SQLite file for the account commands of one test.
type cliDB struct {
	path string
}

func newCLIDB(t *testing.T) cliDB {
	t.Helper()
	return cliDB{path: filepath.Join(t.TempDir(), "cli.db")}
}

// run runs "account args…" against the database with stdin as input, and
// returns what it printed and its error.
func (c cliDB) run(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	env := map[string]string{"DATABASE_URL": "sqlite:" + c.path, "SECRET_KEY": testSecretHex}
	var stdout, stderr bytes.Buffer
	err := AccountCommand(context.Background(), Env{
		Getenv: getenvFrom(env),
		Stdin:  strings.NewReader(stdin),
		Stdout: &stdout,
		Stderr: &stderr,
	}, args)
	return stdout.String(), err
}

// importFile writes content to a CSV file and imports it.
func (c cliDB) importFile(t *testing.T, content string) (string, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "accounts.csv")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return c.run(t, "", "import", path)
}

// loginIDs lists the login IDs that "account list" shows.
func (c cliDB) loginIDs(t *testing.T) []string {
	t.Helper()
	out, err := c.run(t, "", "list")
	if err != nil {
		t.Fatalf("account list: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !strings.HasPrefix(lines[0], "ID") {
		t.Fatalf("account list has no header:\n%s", out)
	}
	var ids []string
	for _, line := range lines[1:] {
		if f := strings.Fields(line); len(f) > 1 {
			ids = append(ids, f[1])
		}
	}
	return ids
}

// open opens the database the commands wrote.
func (c cliDB) open(t *testing.T) *App {
	t.Helper()
	bdb, err := db.Open("sqlite:" + c.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bdb.Close() })
	cfg, err := config.Load(getenvFrom(testEnv()), noRandomKey(t))
	if err != nil {
		t.Fatal(err)
	}
	a := New(cfg, bdb, slog.New(slog.NewTextHandler(io.Discard, nil)), mail.NewDevMailbox())
	setClock(a, testStart)
	return a
}

func bcryptHash(t testing.TB, password string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

// TestImportAccounts imports a file as Excel saves it (byte order mark,
// CRLF) with bcrypt and argon2id hashes, and logs in with them.
func TestImportAccounts(t *testing.T) {
	t.Parallel()
	c := newCLIDB(t)
	legacy := bcryptHash(t, "legacy password one")
	modern := account.HashArgon2id("modern password two") // has commas: quoted in the file
	csv := "\ufeff" + strings.ReplaceAll(importHeader, "\n", "\r\n") +
		"taro01,taro01@example.jp,たろう商店,ja," + legacy + "\r\n" +
		"ｊｉｒｏ０２, Jiro.Suzuki@Example.jp ,\"Jiro's Bakery, Osaka\",en,\"" + modern + "\"\r\n" +
		"hana03,hana..03@docomo.ne.jp,はな花店,ja," + strings.Replace(bcryptHash(t, "third password"), "$2a$", "$2y$", 1) + "\r\n"
	out, err := c.importFile(t, csv)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if !strings.Contains(out, "imported 3 accounts") {
		t.Errorf("import output = %q", out)
	}
	if got := strings.Join(c.loginIDs(t), " "); got != "hana03 jiro02 taro01" {
		t.Errorf("account list shows %q, want hana03 jiro02 taro01", got)
	}
	list, _ := c.run(t, "", "list")
	for _, want := range []string{"Jiro.Suzuki@Example.jp", "Jiro's Bakery, Osaka", "hana..03@docomo.ne.jp", "たろう商店"} {
		if !strings.Contains(list, want) {
			t.Errorf("account list lacks %q:\n%s", want, list)
		}
	}

	a := c.open(t)
	ctx := context.Background()
	taro, err := db.FindAccountByLoginID(ctx, a.db, "taro01")
	if err != nil || taro == nil {
		t.Fatalf("taro01: %v", err)
	}
	if taro.PasswordHash != legacy || taro.Locale != "ja" || taro.StoreName != "たろう商店" {
		t.Errorf("taro01 = %+v", taro)
	}
	if got := countWhere(t, a, "audit_events", "kind", db.AuditAccountImported); got != 3 {
		t.Errorf("account_imported events = %d, want 3", got)
	}

	// The imported hashes work, and bcrypt is upgraded on login.
	for _, tc := range []struct{ loginID, password string }{
		{"taro01", "legacy password one"},
		{"jiro02", "modern password two"},
		{"hana03", "third password"},
	} {
		if res := loginAs(t, newFakeBrowser(a), tc.loginID, tc.password); res.Status != http.StatusSeeOther {
			t.Errorf("login %s: status %d\n%s", tc.loginID, res.Status, describe(res.Body))
		}
		if res := loginAs(t, newFakeBrowser(a), tc.loginID, tc.password+"x"); res.Status != http.StatusUnauthorized {
			t.Errorf("login %s with a wrong password: status %d", tc.loginID, res.Status)
		}
	}
	if h := storedHash(t, a, taro.ID); !strings.HasPrefix(h, "$argon2id$") {
		t.Errorf("taro01's bcrypt hash was not upgraded: %q", h)
	}
	if got := countWhere(t, a, "audit_events", "kind", db.AuditPasswordRehashed); got != 2 {
		t.Errorf("password_rehashed events = %d, want 2 (the two bcrypt accounts)", got)
	}
}

// The slowest hashes that import accepts still log in: bcrypt at cost 12,
// argon2id at the app's own parameters.
func TestImportSlowestAcceptedHashesLogIn(t *testing.T) {
	t.Parallel()
	c := newCLIDB(t)
	slowest, err := bcrypt.GenerateFromPassword([]byte("cost twelve password"), account.MaxImportBcryptCost)
	if err != nil {
		t.Fatal(err)
	}
	csv := importHeader +
		"slow01,slow01@example.jp,遅い店,ja," + string(slowest) + "\n" +
		"slow02,slow02@example.jp,遅い店,ja,\"$argon2id$v=19$m=19456,t=2,p=4$" + strings.SplitN(account.HashArgon2id("x"), "$", 5)[4] + "\"\n"
	if out, err := c.importFile(t, csv); err != nil {
		t.Fatalf("import: %v (%s)", err, out)
	}
	a := c.open(t)
	if res := loginAs(t, newFakeBrowser(a), "slow01", "cost twelve password"); res.Status != http.StatusSeeOther {
		t.Errorf("login with a cost-12 bcrypt hash: status %d", res.Status)
	}
	if res := loginAs(t, newFakeBrowser(a), "slow02", "wrong"); res.Status != http.StatusUnauthorized {
		t.Errorf("wrong password against an argon2id p=4 hash: status %d", res.Status)
	}
}

// TestImportHeader checks the header row: with or without Excel's byte
// order mark, and refused when the columns are not the expected ones.
func TestImportHeader(t *testing.T) {
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
			c := newCLIDB(t)
			_, err := c.importFile(t, tc.header+row)
			if tc.ok != (err == nil) {
				t.Fatalf("import error = %v, want ok=%v", err, tc.ok)
			}
			if !tc.ok && !strings.Contains(err.Error(), "line 1") {
				t.Errorf("error %q does not name line 1", err)
			}
			if got := len(c.loginIDs(t)); got != map[bool]int{true: 1, false: 0}[tc.ok] {
				t.Errorf("%d accounts imported", got)
			}
		})
	}
}

// TestImportRefusesBadRows checks that one bad row stops the whole file and
// that the error names every bad line.
func TestImportRefusesBadRows(t *testing.T) {
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
			c := newCLIDB(t)
			out, err := c.importFile(t, importHeader+tc.rows)
			if err == nil {
				t.Fatalf("import succeeded: %q", out)
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not mention %q:\n%v", want, err)
				}
			}
			if ids := c.loginIDs(t); len(ids) != 0 {
				t.Errorf("accounts imported despite the error: %v", ids)
			}
		})
	}
}

// TestImportSyntaxError checks a row that is not valid CSV (a stray quote
// as Excel users type them): a clear error with the line, not a crash.
func TestImportSyntaxError(t *testing.T) {
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
						t.Fatalf("import panicked: %v", r)
					}
				}()
				_, err = parseAccountCSV(strings.NewReader(importHeader + "ok01,ok01@example.jp,店,ja," + hash + "\n" + row))
			}()
			if err == nil || !strings.Contains(err.Error(), "line 3") {
				t.Errorf("error = %v, want one naming line 3", err)
			}
		})
	}
}

// TestImportExistingLoginID checks that a login ID already in the database
// stops the whole file, naming its line.
func TestImportExistingLoginID(t *testing.T) {
	t.Parallel()
	c := newCLIDB(t)
	if _, err := c.run(t, "a first password\n", "create", "--login-id", "taken01", "--email", "taken01@example.jp", "--store", "先客商店", "--password-stdin"); err != nil {
		t.Fatalf("account create: %v", err)
	}
	hash := bcryptHash(t, "existing id password")
	csv := importHeader +
		"new01,new01@example.jp,新店,ja," + hash + "\n" +
		"taken01,someone@example.jp,別の店,ja," + hash + "\n" +
		"new02,new02@example.jp,新店,ja," + hash + "\n"
	_, err := c.importFile(t, csv)
	if err == nil {
		t.Fatal("import succeeded although taken01 exists")
	}
	for _, want := range []string{"line 3", "taken01", "already exists", "nothing imported"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q: %v", want, err)
		}
	}
	if got := strings.Join(c.loginIDs(t), " "); got != "taken01" {
		t.Errorf("accounts after the refused import: %q, want only taken01", got)
	}
	a := c.open(t)
	acct, err := db.FindAccountByLoginID(context.Background(), a.db, "taken01")
	if err != nil || acct == nil || acct.Email != "taken01@example.jp" || acct.StoreName != "先客商店" {
		t.Errorf("the existing account changed: %+v, %v", acct, err)
	}
	if got := countWhere(t, a, "audit_events", "kind", db.AuditAccountImported); got != 0 {
		t.Errorf("account_imported events = %d, want 0", got)
	}
}

// TestImportFromStdin checks "-" for standard input, and the usage error.
func TestImportFromStdin(t *testing.T) {
	t.Parallel()
	c := newCLIDB(t)
	out, err := c.run(t, importHeader+"piped01,piped01@example.jp,パイプ店,en,"+bcryptHash(t, "piped password")+"\n", "import", "-")
	if err != nil || !strings.Contains(out, "imported 1 accounts") {
		t.Fatalf("import -: %q, %v", out, err)
	}
	if got := strings.Join(c.loginIDs(t), " "); got != "piped01" {
		t.Errorf("accounts = %q", got)
	}
	if _, err := c.run(t, "", "import"); err == nil || !strings.Contains(err.Error(), "login_id,email,store_name,locale,password_hash") {
		t.Errorf("import without a file: %v, want the usage with the columns", err)
	}
	if _, err := c.run(t, "", "import", filepath.Join(t.TempDir(), "missing.csv")); err == nil {
		t.Error("import of a missing file succeeded")
	}
}

// A Shift_JIS export is refused with its line and the command that
// converts it, and nothing is stored as mojibake.
func TestImportRefusesShiftJIS(t *testing.T) {
	t.Parallel()
	c := newCLIDB(t)
	hash := bcryptHash(t, "shift jis password")
	utf8Rows := "sjis01,sjis01@example.jp,ascii store,ja," + hash + "\n" + "sjis02,sjis02@example.jp,山田商店,ja," + hash + "\n"
	sjis, err := japanese.ShiftJIS.NewEncoder().String(importHeader + utf8Rows)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.importFile(t, sjis)
	if err == nil {
		t.Fatal("a Shift_JIS file was imported")
	}
	for _, want := range []string{"not UTF-8", "line 3", "iconv -f SHIFT_JIS -t UTF-8", "nothing imported"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q: %v", want, err)
		}
	}
	if strings.Contains(err.Error(), "line 2") {
		t.Errorf("line 2 is plain ASCII, yet named: %v", err)
	}
	if ids := c.loginIDs(t); len(ids) != 0 {
		t.Errorf("accounts imported: %v", ids)
	}
}

// Every duplicate is reported at once: within the file and against the
// database, with the other problems of the file.
func TestImportReportsEveryDuplicateAtOnce(t *testing.T) {
	t.Parallel()
	c := newCLIDB(t)
	for _, id := range []string{"old01", "old02"} {
		if _, err := c.run(t, "a first password\n", "create", "--login-id", id, "--email", id+"@example.jp", "--store", "既存店", "--password-stdin"); err != nil {
			t.Fatalf("account create: %v", err)
		}
	}
	hash := bcryptHash(t, "duplicates password")
	row := func(id string) string { return id + "," + id + "@example.jp,店,ja," + hash + "\n" }
	csv := importHeader + row("old01") + row("new01") + row("new01") + row("old02") + "bad,not-an-address,店,ja," + hash + "\n"
	_, err := c.importFile(t, csv)
	if err == nil {
		t.Fatal("import succeeded")
	}
	for _, want := range []string{`line 2: login_id: "old01" already exists`, `line 4: login_id: "new01" already on line 3`,
		`line 5: login_id: "old02" already exists`, "line 6: email"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not report %q:\n%v", want, err)
		}
	}
}

// An empty locale means Japanese; --update corrects the address, store
// name and locale of existing accounts and keeps their passwords.
func TestImportUpdate(t *testing.T) {
	t.Parallel()
	c := newCLIDB(t)
	hash := bcryptHash(t, "update password one")
	if _, err := c.importFile(t, importHeader+"upd01,upd01@example.jp,ÃmojibakeÃ,,"+hash+"\n"); err != nil {
		t.Fatalf("first import: %v", err)
	}
	a := c.open(t)
	acct, err := db.FindAccountByLoginID(context.Background(), a.db, "upd01")
	if err != nil || acct == nil || acct.Locale != "ja" {
		t.Fatalf("upd01 after an empty locale: %+v, %v", acct, err)
	}
	other := bcryptHash(t, "another password")
	out, err := c.run(t, importHeader+"upd01,fixed@example.jp,山田商店,en,"+other+"\n"+"upd02,upd02@example.jp,新店,ja,"+other+"\n", "import", "--update", "-")
	if err != nil {
		t.Fatalf("import --update: %v", err)
	}
	if !strings.Contains(out, "imported 1 accounts, updated 1") {
		t.Errorf("import --update printed %q", out)
	}
	got, _ := db.FindAccountByLoginID(context.Background(), a.db, "upd01")
	if got.Email != "fixed@example.jp" || got.StoreName != "山田商店" || got.Locale != "en" || got.PasswordHash != hash {
		t.Errorf("upd01 after --update = %+v; want address, store and locale corrected and the password kept", got)
	}
	if n := countWhere(t, a, "audit_events", "kind", db.AuditAccountUpdated); n != 1 {
		t.Errorf("account_updated events = %d, want 1", n)
	}
}
