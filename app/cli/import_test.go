package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/text/encoding/japanese"

	"aikagi/app/account"
	"aikagi/db"
)

// The parsing of the file, line by line, is tested in package account
// (csv_test.go); logging in with imported hashes in package app
// (operator_test.go). These tests are the command's: what it stores, what
// it prints, and that a file goes in whole or not at all.

const importHeader = "login_id,email,store_name,locale,password_hash\n"

// importFile writes content to a CSV file and imports it.
func (c cliDB) importFile(t *testing.T, content string) (string, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "accounts.csv")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return c.run(t, "", "import", path)
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
// CRLF) with bcrypt and argon2id hashes: each account is stored as the file
// says, normalised as the forms do, with its hash untouched.
func TestImportAccounts(t *testing.T) {
	t.Parallel()
	c := newCLIDB(t, "sqlite")
	legacy := bcryptHash(t, "legacy password one")
	modern := account.HashArgon2id("modern password two") // has commas: quoted in the file
	third := strings.Replace(bcryptHash(t, "third password"), "$2a$", "$2y$", 1)
	csv := "\ufeff" + strings.ReplaceAll(importHeader, "\n", "\r\n") +
		"taro01,taro01@example.jp,たろう商店,ja," + legacy + "\r\n" +
		"ｊｉｒｏ０２, Jiro.Suzuki@Example.jp ,\"Jiro's Bakery, Osaka\",en,\"" + modern + "\"\r\n" +
		"hana03,hana..03@docomo.ne.jp,はな花店,ja," + third + "\r\n"
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

	bdb := c.open(t)
	for _, want := range []db.Account{
		{LoginID: "taro01", Email: "taro01@example.jp", StoreName: "たろう商店", Locale: "ja", PasswordHash: legacy},
		{LoginID: "jiro02", Email: "Jiro.Suzuki@Example.jp", StoreName: "Jiro's Bakery, Osaka", Locale: "en", PasswordHash: modern},
		{LoginID: "hana03", Email: "hana..03@docomo.ne.jp", StoreName: "はな花店", Locale: "ja", PasswordHash: third},
	} {
		got, err := db.FindAccountByLoginID(context.Background(), bdb, want.LoginID)
		if err != nil || got == nil {
			t.Fatalf("%s: %v", want.LoginID, err)
		}
		if got.Email != want.Email || got.StoreName != want.StoreName || got.Locale != want.Locale || got.PasswordHash != want.PasswordHash {
			t.Errorf("%s = %+v, want %+v", want.LoginID, got, want)
		}
	}
	if got := countWhere(t, bdb, "audit_events", "kind", db.AuditAccountImported); got != 3 {
		t.Errorf("account_imported events = %d, want 3", got)
	}
}

// TestImportStoresNothingOnAProblem checks that one problem in a file,
// whatever its kind, stops the whole file.
func TestImportStoresNothingOnAProblem(t *testing.T) {
	t.Parallel()
	hash := bcryptHash(t, "all or nothing password")
	good := func(id, store string) string { return id + "," + id + "@example.jp," + store + ",ja," + hash + "\n" }
	sjis, err := japanese.ShiftJIS.NewEncoder().String(importHeader + good("sjis01", "ascii store") + good("sjis02", "山田商店"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, file, want string
	}{
		{"a bad row among good ones", importHeader + good("ok01", "店") + "bad01,not-an-address,店,ja," + hash + "\n" + good("ok02", "店"), "line 3"},
		{"a Shift_JIS file", sjis, "not UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCLIDB(t, "sqlite")
			out, err := c.importFile(t, tc.file)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "nothing imported") {
				t.Fatalf("import: %q, %v; want an error naming %q", out, err, tc.want)
			}
			if ids := c.loginIDs(t); len(ids) != 0 {
				t.Errorf("accounts imported despite the error: %v", ids)
			}
		})
	}
}

