package recovery_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"html"
	"strings"
	"testing"
	"time"

	"aikagi/app/account"
	"aikagi/app/intake"
	"aikagi/app/limit"
	"aikagi/app/mail"
	"aikagi/app/recovery"
	"aikagi/app/route"
	"aikagi/db"
	"aikagi/db/dbtest"
)

// TestMatchResetMailsTheLink matches a login ID and address to an account:
// one link, one mail to the address as registered, in the account's
// language, with the link built from BASE_URL, its expiry and the
// 「心当たりがない場合」 link, and one reset_requested event.
func TestMatchResetMailsTheLink(t *testing.T) {
	t.Parallel()
	dbtest.ForEachDialect(t, func(t *testing.T, dialect string) {
		f := newFixture(t, dialect, nil)
		tests := []struct {
			loginID, registered, typed, locale string
			subject, until                     string
		}{
			{"shop-001", "Taro.Yamada@Example.jp", "taro.yamada@example.jp", "ja",
				"【テスト管理サイト】パスワード再設定のご案内", "有効期限: 11月25日(水)10:30(日本時間)まで"},
			{"shop-002", "hanako@example.com", "hanako@example.com", "en",
				"[テスト管理サイト] Reset your password", "Works until Wed, 25 Nov, 10:30 (Japan time)"},
		}
		for _, tc := range tests {
			acct := f.newAccount(t, tc.loginID, tc.registered, tc.locale)
			if got := f.matchReset(t, tc.loginID, tc.typed); got != intake.Matched {
				t.Fatalf("%s: outcome %q, want %q", tc.loginID, got, intake.Matched)
			}

			msg := f.deliverOne(t)
			if msg.To != tc.registered {
				t.Errorf("%s: mail to %q, want the registered address %q", tc.loginID, msg.To, tc.registered)
			}
			if msg.Subject != tc.subject {
				t.Errorf("%s: subject %q, want %q", tc.loginID, msg.Subject, tc.subject)
			}
			for _, want := range []string{tc.until, tc.loginID, acct.StoreName} {
				if !strings.Contains(msg.Text, want) {
					t.Errorf("%s: the mail does not say %q:\n%s", tc.loginID, want, msg.Text)
				}
			}
			token := resetToken(t, msg)
			link := baseURL + route.Reset + "?token=" + token + "&lang=" + tc.locale
			if !strings.Contains(msg.Text, link+"\n") || !strings.Contains(msg.HTML, `href="`+html.EscapeString(link)+`"`) {
				t.Errorf("%s: the mail lacks the link %s in both parts", tc.loginID, link)
			}
			if raw, err := base64.RawURLEncoding.DecodeString(token); err != nil || len(raw) != 32 {
				t.Errorf("%s: token %q is not 256 bits in base64url", tc.loginID, token)
			}
			reportLink := baseURL + route.Report + "?token=" + reportKey(t, msg) + "&lang=" + tc.locale
			if !strings.Contains(msg.Text, reportLink+"\n") {
				t.Errorf("%s: the mail lacks the report link %s", tc.loginID, reportLink)
			}

			tok := f.link(t, token)
			switch {
			case tok == nil:
				t.Fatalf("%s: the mailed token names no stored link", tc.loginID)
			case tok.AccountID != acct.ID:
				t.Errorf("%s: the link belongs to account %d, want %d", tc.loginID, tok.AccountID, acct.ID)
			case !tok.ExpiresAt.Equal(testStart.Add(30 * time.Minute)):
				t.Errorf("%s: link expires at %v, want TOKEN_TTL's 30 minutes after the request", tc.loginID, tok.ExpiresAt)
			case bytes.Contains(tok.TokenHash, []byte(token)):
				t.Errorf("%s: the token is stored in clear", tc.loginID)
			case tok.RequestedIP != client.IP:
				t.Errorf("%s: requested from %q, want %q", tc.loginID, tok.RequestedIP, client.IP)
			}

			requested := f.events(t, db.AuditResetRequested)
			if len(requested) == 0 {
				t.Fatalf("%s: no reset_requested event", tc.loginID)
			}
			e := requested[len(requested)-1]
			if e.AccountID == nil || *e.AccountID != acct.ID || e.LoginID != tc.loginID ||
				e.IP != client.IP || e.UserAgent != client.UserAgent || !e.At.Equal(testStart) {
				t.Errorf("%s: audit event %+v, want reset_requested for the account from the request's client", tc.loginID, e)
			}
		}
		if got := len(f.events(t, db.AuditResetRequested)); got != len(tests) {
			t.Errorf("%d reset_requested events, want %d", got, len(tests))
		}
	})
}

