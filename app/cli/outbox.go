package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"aikagi/app/account"
	"aikagi/app/mail"
	"aikagi/app/recovery"
	"aikagi/app/service"
	"aikagi/db"
)

// OutboxCommand runs "outbox list" and "outbox retry ID".
func OutboxCommand(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return errors.New("outbox: use \"outbox list [--status S] [--event E] [--problems] [--limit N]\" or \"outbox retry ID\"")
	}
	if isHelpArg(args[0]) {
		return printUsage(env, "usage: aikagi outbox list [--status S] [--event E] [--problems] [--limit N]\n       aikagi outbox retry ID\n")
	}
	switch args[0] {
	case "list":
		return listOutbox(ctx, env, args[1:])
	case "retry":
		return retryOutbox(ctx, env, args[1:])
	}
	return fmt.Errorf("outbox: unknown sub-command %q (use list or retry)", args[0])
}

// joined lists values for a flag's help and errors.
func joined[T ~string](values []T) string {
	s := make([]string, len(values))
	for i, v := range values {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

func listOutbox(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("outbox list", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	status := fs.String("status", "", "only mail in this status: "+joined(db.OutboxStatuses))
	event := fs.String("event", "", "only mail with this delivery event from Resend: "+joined(db.DeliveryEvents))
	problems := fs.Bool("problems", false, "only mail that needs attention: dead, expired, bounced, complained or failed")
	limit := fs.Int("limit", 50, "at most this many mails, newest first")
	if err := fs.Parse(args); err != nil {
		return err
	}
	filter := db.OutboxFilter{Status: db.OutboxStatus(*status), Event: db.DeliveryEvent(*event), Problems: *problems, Limit: *limit}
	if filter.Status != "" && !slices.Contains(db.OutboxStatuses, filter.Status) {
		return fmt.Errorf("--status: use one of %s", joined(db.OutboxStatuses))
	}
	if filter.Event != "" && !slices.Contains(db.DeliveryEvents, filter.Event) {
		return fmt.Errorf("--event: use one of %s", joined(db.DeliveryEvents))
	}
	if *limit < 1 {
		return errors.New("--limit: use a positive number")
	}
	bdb, err := env.openDB(ctx, env.logger())
	if err != nil {
		return err
	}
	defer bdb.Close()
	rows, err := db.ListOutbox(ctx, bdb, filter)
	if err != nil {
		return err
	}
	t := newTextTable("CREATED", "ID", "KIND", "LOGIN ID", "TO", "STATUS", "TRIES", "NEXT ATTEMPT", "DELIVERY", "LAST ERROR")
	for _, r := range rows {
		t.add(stamp(&r.CreatedAt), r.ID, r.Kind, r.LoginID, r.ToAddr, string(r.Status), fmt.Sprint(r.Attempts),
			nextAttempt(r), delivery(r), truncate(oneLine(r.LastError), 100))
	}
	return t.write(env.Stdout)
}

// nextAttempt says when a row will be tried next, if ever.
func nextAttempt(r db.OutboxMail) string {
	switch r.Status {
	case db.OutboxPending:
		return stamp(&r.NextAttemptAt)
	case db.OutboxSending:
		return "claimed until " + stamp(r.LockedUntil)
	}
	return "-"
}

// delivery is what Resend last reported about a sent row.
func delivery(r db.OutboxMail) string {
	if r.DeliveryEvent == "" {
		return "-"
	}
	s := string(r.DeliveryEvent) + " " + stamp(r.DeliveryEventAt)
	if r.DeliveryDetail != "" {
		s += " (" + truncate(oneLine(r.DeliveryDetail), 80) + ")"
	}
	return s
}

func stamp(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// retryOutbox is "outbox retry ID": a dead row (or one waiting for its next
// attempt) becomes due now, with its tries counted afresh. It sends the
// very message the worker gave up on, under the same idempotency key (see
// docs/architecture.md, "Retrying a dead mail"); an expired link is
// refused with a pointer to "account send-reset".
func retryOutbox(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("outbox retry", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	id, err := parseWithArg(fs, args, "ID")
	if err != nil {
		return err
	}
	bdb, err := env.openDB(ctx, env.logger())
	if err != nil {
		return err
	}
	defer bdb.Close()
	now := env.now()
	row, err := db.GetOutboxMail(ctx, bdb, id)
	if err != nil {
		return err
	}
	if row == nil {
		return fmt.Errorf("outbox retry: no mail %q (see aikagi outbox list)", id)
	}
	if err := checkRetryable(ctx, bdb, row, now); err != nil {
		return err
	}
	err = bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		ok, err := db.RequeueMail(ctx, tx, id, now)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("outbox retry: %s changed meanwhile; look again with aikagi outbox list", id)
		}
		return db.RecordAudit(ctx, tx, &db.AuditEvent{Kind: db.AuditMailRetried, AccountID: row.AccountID,
			Detail: fmt.Sprintf("%s %s, was %s after %d tries: %s", row.Kind, id, row.Status, row.Attempts, truncate(row.LastError, 200))}, now)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s (%s to %s) is queued again; a running aikagi serve sends it within a second.\n", id, row.Kind, row.ToAddr)
	if row.DeadAt != nil && now.Sub(*row.DeadAt) > mail.ResendKeyLifetime {
		fmt.Fprintf(env.Stdout, "Note: it died over %v ago, and Resend forgets idempotency keys after that long. If an earlier attempt reached Resend after all (see its dashboard for %s), the recipient gets a second copy.\n", mail.ResendKeyLifetime, row.ToAddr)
	}
	return nil
}

// sendResetCommand is "account send-reset LOGIN_ID [--ttl 24h]": support
// staff send a merchant a reset link to the account's registered address,
// valid longer than a self-service one. It revokes the account's older
// links, like a merchant's request, but no mail limit applies.
func sendResetCommand(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("account send-reset", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	ttl := fs.Duration("ttl", 24*time.Hour, "how long the link works, from 1m to 168h")
	loginID, err := parseWithArg(fs, args, "LOGIN_ID")
	if err != nil {
		return err
	}
	if *ttl < time.Minute || *ttl > 7*24*time.Hour {
		return fmt.Errorf("--ttl %v: use a duration from 1m to 168h, such as 24h", *ttl)
	}
	svc, closeDB, err := env.openToQueueMail(ctx, "account send-reset")
	if err != nil {
		return err
	}
	defer closeDB()
	acct, expires, err := svc.SendResetByOperator(ctx, account.NormalizeLoginID(loginID), *ttl)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "queued a reset link for %s to %s (%s), valid until %s; older links are revoked.\n"+
		"A running aikagi serve sends it within a second; see aikagi outbox list --status sent.\n",
		acct.LoginID, acct.Email, acct.Locale, stamp(&expires))
	return nil
}

// openToQueueMail opens what a command needs to queue mail for the server
// to send, without the web app: the database, the outbox and the service
// that acts on accounts. It needs the server's SECRET_KEY, which seals the
// queued mail, and its BASE_URL, from which the mail's links are built:
// defaults made up for the command would leave the server unable to open
// the mail, or put a link to this machine in it.
func (e Env) openToQueueMail(ctx context.Context, cmd string) (svc *recovery.Service, closeDB func(), err error) {
	log := e.logger()
	cfg, bdb, err := e.open(ctx, log)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case cfg.SecretGenerated:
		err = fmt.Errorf("%s: set SECRET_KEY to the server's, so that the server can open the queued mail", cmd)
	case strings.TrimSpace(e.Getenv("BASE_URL")) == "":
		err = fmt.Errorf("%s: set BASE_URL to the server's public address, such as https://reset.example.com: the mail's links are built from it", cmd)
	}
	if err != nil {
		bdb.Close()
		return nil, nil, err
	}
	// No sender: a running server's mail worker sends what this queues.
	return service.New(cfg, bdb, log, e.now, nil).Recovery, func() { bdb.Close() }, nil
}

// checkRetryable refuses to queue row again when sending it could not
// help, saying what to do instead.
func checkRetryable(ctx context.Context, bdb *bun.DB, row *db.OutboxMail, now time.Time) error {
	loginID := "LOGIN_ID"
	if row.AccountID != nil {
		if acct, err := db.GetAccount(ctx, bdb, *row.AccountID); err == nil && acct != nil {
			loginID = acct.LoginID
		}
	}
	newLink := "aikagi account send-reset " + loginID
	switch {
	case row.Status == db.OutboxSent:
		msg := fmt.Sprintf("outbox retry: %s was sent at %s (Resend id %s)", row.ID, stamp(row.SentAt), row.ProviderID)
		if row.DeliveryEvent == db.DeliveryBounced || row.DeliveryEvent == db.DeliveryFailed {
			msg += fmt.Sprintf(" and %s: the address did not take it, so sending it again would not help. Correct the account's address, then for a reset link run: %s", row.DeliveryEvent, newLink)
		}
		return errors.New(msg)
	case row.Status == db.OutboxSending:
		return fmt.Errorf("outbox retry: a worker is sending %s now (claimed until %s)", row.ID, stamp(row.LockedUntil))
	case row.ExpiresAt != nil && !now.Before(*row.ExpiresAt) && row.Kind == string(mail.KindReset):
		return fmt.Errorf("outbox retry: the link in %s expired at %s; send a new one: %s", row.ID, stamp(row.ExpiresAt), newLink)
	case row.ExpiresAt != nil && !now.Before(*row.ExpiresAt):
		return fmt.Errorf("outbox retry: the deadline of %s passed at %s; mail that late is not sent", row.ID, stamp(row.ExpiresAt))
	case row.Payload == nil:
		return fmt.Errorf("outbox retry: the content of %s was dropped %v after it died; it cannot be sent again (for a reset link: %s)", row.ID, db.DeadPayloadRetention, newLink)
	}
	if row.Kind != string(mail.KindReset) || row.AccountID == nil {
		return nil
	}
	works, err := db.ResetMailLinkWorks(ctx, bdb, *row.AccountID, row.CreatedAt, now)
	if err != nil {
		return err
	}
	if !works {
		return fmt.Errorf("outbox retry: the link in %s no longer works (a newer link, a password change, a report, a new address or a disabled account since %s); if a link is still needed: %s", row.ID, stamp(&row.CreatedAt), newLink)
	}
	return nil
}

// parseWithArg parses flags with one positional argument named name,
// allowing the flags before or after it ("retry ID --flag" reads naturally,
// but the flag package stops at the first argument).
func parseWithArg(fs *flag.FlagSet, args []string, name string) (string, error) {
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	if fs.NArg() == 0 {
		return "", fmt.Errorf("%s: give the %s", fs.Name(), name)
	}
	arg := fs.Arg(0)
	if err := fs.Parse(fs.Args()[1:]); err != nil {
		return "", err
	}
	if fs.NArg() > 0 {
		return "", fmt.Errorf("%s: one %s only, then flags (got %q too)", fs.Name(), name, fs.Args())
	}
	return arg, nil
}