// TestImportExistingLoginID checks that a login ID already in the database
// stops the whole file, naming its line.
func TestImportExistingLoginID(t *testing.T) {
	t.Parallel()
	c := newCLIDB(t, "sqlite")
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
	bdb := c.open(t)
	acct, err := db.FindAccountByLoginID(context.Background(), bdb, "taken01")
	if err != nil || acct == nil || acct.Email != "taken01@example.jp" || acct.StoreName != "先客商店" {
		t.Errorf("the existing account changed: %+v, %v", acct, err)
	}
	if got := countWhere(t, bdb, "audit_events", "kind", db.AuditAccountImported); got != 0 {
		t.Errorf("account_imported events = %d, want 0", got)
	}
}

// TestImportFromStdin checks "-" for standard input, and the usage error.
func TestImportFromStdin(t *testing.T) {
	t.Parallel()
	c := newCLIDB(t, "sqlite")
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

// Every duplicate is reported at once: within the file and against the
// database, with the other problems of the file.
func TestImportReportsEveryDuplicateAtOnce(t *testing.T) {
	t.Parallel()
	c := newCLIDB(t, "sqlite")
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

// Login IDs that differ only in case from another row's or an existing
// account's are refused, every such line at once, with or without
// --update (an update names the account as registered).
func TestImportRefusesLoginIDsDifferingInCase(t *testing.T) {
	t.Parallel()
	c := newCLIDB(t, "sqlite")
	if _, err := c.run(t, "a first password\n", "create", "--login-id", "taro-01", "--email", "taro01@example.jp", "--store", "既存店", "--password-stdin"); err != nil {
		t.Fatalf("account create: %v", err)
	}
	hash := bcryptHash(t, "case password")
	row := func(id string) string { return id + "," + strings.ToLower(id) + "@example.jp,店,ja," + hash + "\n" }
	csv := importHeader + row("TARO-01") + row("hanako-02") + row("HANAKO-02") + row("Ｈａｎａｋｏ-02") + row("jiro-03")
	for _, args := range [][]string{{"import", "-"}, {"import", "--update", "-"}} {
		_, err := c.run(t, csv, args...)
		if err == nil {
			t.Fatalf("%v: imported login IDs that differ only in case", args)
		}
		for _, want := range []string{`line 2: login_id: "TARO-01" differs only in case from the existing "taro-01"`,
			`line 4: login_id: "HANAKO-02" already on line 3`, `line 5: login_id: "Hanako-02" already on line 3`, "nothing imported"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%v: the refusal does not report %q:\n%v", args, want, err)
			}
		}
		if strings.Contains(err.Error(), "jiro-03") || strings.Contains(err.Error(), "line 3:") {
			t.Errorf("%v: a line that collides with nothing before it is reported:\n%v", args, err)
		}
	}
	if got := strings.Join(c.loginIDs(t), " "); got != "taro-01" {
		t.Errorf("accounts after the refused imports: %q, want only taro-01", got)
	}
}

// An empty locale means Japanese; --update corrects the address, store
// name and locale of existing accounts and keeps their passwords.
func TestImportUpdate(t *testing.T) {
	t.Parallel()
	c := newCLIDB(t, "sqlite")
	hash := bcryptHash(t, "update password one")
	if _, err := c.importFile(t, importHeader+"upd01,upd01@example.jp,ÃmojibakeÃ,,"+hash+"\n"); err != nil {
		t.Fatalf("first import: %v", err)
	}
	bdb := c.open(t)
	acct, err := db.FindAccountByLoginID(context.Background(), bdb, "upd01")
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
	got, _ := db.FindAccountByLoginID(context.Background(), bdb, "upd01")
	if got.Email != "fixed@example.jp" || got.StoreName != "山田商店" || got.Locale != "en" || got.PasswordHash != hash {
		t.Errorf("upd01 after --update = %+v; want address, store and locale corrected and the password kept", got)
	}
	if n := countWhere(t, bdb, "audit_events", "kind", db.AuditAccountUpdated); n != 1 {
		t.Errorf("account_updated events = %d, want 1", n)
	}
}