// TestMatchResetWithoutAMatchSendsNothing: a login ID with another
// account's address, an unknown login ID and a disabled account get no
// link and no mail, each audited with its own kind; only a request that
// named no account keeps its address, as a tag.
func TestMatchResetWithoutAMatchSendsNothing(t *testing.T) {
	t.Parallel()
	dbtest.ForEachDialect(t, func(t *testing.T, dialect string) {
		f := newFixture(t, dialect, nil)
		owner := f.newAccount(t, "shop-001", "owner@example.jp", "ja")
		f.newAccount(t, "shop-002", "other@example.jp", "ja")
		disabled := f.newAccount(t, "shop-003", "closed@example.jp", "ja")
		f.disable(t, disabled)

		tests := []struct {
			name          string
			loginID, addr string
			outcome       intake.Outcome
			kind          db.AuditKind
			account       *db.Account // the event's account, if any
			tagged        bool        // the event keeps the typed address as a tag
		}{
			{"another account's address", "shop-001", "other@example.jp", intake.Unmatched, db.AuditResetUnmatched, nil, true},
			{"an unknown address", "shop-001", "stranger@example.jp", intake.Unmatched, db.AuditResetUnmatched, nil, true},
			{"an unknown login ID", "shop-999", "owner@example.jp", intake.Unmatched, db.AuditResetUnmatched, nil, true},
			{"a login ID beyond the normaliser", "shop_001", "owner@example.jp", intake.Unmatched, db.AuditResetUnmatched, nil, true},
			{"a disabled account", "shop-003", "closed@example.jp", intake.Disabled, db.AuditResetDisabled, disabled, false},
		}
		for _, tc := range tests {
			if got := f.matchReset(t, tc.loginID, tc.addr); got != tc.outcome {
				t.Errorf("%s: outcome %q, want %q", tc.name, got, tc.outcome)
			}
			e := f.lastEvent(t)
			if e.Kind != tc.kind || e.LoginID != tc.loginID || e.IP != client.IP {
				t.Errorf("%s: audit event %+v, want %s for %s from %s", tc.name, e, tc.kind, tc.loginID, client.IP)
			}
			switch {
			case tc.account == nil && e.AccountID != nil:
				t.Errorf("%s: the event names account %d, want none", tc.name, *e.AccountID)
			case tc.account != nil && (e.AccountID == nil || *e.AccountID != tc.account.ID):
				t.Errorf("%s: the event names account %v, want %d", tc.name, e.AccountID, tc.account.ID)
			}
			if wantTag := f.Recovery.AddressTag(tc.addr); tc.tagged != bytes.Equal(e.AddrTag, wantTag) {
				t.Errorf("%s: address tag %x, want it only for a request that named no account", tc.name, e.AddrTag)
			}
			if strings.Contains(e.Detail, tc.addr) {
				t.Errorf("%s: the event keeps the typed address in clear: %q", tc.name, e.Detail)
			}
		}
		f.wantNoMail(t)
		if n := f.count(t, "reset_tokens"); n != 0 {
			t.Errorf("%d reset links stored, want none", n)
		}
		if n := f.count(t, "outbox"); n != 0 {
			t.Errorf("%d mails queued, want none", n)
		}
		// The owner's own request still goes through.
		if got := f.matchReset(t, owner.LoginID, owner.Email); got != intake.Matched {
			t.Errorf("the owner's request: outcome %q, want %q", got, intake.Matched)
		}
	})
}

