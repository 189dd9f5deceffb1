package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/mattn/go-runewidth"

	"aikagi/app/mail"
	"aikagi/db"
	"aikagi/db/dbtest"
	vc "aikagi/views/console"
)

func TestTerminalSafe(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"taro01", "taro01"},
		{"山田商店", "山田商店"},
		{"a\x1b]0;title\x07b", `a\x1b]0;title\x07b`},
		{"one\r\ntwo\tthree", `one\r\ntwo\tthree`},
		{"del\x7f", `del\x7f`},
		{"nul\x00", `nul\x00`},
		{"c1\u0085\u009b", `c1\u0085\u009b`},
		{"bidi\u202eevil\u202c", `bidi\u202eevil\u202c`},
		{"isolate\u2066x\u2069", `isolate\u2066x\u2069`},
		{"mark\u200f", `mark\u200f`},
		{"line\u2028para\u2029", `line\u2028para\u2029`},
		{"admin\u200b\ufeff", `admin\u200b\ufeff`},
		{"tag\U000e0041", `tag\U000e0041`},
		{"soft\u00adhyphen", `soft\u00adhyphen`},
		{"bad\xffutf8", `bad\xffutf8`},
		{`typed \x1b`, `typed \\x1b`},
	} {
		if got := terminalSafe(tc.in); got != tc.want {
			t.Errorf("terminalSafe(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestTextTableAlignsByDisplayWidth checks that a column after Japanese
// text starts in the same terminal cell on every line.
func TestTextTableAlignsByDisplayWidth(t *testing.T) {
	t.Parallel()
	tab := newTextTable("ID", "STORE", "LOCALE")
	tab.add("1", "山田商店", "ja")
	tab.add("22", "Jiro's Bakery", "en")
	tab.add("333", "はな花店ｱｲｳ", "ja")
	tab.add("4", "", "ja")
	var out bytes.Buffer
	if err := tab.write(&out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d lines, want 5:\n%s", len(lines), out.String())
	}
	// The widest store is "Jiro's Bakery" (13 cells); 山田商店 takes 8 and
	// はな花店ｱｲｳ 9 (half-width katakana take one cell each).
	wantStore, wantLocale := len("333")+len(tableGap), len("333")+len(tableGap)+13+len(tableGap)
	for _, line := range lines {
		if line != strings.TrimRight(line, " ") {
			t.Errorf("trailing spaces in %q", line)
		}
		cells := splitCells(line)
		if len(cells) != 3 {
			t.Fatalf("%q has %d cells, want 3", line, len(cells))
		}
		if got := displayColumn(line, cells[1]); got != wantStore {
			t.Errorf("the store of %q starts at cell %d, want %d\n%s", line, got, wantStore, out.String())
		}
		if got := displayColumn(line, cells[2]); got != wantLocale {
			t.Errorf("the locale of %q starts at cell %d, want %d\n%s", line, got, wantLocale, out.String())
		}
	}
	if cells := splitCells(lines[4]); cells[1] != "-" {
		t.Errorf("an empty cell is not shown as a dash: %q", lines[4])
	}
}

// splitCells splits a line of textTable at its gaps of two or more spaces.
func splitCells(line string) []string {
	var cells []string
	for _, f := range strings.Split(line, tableGap) {
		if f = strings.TrimSpace(f); f != "" {
			cells = append(cells, f)
		}
	}
	return cells
}

// displayColumn is the terminal cell at which cell starts in line.
func displayColumn(line, cell string) int {
	i := strings.Index(line, cell)
	if i < 0 {
		return -1
	}
	return runewidth.StringWidth(line[:i])
}

// forgedLoginID is what an attacker typed as a login ID: an xterm title
// sequence, then a line break and a made-up line of the audit trail.
const forgedLoginID = "x\x1b]0;owned\x07\r\n2026-11-25T01:00:00Z  login_succeeded  admin\u202e"

// TestListsEscapeForgedText plants control characters in every field an
// outsider can reach and checks that audit list, outbox list and account
// list show them escaped, one line per row.
func TestListsEscapeForgedText(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := dbtest.Fresh(t, "sqlite")
	clock := newFakeClock(testStart)
	srv := newServer(t, dsn, mail.NewDevMailbox(), clock)

	// /login refuses such an ID before recording anything (see
	// TestLoginRefusesInvalidLoginIDQuietly in package app); the lists must
	// hold even if a row like it got in some other way, as with a forged
	// user agent.
	if err := db.RecordAudit(ctx, srv.db, &db.AuditEvent{Kind: db.AuditLoginFailed, LoginID: forgedLoginID,
		UserAgent: "Mozilla\x1b[2J\x1b[H\u202eevil"}, clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordAudit(ctx, srv.db, &db.AuditEvent{Kind: db.AuditLoginFailed, LoginID: "plain01",
		UserAgent: "ua\r\nforged\tline", Detail: "detail\x1b[31mred"}, clock.Now()); err != nil {
		t.Fatal(err)
	}

	// A store name from an import, and a bounce text from a webhook.
	acct := &db.Account{LoginID: "store01", Email: "store@example.jp", StoreName: "山田\x1b[8m商店\r\nfake", Locale: "ja", PasswordHash: "x"}
	if err := db.CreateAccount(ctx, srv.db, acct, clock.Now()); err != nil {
		t.Fatal(err)
	}
	newAccount(t, srv.db, "taro01", "taro@example.jp", "ja")
	if _, err := runCommand(t, dsn, clock.Now, AccountCommand, "send-reset", "taro01"); err != nil {
		t.Fatal(err)
	}
	srv.deliver(t)
	sent, err := db.ListOutbox(ctx, srv.db, db.OutboxFilter{Limit: 1})
	if err != nil || len(sent) != 1 {
		t.Fatal(sent, err)
	}
	if _, _, err := db.RecordDeliveryEvent(ctx, srv.db, db.MessageRef{OutboxID: sent[0].ID}, db.DeliveryBounced, "550\x1b]0;x\x07 no\u202e such\u009bmailbox", clock.Now()); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name  string
		cmd   func(context.Context, Env, []string) error
		args  []string
		rows  int
		shown []string
	}{
		{"audit list", AuditCommand, []string{"list"}, countRows(t, srv.db, "audit_events"),
			[]string{`x\x1b]0;owned\x07\r\n2026-11-25T01:00:00Z  login_succeeded  admin\u202e`, `Mozilla\x1b[2J\x1b[H\u202eevil`, `ua\r\nforged\tline`, `detail\x1b[31mred`}},
		{"outbox list", OutboxCommand, []string{"list"}, 1,
			[]string{`550\x1b]0;x\x07 no\u202e such\u009bmailbox`}},
		{"account list", AccountCommand, []string{"list"}, 2,
			[]string{`山田\x1b[8m商店\r\nfake`}},
	} {
		out, err := runCommand(t, dsn, clock.Now, tc.cmd, tc.args...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if i := strings.IndexFunc(out, func(r rune) bool { return r != '\n' && vc.HidesText(r) && r != '\\' }); i >= 0 {
			t.Errorf("%s prints a raw %q:\n%s", tc.name, out[i:i+1], out)
		}
		if lines := strings.Count(out, "\n"); lines != tc.rows+1 {
			t.Errorf("%s prints %d lines, want a header and %d rows:\n%s", tc.name, lines, tc.rows, out)
		}
		for _, s := range tc.shown {
			if !strings.Contains(out, s) {
				t.Errorf("%s does not show %s escaped:\n%s", tc.name, s, out)
			}
		}
	}
}
