package app

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"aikagi/app/account"
	"aikagi/app/route"
	"aikagi/app/secret"
	"aikagi/db"
	"aikagi/views"
)

// newAccountWithPassword is newAccount with a real argon2id hash of
// password.
func newAccountWithPassword(t testing.TB, a *App, loginID, email, locale, password string) *db.Account {
	t.Helper()
	acct := newAccount(t, a, loginID, email, locale)
	acct.PasswordHash = account.HashArgon2id(password)
	if err := db.SetPassword(context.Background(), a.db, acct.ID, acct.PasswordHash, a.now(), false); err != nil {
		t.Fatalf("set password of %s: %v", loginID, err)
	}
	return acct
}

// issueToken stores a fresh reset token for acct (revoking older ones, as
// a request does) and returns the raw token of the mail.
func issueToken(t testing.TB, a *App, acct *db.Account) string {
	t.Helper()
	token, hash := secret.NewToken()
	if _, err := db.CreateResetToken(context.Background(), a.db, acct.ID, hash, a.now(), a.cfg.TokenTTL, "192.0.2.1"); err != nil {
		t.Fatalf("create reset token: %v", err)
	}
	return token
}

// resetLink is the path and query of the link in the mail for token.
func resetLink(token string, lang views.Lang) string {
	q := url.Values{"token": {token}}
	if lang != "" {
		q.Set("lang", string(lang))
	}
	return route.Reset + "?" + q.Encode()
}

// mailedResetLink delivers the outbox and returns the path and query of the
// reset link in the newest mail, checking that it is built from BASE_URL.
func mailedResetLink(t testing.TB, a *App) string {
	t.Helper()
	if _, err := a.outbox.DeliverDue(context.Background()); err != nil {
		t.Fatalf("deliver: %v", err)
	}
	mails := a.mailbox.Messages()
	if len(mails) == 0 {
		t.Fatal("no mail in the development mailbox")
	}
	prefix := a.cfg.URL(route.Reset, nil) + "?"
	text := mails[0].Text
	i := strings.Index(text, prefix)
	if i < 0 {
		t.Fatalf("newest mail has no link starting with %s:\n%s", prefix, text)
	}
	raw, _, _ := strings.Cut(text[i:], "\n")
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Query().Get("token") == "" {
		t.Fatalf("reset link %q: %v", raw, err)
	}
	return u.RequestURI()
}

// linkToken is the raw token of a link.
func linkToken(t testing.TB, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatalf("parse link %q: %v", link, err)
	}
	return u.Query().Get("token")
}

// tokenState reads the state of a raw token from the database.
func tokenState(t testing.TB, a *App, token string) db.TokenState {
	t.Helper()
	tok, err := db.LookupResetToken(context.Background(), a.db, secret.HashToken(token))
	if err != nil {
		t.Fatalf("lookup token: %v", err)
	}
	return tok.State(a.now())
}

// storedHash reads an account's password hash from the database.
func storedHash(t testing.TB, a *App, id int64) string {
	t.Helper()
	acct, err := db.GetAccount(context.Background(), a.db, id)
	if err != nil || acct == nil {
		t.Fatalf("get account %d: %v", id, err)
	}
	return acct.PasswordHash
}

// countWhere counts the rows of table with column = value.
func countWhere(t testing.TB, a *App, table, column string, value any) int {
	t.Helper()
	n, err := a.db.NewSelect().Table(table).Where("? = ?", bun.Ident(column), value).Count(context.Background())
	if err != nil {
		t.Fatalf("count %s.%s: %v", table, column, err)
	}
	return n
}

// assertTokenPageHeaders checks what every page of the link (and its
// redirect) must carry: no referrer, no caching, never framed.
func assertTokenPageHeaders(t testing.TB, res *response) {
	t.Helper()
	if got := res.Header.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("Referrer-Policy = %q, want no-referrer", got)
	}
	if got := res.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	if got := cspDirective(res.Header.Get("Content-Security-Policy"), "frame-ancestors"); got != "'none'" {
		t.Errorf("CSP frame-ancestors = %q, want 'none'", got)
	}
}