// TestMatchResetTakesNormalisedInput: what step 2 makes of a login ID and
// an address typed in full width, with Japanese dashes, spaces or in
// another case matches the account as registered.
func TestMatchResetTakesNormalisedInput(t *testing.T) {
	t.Parallel()
	dbtest.ForEachDialect(t, func(t *testing.T, dialect string) {
		// Every row matches the same account: the per-account limit is not
		// what this test is about.
		f := newFixture(t, dialect, map[string]string{"LIMIT_MAILS_PER_ACCOUNT": "100/1h"})
		acct := f.newAccount(t, "shop-001", "Taro@Example.jp", "ja")
		tests := []struct {
			name, loginID, addr string
		}{
			{"as registered", "shop-001", "Taro@Example.jp"},
			{"full-width", "ｓｈｏｐ－００１", "Ｔａｒｏ＠Ｅｘａｍｐｌｅ．ｊｐ"},
			{"katakana prolonged sound mark", "shopー001", "taro@example.jp"},
			{"minus sign", "shop−001", "taro@example.jp"},
			{"hyphen", "shop‐001", "taro@example.jp"},
			{"horizontal bar", "shop―001", "taro@example.jp"},
			{"wave dash", "shop〜001", "taro@example.jp"},
			{"spaces around", "　shop-001 ", " TARO@EXAMPLE.JP　"},
			{"zero-width space", "\u200bshop-001", "taro@example.jp\u200b"},
		}
		for _, tc := range tests {
			loginID, addr := account.NormalizeLoginID(tc.loginID), account.NormalizeEmail(tc.addr)
			if got := f.matchReset(t, loginID, addr); got != intake.Matched {
				t.Errorf("%s (%q, %q → %q, %q): outcome %q, want %q", tc.name, tc.loginID, tc.addr, loginID, addr, got, intake.Matched)
				continue
			}
			if msg := f.deliverOne(t); msg.To != acct.Email {
				t.Errorf("%s: mail to %q, want the registered %q", tc.name, msg.To, acct.Email)
			}
		}
	})
}

// TestMatchResetPerAccountLimit: past LIMIT_MAILS_PER_ACCOUNT a request
// queues nothing, leaves the last link working and is audited as limited;
// other accounts are not held back, and the window passing lifts it.
func TestMatchResetPerAccountLimit(t *testing.T) {
	t.Parallel()
	dbtest.ForEachDialect(t, func(t *testing.T, dialect string) {
		f := newFixture(t, dialect, map[string]string{"LIMIT_MAILS_PER_ACCOUNT": "2/1h"})
		acct := f.newAccount(t, "shop-001", "taro@example.jp", "ja")
		other := f.newAccount(t, "shop-002", "hanako@example.jp", "ja")

		var tokens []string
		for i, want := range []intake.Outcome{intake.Matched, intake.Matched, intake.Limited, intake.Limited} {
			f.clock.Advance(time.Minute)
			if got := f.matchReset(t, acct.LoginID, acct.Email); got != want {
				t.Fatalf("request %d: outcome %q, want %q", i+1, got, want)
			}
			if want == intake.Matched {
				tokens = append(tokens, resetToken(t, f.deliverOne(t)))
			} else {
				f.wantNoMail(t)
			}
		}
		if got := f.linkState(t, tokens[1]); got != db.TokenValid {
			t.Errorf("the last mailed link is in state %v after limited requests, want valid", got)
		}
		limited := f.events(t, db.AuditResetLimited)
		if len(limited) != 2 {
			t.Fatalf("%d reset_request_limited events, want 2", len(limited))
		}
		if e := limited[0]; e.AccountID == nil || *e.AccountID != acct.ID || e.Detail != string(limit.MailsPerRecipient) {
			t.Errorf("limited event %+v, want the account and the limit that refused", e)
		}
		if n := len(f.events(t, db.AuditResetRequested)); n != 2 {
			t.Errorf("%d reset_requested events, want 2", n)
		}

		if got := f.matchReset(t, other.LoginID, other.Email); got != intake.Matched {
			t.Errorf("another account: outcome %q, want %q (the limit is per account)", got, intake.Matched)
		}
		f.deliverOne(t)

		f.clock.Advance(time.Hour)
		if got := f.matchReset(t, acct.LoginID, acct.Email); got != intake.Matched {
			t.Errorf("after the window: outcome %q, want %q", got, intake.Matched)
		}
		f.deliverOne(t)
	})
}

