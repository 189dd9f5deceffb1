package cli

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"aikagi/app/mail"
	"aikagi/db"
	"aikagi/db/dbtest"
)

// TestSetEmailCommand is support staff changing a merchant's registered
// address: the account matches the new address only, the change is
// audited, and a notice to each address is queued. What the notices say,
// and that older links stop working, is tested in package app
// (TestEmailChangedByOperator).
func TestSetEmailCommand(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		dsn := dbtest.Fresh(t, dialect)
		bdb := dbtest.OpenDSN(t, dsn)
		acct := newAccount(t, bdb, "taro01", "Old.Taro@Example.jp", "ja")

		// A full-width login ID and address, as typed, are normalised as
		// step 1 does.
		out, err := runCommand(t, dsn, newFakeClock(testStart).Now, AccountCommand, "set-email", "ｔａｒｏ０１", "Ｎｅｗ．Ｔａｒｏ＠Example.jp")
		if err != nil {
			t.Fatalf("set-email: %v", err)
		}
		if !strings.Contains(out, "from Old.Taro@Example.jp to New.Taro@Example.jp") {
			t.Errorf("output does not name both addresses:\n%s", out)
		}
		if got, _ := db.FindAccountForReset(ctx, bdb, "taro01", "new.taro@example.jp"); got == nil || got.Email != "New.Taro@Example.jp" {
			t.Errorf("the new address does not match the account: %+v", got)
		}
		if got, _ := db.FindAccountForReset(ctx, bdb, "taro01", "old.taro@example.jp"); got != nil {
			t.Error("the old address still matches the account")
		}

		events, _ := db.ListAudit(ctx, bdb, "taro01", 10)
		i := slices.IndexFunc(events, func(e db.AuditEvent) bool { return e.Kind == db.AuditEmailChanged })
		if i < 0 || *events[i].AccountID != acct.ID || events[i].Detail != "from Old.Taro@Example.jp to New.Taro@Example.jp" {
			t.Errorf("audit = %+v, want an %s event naming both addresses", events, db.AuditEmailChanged)
		}

		notices, err := db.ListOutbox(ctx, bdb, db.OutboxFilter{Status: db.OutboxPending, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var to []string
		for _, n := range notices {
			if n.Kind != string(mail.KindEmailChanged) || *n.AccountID != acct.ID {
				t.Errorf("queued %+v, want only the notices", n)
			}
			to = append(to, n.ToAddr)
		}
		slices.Sort(to)
		if strings.Join(to, " ") != "New.Taro@Example.jp Old.Taro@Example.jp" {
			t.Errorf("notices to %q, want one to the old and one to the new address", to)
		}
	})
}

// TestSetEmailRefusals checks that a bad request is refused with a clear
// error and changes nothing.
func TestSetEmailRefusals(t *testing.T) {
	t.Parallel()
	dsn := dbtest.Fresh(t, "sqlite")
	bdb := dbtest.OpenDSN(t, dsn)
	newAccount(t, bdb, "taro01", "taro@example.jp", "en")
	before := rowCounts(t, bdb)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"set-email", "nobody", "new@example.jp"}, `no account with login ID "nobody"`},
		{[]string{"set-email", "taro01", "not-an-address"}, "Enter an email address in the correct format, like name@example.com"},
		{[]string{"set-email", "taro01", "a b@example.jp"}, "ADDRESS"},
		{[]string{"set-email", "taro01", ""}, "Enter your registered email address"},
		{[]string{"set-email", "taro01", "taro@example.jp"}, "already the registered address"},
		{[]string{"set-email", "taro01"}, "LOGIN_ID and the new ADDRESS"},
		{[]string{"set-email", "taro01", "a@example.jp", "b@example.jp"}, "LOGIN_ID and the new ADDRESS"},
	} {
		if _, err := runCommand(t, dsn, nil, AccountCommand, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want one saying %q", tc.args, err, tc.want)
		}
	}
	if after := rowCounts(t, bdb); !maps.Equal(before, after) {
		t.Errorf("rows changed by refused commands: %v → %v", before, after)
	}
	if acct, _ := db.FindAccountByLoginID(context.Background(), bdb, "taro01"); acct.Email != "taro@example.jp" {
		t.Errorf("address changed to %q", acct.Email)
	}
}
