package app

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"aikagi/app/config"
	"aikagi/app/intake"
	"aikagi/db"
)

// statementLog records the SQL the app runs while it is on, with the
// values taken out, so that two requests can be compared statement by
// statement.
type statementLog struct {
	on    atomic.Bool
	mu    sync.Mutex
	stmts []string
}

var sqlValues = regexp.MustCompile(`(?i)'(?:[^']|'')*'|\bX'[0-9a-f]*'|\b\d+(?:\.\d+)?\b`)

func (l *statementLog) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}

func (l *statementLog) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	if !l.on.Load() {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stmts = append(l.stmts, sqlValues.ReplaceAllString(e.Query, "?"))
}

// during returns the statements run while f runs.
func (l *statementLog) during(f func()) []string {
	l.mu.Lock()
	l.stmts = nil
	l.mu.Unlock()
	l.on.Store(true)
	f()
	l.on.Store(false)
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.stmts)
}

// Step 3 of both journeys runs the very same statements, values aside, for
// a matching request, one that matches nothing and one for an account
// already at its mail limit; none of them reads the accounts.
func TestStep3RunsTheSameStatementsForEveryInput(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect string) {
		a := newTestAppEnv(t, dialect, map[string]string{"LIMIT_MAILS_PER_ACCOUNT": "1/1h"})
		stmts := &statementLog{}
		a.db.AddQueryHook(stmts)
		newAccount(t, a, "match01", "match@example.jp", "ja")
		newAccount(t, a, "limit01", "limit@example.jp", "ja")
		// The second account uses up its allowance first.
		requestResetFlow(t, a, "limit01", "limit@example.jp")
		postForm(t, a, reminderSend, url.Values{"state": {reminderState(t, a, "limit@example.jp")}})

		journeys := []struct {
			name  string
			path  string
			state func(loginID, email string) string
		}{
			{"reset", "/password-resetting/send", func(id, email string) string { return confirmState(t, a, id, email) }},
			{"reminder", reminderSend, func(_, email string) string { return reminderState(t, a, email) }},
		}
		for _, j := range journeys {
			inputs := []struct{ name, loginID, email string }{
				{"matching", "match01", "match@example.jp"},
				{"not matching", "nobody01", "nobody@example.jp"},
				{"over the mail limit", "limit01", "limit@example.jp"},
			}
			var first []string
			for _, in := range inputs {
				state := j.state(in.loginID, in.email)
				var res *response
				got := stmts.during(func() {
					res = postFormOnly(t, a, j.path, url.Values{"state": {state}})
				})
				if res.Status != http.StatusOK {
					t.Fatalf("%s %s: status %d", j.name, in.name, res.Status)
				}
				for _, s := range got {
					for _, table := range []string{"accounts", "reset_tokens", "outbox", "audit_events"} {
						if strings.Contains(s, table) {
							t.Errorf("%s %s: step 3 touches %s: %s", j.name, in.name, table, s)
						}
					}
				}
				if first == nil {
					first = got
					if len(got) == 0 {
						t.Fatalf("%s: no statements recorded", j.name)
					}
					continue
				}
				if !slices.Equal(got, first) {
					t.Errorf("%s: %s runs\n  %s\nbut %s runs\n  %s", j.name, in.name, strings.Join(got, "\n  "), inputs[0].name, strings.Join(first, "\n  "))
				}
			}
			if n := processIntake(t, a); n != len(inputs) {
				t.Errorf("%s: the worker processed %d requests, want %d", j.name, n, len(inputs))
			}
		}
	})
}

// auditEvents returns the audit trail, oldest first.
func auditEvents(t testing.TB, bdb bun.IDB) []db.AuditEvent {
	t.Helper()
	var events []db.AuditEvent
	if err := bdb.NewSelect().Model(&events).Order("id").Scan(context.Background()); err != nil {
		t.Fatalf("audit events: %v", err)
	}
	return events
}

// recordReset runs steps 1–3 of the reset from ip and leaves the request in
// the intake.
func recordReset(t testing.TB, a *App, loginID, email, ip string) {
	t.Helper()
	state := confirmState(t, a, loginID, email)
	res := postFormOnly(t, a, "/password-resetting/send", url.Values{"state": {state}}, withHeader("User-Agent", "intake-test/"+ip))
	if res.Status != http.StatusOK {
		t.Fatalf("send: status %d\n%s", res.Status, res.Body)
	}
}

