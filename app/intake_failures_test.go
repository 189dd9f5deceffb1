package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"aikagi/app/intake"
	"aikagi/db"
	"aikagi/db/dbtest"
)

// An account deleted between the request and its processing is simply not
// matched: the request ends with an audit event, not retries.
func TestIntakeAccountDeletedMeanwhile(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect string) {
		a := newTestApp(t, dialect)
		acct := newAccount(t, a, "gone01", "gone@example.jp", "ja")
		recordReset(t, a, "gone01", "gone@example.jp", "192.0.2.8")
		if _, err := a.db.NewDelete().Model((*db.Account)(nil)).Where("id = ?", acct.ID).Exec(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n := processIntake(t, a); n != 1 {
			t.Fatalf("processed %d, want 1", n)
		}
		if got := auditKinds(t, a.db); !slices.Equal(got, []db.AuditKind{db.AuditResetUnmatched}) {
			t.Errorf("audit = %v, want one unmatched request", got)
		}
		if n := countRows(t, a.db, "intake_requests") + countRows(t, a.db, "outbox"); n != 0 {
			t.Errorf("%d intake or outbox rows left, want none", n)
		}
	})
}

// A crash after the token and the mail were written but before the commit,
// or a panic there, leaves the request as it was; processed again, it ends
// in one link and one mail.
func TestIntakeCrashBeforeCommit(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect string) {
		a := newTestApp(t, dialect)
		newAccount(t, a, "crash01", "crash@example.jp", "ja")
		recordReset(t, a, "crash01", "crash@example.jp", "192.0.2.9")
		// Each try fails twice: as part of a batch, and then alone.
		crashes := 4
		a.intake.BeforeCommit = func(*db.IntakeRequest) error {
			crashes--
			switch {
			case crashes < 0:
				return nil
			case crashes%2 == 1:
				return errors.New("killed")
			}
			panic("a bug in the matching code")
		}
		for try := range 2 {
			if _, err := a.intake.ProcessDue(context.Background()); err != nil {
				t.Fatalf("process: %v", err)
			}
			advanceClock(a, intake.RetryDelay(try+1))
		}
		if got := rowCounts(t, a.db); got["reset_tokens"]+got["outbox"]+got["audit_events"] != 0 {
			t.Fatalf("a rolled-back request left %v", got)
		}
		if n := countRows(t, a.db, "intake_requests"); n != 1 {
			t.Fatalf("%d intake rows after the crash, want the request back", n)
		}
		if n := processIntake(t, a); n != 1 {
			t.Fatalf("processed %d on the third try, want 1", n)
		}
		if got := rowCounts(t, a.db); got["reset_tokens"] != 1 || got["outbox"] != 1 {
			t.Errorf("after the retry: %v, want one token and one mail", got)
		}
		if sent, err := a.outbox.DeliverDue(context.Background()); err != nil || sent != 1 {
			t.Errorf("DeliverDue = %d, %v; want one mail", sent, err)
		}
	})
}

// A request that cannot be opened (sealed under another key, say) is left
// for another instance for a while, then tried a bounded number of times,
// then finished with an audit event.
func TestIntakeGivesUpOnAnUnreadableRequest(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect string) {
		a := newTestApp(t, dialect)
		newAccount(t, a, "odd01", "odd@example.jp", "ja")
		recordReset(t, a, "odd01", "odd@example.jp", "192.0.2.10")
		ctx := context.Background()
		if _, err := a.db.NewUpdate().Table("intake_requests").Set("payload = ?", []byte("not sealed by this key at all")).Where("1 = 1").Exec(ctx); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if n := processIntake(t, a); n != 1 {
				t.Fatalf("processed %d, want the request tried", n)
			}
			advanceClock(a, intake.KeyRetry)
		}
		var attempts int
		if err := a.db.NewSelect().Table("intake_requests").Column("attempts").Scan(ctx, &attempts); err != nil || attempts != 0 {
			t.Fatalf("attempts within the grace = %d, %v; want them not counted", attempts, err)
		}
		advanceClock(a, intake.KeyGrace)
		for attempt := 1; attempt <= intake.MaxAttempts; attempt++ {
			if n := processIntake(t, a); n != 1 {
				t.Fatalf("attempt %d: processed %d, want 1", attempt, n)
			}
			if n := processIntake(t, a); n != 0 {
				t.Fatalf("attempt %d: the failed request was due again at once", attempt)
			}
			advanceClock(a, intake.RetryDelay(attempt))
		}
		if n := countRows(t, a.db, "intake_requests"); n != 0 {
			t.Fatalf("%d intake rows left after %d attempts", n, intake.MaxAttempts)
		}
		if got := auditKinds(t, a.db); !slices.Equal(got, []db.AuditKind{db.AuditRequestFailed}) {
			t.Errorf("audit = %v, want one failed request", got)
		}
		if n := countRows(t, a.db, "reset_tokens") + countRows(t, a.db, "outbox"); n != 0 {
			t.Errorf("an unreadable request left %d tokens or mails", n)
		}
	})
}

// A request nobody processed within a day is dropped by the sweep, with an
// audit event, and never mailed.
func TestIntakeSweepDropsOldRequests(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect string) {
		a := newTestApp(t, dialect)
		newAccount(t, a, "late01", "late@example.jp", "ja")
		recordReset(t, a, "late01", "late@example.jp", "192.0.2.11")
		advanceClock(a, intake.MaxAge-time.Minute)
		a.intake.Sweep(context.Background())
		if n := countRows(t, a.db, "intake_requests"); n != 1 {
			t.Fatalf("a request younger than a day was swept")
		}
		advanceClock(a, 2*time.Minute)
		a.intake.Sweep(context.Background())
		if n := countRows(t, a.db, "intake_requests"); n != 0 {
			t.Fatalf("%d intake rows after the sweep", n)
		}
		if got := auditKinds(t, a.db); !slices.Equal(got, []db.AuditKind{db.AuditRequestExpired}) {
			t.Errorf("audit = %v, want one expired request", got)
		}
	})
}