// TestMatchResetRevokesTheOlderLink: a new request leaves only its own
// link working.
func TestMatchResetRevokesTheOlderLink(t *testing.T) {
	t.Parallel()
	dbtest.ForEachDialect(t, func(t *testing.T, dialect string) {
		f := newFixture(t, dialect, nil)
		acct := f.newAccount(t, "shop-001", "taro@example.jp", "ja")
		other := f.newAccount(t, "shop-002", "hanako@example.jp", "ja")
		otherToken := f.issueLink(t, other, time.Hour)
		f.deliverOne(t)

		f.matchReset(t, acct.LoginID, acct.Email)
		first := resetToken(t, f.deliverOne(t))
		f.clock.Advance(time.Minute)
		f.matchReset(t, acct.LoginID, acct.Email)
		second := resetToken(t, f.deliverOne(t))

		for _, tc := range []struct {
			name  string
			token string
			want  db.TokenState
		}{
			{"the first link", first, db.TokenRevoked},
			{"the second link", second, db.TokenValid},
			{"another account's link", otherToken, db.TokenValid},
		} {
			if got := f.linkState(t, tc.token); got != tc.want {
				t.Errorf("%s: state %v, want %v", tc.name, got, tc.want)
			}
		}
		if used, err := f.Recovery.ChangePassword(context.Background(), acct, first, "$argon2id$new", client); err != nil || used {
			t.Errorf("ChangePassword with the revoked link = %v, %v; want false, nil", used, err)
		}
	})
}

// TestResetMailExpiresWithItsLink: a reset mail that could not be handed
// over before its link expired is never sent.
func TestResetMailExpiresWithItsLink(t *testing.T) {
	t.Parallel()
	dbtest.ForEachDialect(t, func(t *testing.T, dialect string) {
		f := newFixture(t, dialect, map[string]string{"TOKEN_TTL": "10m"})
		acct := f.newAccount(t, "shop-001", "taro@example.jp", "ja")
		f.matchReset(t, acct.LoginID, acct.Email)

		f.clock.Advance(10 * time.Minute)
		f.wantNoMail(t)
		rows, err := db.ListOutbox(context.Background(), f.DB, db.OutboxFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].Status != db.OutboxExpired || rows[0].Kind != string(mail.KindReset) {
			t.Errorf("outbox = %+v, want the reset mail expired", rows)
		}
	})
}

