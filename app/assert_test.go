package app

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/uptrace/bun"

	"aikagi/db"
)

// countRows counts the rows of table.
func countRows(t testing.TB, bdb bun.IDB, table string) int {
	t.Helper()
	n, err := bdb.NewSelect().Table(table).Count(context.Background())
	if err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// rowCounts counts the rows of every table a request may write.
func rowCounts(t testing.TB, bdb bun.IDB) map[string]int {
	t.Helper()
	return map[string]int{
		"reset_tokens": countRows(t, bdb, "reset_tokens"),
		"outbox":       countRows(t, bdb, "outbox"),
		"audit_events": countRows(t, bdb, "audit_events"),
	}
}

// assertNothingWritten fails when reset_tokens, outbox or audit_events have
// rows.
func assertNothingWritten(t testing.TB, a *App) {
	t.Helper()
	for table, n := range rowCounts(t, a.db) {
		if n != 0 {
			t.Errorf("%s has %d rows, want none", table, n)
		}
	}
}

// auditKinds lists the audit event kinds, oldest first.
func auditKinds(t testing.TB, bdb bun.IDB) []db.AuditKind {
	t.Helper()
	var kinds []db.AuditKind
	if err := bdb.NewSelect().Table("audit_events").Column("kind").Order("id").Scan(context.Background(), &kinds); err != nil {
		t.Fatalf("list audit kinds: %v", err)
	}
	return kinds
}

// tablesContaining reports which tables hold needle in any column, as text
// or bytes.
func tablesContaining(t testing.TB, bdb *bun.DB, needle string) []string {
	t.Helper()
	var found []string
	for _, table := range []string{"accounts", "reset_tokens", "outbox", "audit_events"} {
		rows, err := bdb.QueryContext(context.Background(), "SELECT * FROM "+table)
		if err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
		cols, err := rows.Columns()
		if err != nil {
			t.Fatalf("columns of %s: %v", table, err)
		}
		for rows.Next() {
			vals := make([]sql.RawBytes, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatalf("scan %s: %v", table, err)
			}
			for i, v := range vals {
				if bytes.Contains(v, []byte(needle)) {
					found = append(found, table+"."+cols[i])
				}
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
		rows.Close()
	}
	return found
}

// assertFragment checks an htmx response: no layout, a <title>, and the
// screen's heading.
func assertFragment(t testing.TB, res *response, h1 string) {
	t.Helper()
	doc := res.Doc(t)
	if bytes.Contains(bytes.ToLower(res.Body), []byte("<html")) {
		t.Errorf("htmx response contains <html>:\n%s", res.Body)
	}
	if doc.Find("#flow").Length() != 0 {
		t.Errorf("htmx response contains #flow; it should be its content")
	}
	if doc.Find("title").Length() != 1 {
		t.Errorf("htmx response has %d <title> elements, want 1", doc.Find("title").Length())
	}
	if got := strings.TrimSpace(doc.Find("h1").First().Text()); got != h1 {
		t.Errorf("htmx response h1 = %q, want %q", got, h1)
	}
}

// assertFullPage checks a full-page response: <html lang>, #flow, the
// screen's heading inside #flow.
func assertFullPage(t testing.TB, res *response, lang, h1 string) {
	t.Helper()
	doc := res.Doc(t)
	if !bytes.Contains(res.Body, []byte("<html")) {
		t.Fatalf("full page lacks <html>:\n%s", res.Body)
	}
	if got, _ := doc.Find("html").Attr("lang"); got != lang {
		t.Errorf("html lang = %q, want %q", got, lang)
	}
	if doc.Find("#flow").Length() != 1 {
		t.Errorf("full page has %d #flow, want 1", doc.Find("#flow").Length())
	}
	if got := strings.TrimSpace(doc.Find("#flow h1").First().Text()); got != h1 {
		t.Errorf("#flow h1 = %q, want %q", got, h1)
	}
}

// assertProblemPage checks a full error page: its status, language and
// message.
func assertProblemPage(t testing.TB, res *response, status int, lang, message string) {
	t.Helper()
	if res.Status != status {
		t.Errorf("status = %d, want %d\n%s", res.Status, status, res.Body)
	}
	doc := res.Doc(t)
	if got, _ := doc.Find("html").Attr("lang"); got != lang {
		t.Errorf("html lang = %q, want %q", got, lang)
	}
	if got := strings.TrimSpace(doc.Find("#error-summary p").Text()); got != message {
		t.Errorf("error message = %q, want %q", got, message)
	}
}

// inputValue is the value attribute of the input #id.
func inputValue(doc *goquery.Document, id string) string {
	v, _ := doc.Find("input#" + id).Attr("value")
	return v
}

var nonceAttr = regexp.MustCompile(`nonce="[^"]*"|'nonce-[^']*'`)

// withoutNonces replaces every CSP nonce in s with a placeholder.
func withoutNonces(s string) string {
	return nonceAttr.ReplaceAllString(s, "NONCE")
}

// cspNonce extracts the nonce from a Content-Security-Policy header.
func cspNonce(t testing.TB, csp string) string {
	t.Helper()
	m := regexp.MustCompile(`'nonce-([^']+)'`).FindStringSubmatch(csp)
	if m == nil {
		t.Fatalf("no nonce in CSP %q", csp)
	}
	return m[1]
}

// cspDirective returns the value of one directive of a CSP.
func cspDirective(csp, name string) string {
	for _, d := range strings.Split(csp, ";") {
		d = strings.TrimSpace(d)
		if v, ok := strings.CutPrefix(d, name+" "); ok {
			return v
		}
	}
	return ""
}

// describe shortens a body for failure messages.
func describe(b []byte) string {
	if len(b) > 2000 {
		return fmt.Sprintf("%s… (%d bytes)", b[:2000], len(b))
	}
	return string(b)
}