// Two instances' workers on one PostgreSQL process each request exactly
// once.
func TestTwoIntakeWorkersProcessEachRequestOnce(t *testing.T) {
	dsn := dbtest.Fresh(t, "postgres")
	a := newTestAppOn(t, dsn, map[string]string{"LIMIT_SENDS_PER_IP": "1000/1h"})
	b := newTestAppOn(t, dsn, nil)
	const n = 40
	for i := range n {
		if i%2 == 0 {
			newAccount(t, a, fmt.Sprintf("pair%02d", i), fmt.Sprintf("pair%02d@example.jp", i), "ja")
		}
	}
	for i := range n {
		recordReset(t, a, fmt.Sprintf("pair%02d", i), fmt.Sprintf("pair%02d@example.jp", i), "192.0.2.12")
	}
	var wg sync.WaitGroup
	counts := make([]int, 2)
	for i, app := range []*App{a, b} {
		wg.Go(func() {
			got, err := app.intake.ProcessDue(context.Background())
			if err != nil {
				t.Errorf("worker %d: %v", i, err)
			}
			counts[i] = got
		})
	}
	wg.Wait()
	if counts[0]+counts[1] != n {
		t.Errorf("workers processed %v requests, want %d in all", counts, n)
	}
	if got := countRows(t, a.db, "audit_events"); got != n {
		t.Errorf("%d audit events, want one per request (%d)", got, n)
	}
	if got := rowCounts(t, a.db); got["reset_tokens"] != n/2 || got["outbox"] != n/2 {
		t.Errorf("rows = %v, want %d tokens and mails", got, n/2)
	}
	if left := countRows(t, a.db, "intake_requests"); left != 0 {
		t.Errorf("%d requests left", left)
	}
}

// One request that fails does not hold up the others of its batch: they
// are processed, and it alone waits for a retry.
func TestIntakeBatchWithOneBadRequest(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect string) {
		a := newTestApp(t, dialect)
		for i := range 3 {
			newAccount(t, a, fmt.Sprintf("batch%d", i), fmt.Sprintf("batch%d@example.jp", i), "ja")
			recordReset(t, a, fmt.Sprintf("batch%d", i), fmt.Sprintf("batch%d@example.jp", i), "192.0.2.30")
		}
		ctx := context.Background()
		var ids []string
		if err := a.db.NewSelect().Table("intake_requests").Column("id").OrderExpr("due_ms, id").Scan(ctx, &ids); err != nil || len(ids) != 3 {
			t.Fatalf("intake ids: %v, %v", ids, err)
		}
		if _, err := a.db.NewUpdate().Table("intake_requests").Set("payload = ?", []byte("garbage garbage garbage")).Where("id = ?", ids[1]).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		processIntake(t, a)
		if got := countRows(t, a.db, "outbox"); got != 2 {
			t.Errorf("%d mails queued, want the two good requests'", got)
		}
		var left []string
		if err := a.db.NewSelect().Table("intake_requests").Column("id").Scan(ctx, &left); err != nil || !slices.Equal(left, ids[1:2]) {
			t.Errorf("left in the intake: %v (%v), want only the bad request", left, err)
		}
	})
}

// When step 3 cannot record the request (the database is away), the
// merchant gets the confirmation page again with the entries kept and a
// note to press 「送信する」 once more, as 503; the second press goes through.
func TestStep3KeepsTheEntriesWhenTheDatabaseIsAway(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect string) {
		a := newTestApp(t, dialect)
		newAccount(t, a, "away01", "away@example.jp", "ja")
		state := confirmState(t, a, "away01", "away@example.jp")
		ctx := context.Background()
		if _, err := a.db.ExecContext(ctx, "ALTER TABLE intake_requests RENAME TO intake_requests_away"); err != nil {
			t.Fatal(err)
		}
		res := postFormOnly(t, a, "/password-resetting/send", url.Values{"state": {state}}, asHTMX)
		if res.Status != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
			t.Fatalf("step 3 without its table: status %d, Retry-After %q", res.Status, res.Header.Get("Retry-After"))
		}
		doc := res.Doc(t)
		if got := strings.TrimSpace(doc.Find("h1").First().Text()); got != h1Confirm {
			t.Errorf("h1 = %q, want the confirmation page", got)
		}
		if got := strings.TrimSpace(doc.Find("#error-summary li").Text()); !strings.Contains(got, "「送信する」") {
			t.Errorf("the summary says %q, want to press 送信する again", got)
		}
		if got := strings.TrimSpace(doc.Find("#confirm-login-id").Text()); got != "away01" {
			t.Errorf("the entries are not shown again: login ID %q", got)
		}
		kept, _ := doc.Find(`input[name=state]`).Attr("value")
		if kept != state {
			t.Errorf("the signed state was not kept")
		}
		if _, err := a.db.ExecContext(ctx, "ALTER TABLE intake_requests_away RENAME TO intake_requests"); err != nil {
			t.Fatal(err)
		}
		if res := postForm(t, a, "/password-resetting/send", url.Values{"state": {kept}}); res.Status != http.StatusOK {
			t.Fatalf("the second press: status %d", res.Status)
		}
		if n := countRows(t, a.db, "outbox"); n != 1 {
			t.Errorf("%d mails after the second press, want 1", n)
		}
	})
}