// The worker turns each recorded request into what it should be: a link
// and a mail for a match, and nothing but an audit event otherwise, with
// the request's own time and client.
func TestIntakeOutcomes(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect string) {
		cases := []struct {
			name    string
			env     map[string]string
			prepare func(t *testing.T, a *App)
			loginID string
			email   string
			kind    db.AuditKind
			mails   int
		}{
			{name: "match", loginID: "taro01", email: "TARO@example.jp", kind: db.AuditResetRequested, mails: 1},
			{name: "no match", loginID: "taro01", email: "other@example.jp", kind: db.AuditResetUnmatched},
			{name: "unknown login ID", loginID: "nobody01", email: "taro@example.jp", kind: db.AuditResetUnmatched},
			{name: "per-account limit", env: map[string]string{"LIMIT_MAILS_PER_ACCOUNT": "1/1h"},
				prepare: func(t *testing.T, a *App) { requestResetFlow(t, a, "taro01", "taro@example.jp") },
				loginID: "taro01", email: "taro@example.jp", kind: db.AuditResetLimited},
			// The retired global limit drops nothing: the mail waits for the provider.
			{name: "no global limit", env: map[string]string{"LIMIT_MAILS_GLOBAL": "1/1h"},
				prepare: func(t *testing.T, a *App) { requestResetFlow(t, a, "hanako01", "hanako@example.jp") },
				loginID: "taro01", email: "taro@example.jp", kind: db.AuditResetRequested, mails: 1},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				a := newTestAppEnv(t, dialect, tc.env)
				newAccount(t, a, "taro01", "taro@example.jp", "ja")
				newAccount(t, a, "hanako01", "hanako@example.jp", "ja")
				if tc.prepare != nil {
					tc.prepare(t, a)
				}
				before := rowCounts(t, a.db)
				requestedAt := a.now()
				recordReset(t, a, tc.loginID, tc.email, "192.0.2.7")
				if after := rowCounts(t, a.db); !mapsEqual(before, after) {
					t.Fatalf("step 3 wrote %v before the worker ran (was %v)", after, before)
				}
				advanceClock(a, 5*time.Minute) // the worker is late: the audit keeps the request's time
				if n := processIntake(t, a); n != 1 {
					t.Fatalf("processed %d requests, want 1", n)
				}
				if n := countRows(t, a.db, "intake_requests"); n != 0 {
					t.Errorf("%d intake rows left", n)
				}
				if got := countRows(t, a.db, "outbox") - before["outbox"]; got != tc.mails {
					t.Errorf("%d mails queued, want %d", got, tc.mails)
				}
				events := auditEvents(t, a.db)
				last := events[len(events)-1]
				if last.Kind != tc.kind {
					t.Fatalf("audit kind = %q, want %q", last.Kind, tc.kind)
				}
				if !last.At.Equal(db.Stamp(requestedAt)) || last.IP == "" {
					t.Errorf("audit at %v from %q, want the request's time %v", last.At, last.IP, db.Stamp(requestedAt))
				}
				if last.UserAgent != "intake-test/192.0.2.7" {
					t.Errorf("audit user agent = %q, want the request's", last.UserAgent)
				}
			})
		}
	})
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// The backlog shows in /metrics while requests wait, and empties when the
// worker has run.
func TestIntakeBacklogMetric(t *testing.T) {
	a := newTestApp(t, "sqlite")
	recordReset(t, a, "metric01", "metric@example.jp", "192.0.2.13")
	recordReset(t, a, "metric02", "metric@example.jp", "192.0.2.13")
	advanceClock(a, 3*time.Second)
	body := metricsBody(t, a)
	for _, want := range []string{`aikagi_intake_backlog{scope="database"} 2`, `aikagi_intake_oldest_waiting_seconds{scope="database"} 3`,
		`aikagi_intake_requests_total{journey="reset",outcome="unmatched"} 0`} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	processIntake(t, a)
	body = metricsBody(t, a)
	for _, want := range []string{`aikagi_intake_backlog{scope="database"} 0`, `aikagi_intake_oldest_waiting_seconds{scope="database"} 0`,
		`aikagi_intake_requests_total{journey="reset",outcome="unmatched"} 2`} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// A recorded request is not matched before intake.Delay has passed, so that
// its matching never competes with its own response.
func TestIntakeWaitsForTheResponse(t *testing.T) {
	a := newTestApp(t, "sqlite")
	a.intake.Delay = intake.Delay
	newAccount(t, a, "wait01", "wait@example.jp", "ja")
	recordReset(t, a, "wait01", "wait@example.jp", "192.0.2.14")
	advanceClock(a, intake.Delay-time.Millisecond)
	if n := processIntake(t, a); n != 0 {
		t.Fatalf("processed %d requests before the delay", n)
	}
	advanceClock(a, time.Millisecond)
	if n := processIntake(t, a); n != 1 {
		t.Fatalf("processed %d requests after the delay, want 1", n)
	}
}

// Settings of earlier versions are accepted, ignored and named in the
// log's deprecation lines: SEND_MIN_DURATION, and LIMIT_MAILS_GLOBAL, which
// dropped mail that now waits for the provider's pace.
func TestRetiredSettingsAreDeprecated(t *testing.T) {
	for name, want := range map[string]string{
		"SEND_MIN_DURATION":  "SEND_MIN_DURATION is ignored",
		"LIMIT_MAILS_GLOBAL": "LIMIT_MAILS_GLOBAL is retired and ignored",
	} {
		env := testEnv()
		env[name] = "15/1m"
		cfg, err := config.Load(getenvFrom(env), noRandomKey(t))
		if err != nil {
			t.Fatalf("a config with %s is refused: %v", name, err)
		}
		if len(cfg.Deprecated) != 1 || !strings.Contains(cfg.Deprecated[0], want) {
			t.Errorf("%s: deprecations = %q", name, cfg.Deprecated)
		}
	}
}
