// Accounts, and the links and states that belong to them, put in place
// before a measurement starts.

package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"log"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"aikagi/db"
)

// accountIDs are n login IDs such as acct-00042.
func accountIDs(prefix string, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s-%05d", prefix, i)
	}
	return ids
}

// minCostHash is a bcrypt hash at the lowest cost, for accounts whose
// password the measurement never checks.
var minCostHash = sync.OnceValue(func() string {
	h, err := bcrypt.GenerateFromPassword([]byte("a bench passphrase"), bcrypt.MinCost)
	if err != nil {
		log.Fatal(err)
	}
	return string(h)
})

// importAccounts loads accounts with the given login IDs (each address is
// the ID at example.jp) and password hash through `aikagi account import`,
// as an operator would.
func (b *bench) importAccounts(dsn string, ids []string, hash string) {
	var csv strings.Builder
	csv.WriteString("login_id,email,store_name,locale,password_hash\n")
	for _, id := range ids {
		fmt.Fprintf(&csv, "%s,%s@example.jp,Bench shop,ja,%s\n", id, id, hash)
	}
	f, err := os.CreateTemp(b.tmp, "import-*.csv")
	if err != nil {
		log.Fatal(err)
	}
	defer os.Remove(f.Name())
	if _, err := f.WriteString(csv.String()); err != nil {
		log.Fatal(err)
	}
	f.Close()
	cmd := exec.Command(b.bin, "account", "import", f.Name())
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dsn, "SECRET_KEY="+secret)
	if out, err := cmd.CombinedOutput(); err != nil {
		log.Fatalf("account import: %v\n%s", err, out)
	}
}

func createAccount(s *server, loginID, email string) {
	cmd := exec.Command(s.cmd.Path, "account", "create", "--login-id", loginID, "--email", email, "--store", "Bench shop", "--password", "a bench passphrase")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+s.dsn, "SECRET_KEY="+secret)
	if out, err := cmd.CombinedOutput(); err != nil {
		log.Fatalf("account create: %v\n%s", err, out)
	}
}

// seedTokens stores n accounts with one reset link each and returns the links' tokens.
func seedTokens(dsn string, n int) []string {
	bdb, err := db.Open(dsn)
	if err != nil {
		log.Fatal(err)
	}
	defer bdb.Close()
	ctx := context.Background()
	tokens := make([]string, n)
	for i := range n {
		a := &db.Account{LoginID: fmt.Sprintf("reset-%d", i), Email: fmt.Sprintf("reset-%d@example.jp", i), StoreName: "Bench", Locale: "ja", PasswordHash: "$2a$04$invalidinvalidinvalidinvalidinvalidinvalidinvalidinv"}
		if err := db.CreateAccount(ctx, bdb, a, time.Now()); err != nil {
			log.Fatal(err)
		}
		raw := make([]byte, 32)
		_, _ = rand.Read(raw)
		tok := base64.RawURLEncoding.EncodeToString(raw)
		sum := sha256.Sum256([]byte(tok))
		if _, err := db.CreateResetToken(ctx, bdb, a.ID, sum[:], time.Now(), time.Hour, ""); err != nil {
			log.Fatal(err)
		}
		tokens[i] = tok
	}
	return tokens
}