// TestSendResetByOperator is account send-reset: a link valid for the TTL
// given, older links revoked, the mail queued and the command audited;
// an unknown or disabled account gets nothing.
func TestSendResetByOperator(t *testing.T) {
	t.Parallel()
	dbtest.ForEachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		f := newFixture(t, dialect, nil)
		acct := f.newAccount(t, "shop-001", "taro@example.jp", "en")
		older := f.issueLink(t, acct, time.Hour)
		f.deliverOne(t)

		got, expires, err := f.Recovery.SendResetByOperator(ctx, acct.LoginID, 2*time.Hour)
		if err != nil {
			t.Fatalf("SendResetByOperator: %v", err)
		}
		if got.ID != acct.ID || !expires.Equal(testStart.Add(2*time.Hour)) {
			t.Errorf("SendResetByOperator = account %d until %v, want %d until %v", got.ID, expires, acct.ID, testStart.Add(2*time.Hour))
		}
		msg := f.deliverOne(t)
		token := resetToken(t, msg)
		if msg.To != acct.Email || !strings.Contains(msg.Text, "Works until Wed, 25 Nov, 12:00 (Japan time)") {
			t.Errorf("mail to %s does not give the operator's expiry:\n%s", msg.To, msg.Text)
		}
		if got := f.linkState(t, older); got != db.TokenRevoked {
			t.Errorf("the older link: state %v, want revoked", got)
		}
		f.clock.Advance(2*time.Hour - time.Second)
		if got := f.linkState(t, token); got != db.TokenValid {
			t.Errorf("a second before the TTL ends: state %v, want valid", got)
		}
		f.clock.Advance(time.Second)
		if got := f.linkState(t, token); got != db.TokenExpired {
			t.Errorf("when the TTL ends: state %v, want expired", got)
		}

		events := f.events(t, db.AuditResetByOperator)
		if len(events) != 1 {
			t.Fatalf("%d reset_sent_by_operator events, want 1", len(events))
		}
		if e := events[0]; e.AccountID == nil || *e.AccountID != acct.ID || e.UserAgent != "aikagi account send-reset" ||
			!strings.Contains(e.Detail, "link valid for 2h0m0s") {
			t.Errorf("audit event %+v, want the account, the command and the TTL", e)
		}

		disabled := f.newAccount(t, "shop-002", "closed@example.jp", "ja")
		f.disable(t, disabled)
		for _, loginID := range []string{"shop-999", disabled.LoginID} {
			if _, _, err := f.Recovery.SendResetByOperator(ctx, loginID, time.Hour); err == nil || !strings.Contains(err.Error(), loginID) {
				t.Errorf("SendResetByOperator(%s): error %v, want one naming the login ID", loginID, err)
			}
		}
		f.wantNoMail(t)
		if n := len(f.events(t, db.AuditResetByOperator)); n != 1 {
			t.Errorf("%d reset_sent_by_operator events after refusals, want still 1", n)
		}
	})
}

// TestSendResetByStaff is the console's send-reset: a link valid for the
// TTL chosen, audited with the member of the support desk and their
// reason; a missing or disabled account is refused with its error.
func TestSendResetByStaff(t *testing.T) {
	t.Parallel()
	dbtest.ForEachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		f := newFixture(t, dialect, nil)
		member := newStaff(t, f, "desk@example.test")
		acct := f.newAccount(t, "shop-001", "taro@example.jp", "ja")
		older := f.issueLink(t, acct, time.Hour)
		f.deliverOne(t)

		_, expires, err := f.Recovery.SendResetByStaff(ctx, acct.ID, 24*time.Hour, member, "電話で依頼あり")
		if err != nil {
			t.Fatalf("SendResetByStaff: %v", err)
		}
		if !expires.Equal(testStart.Add(24 * time.Hour)) {
			t.Errorf("expires %v, want a day after now", expires)
		}
		token := resetToken(t, f.deliverOne(t))
		if tok := f.link(t, token); tok == nil || !tok.ExpiresAt.Equal(expires) {
			t.Errorf("the mailed link %+v, want it to expire at %v", tok, expires)
		}
		if got := f.linkState(t, older); got != db.TokenRevoked {
			t.Errorf("the older link: state %v, want revoked", got)
		}
		events := f.events(t, db.AuditResetByOperator)
		if len(events) != 1 {
			t.Fatalf("%d reset_sent_by_operator events, want 1", len(events))
		}
		e := events[0]
		if e.StaffID == nil || *e.StaffID != member.StaffID || e.IP != member.IP || e.UserAgent != member.UserAgent {
			t.Errorf("audit event %+v, want the member, their IP and browser", e)
		}
		for _, want := range []string{"by desk@example.test", "link valid for 24h0m0s", "reason: 電話で依頼あり"} {
			if !strings.Contains(e.Detail, want) {
				t.Errorf("audit detail %q lacks %q", e.Detail, want)
			}
		}

		disabled := f.newAccount(t, "shop-002", "closed@example.jp", "ja")
		f.disable(t, disabled)
		for _, tc := range []struct {
			id   int64
			want error
		}{
			{disabled.ID + 100, recovery.ErrNoAccount},
			{disabled.ID, recovery.ErrAccountDisabled},
		} {
			if _, _, err := f.Recovery.SendResetByStaff(ctx, tc.id, time.Hour, member, "理由"); !errors.Is(err, tc.want) {
				t.Errorf("SendResetByStaff(%d): %v, want %v", tc.id, err, tc.want)
			}
		}
		f.wantNoMail(t)
	})
}
