package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"aikagi/app/account"
	"aikagi/db"
)

// accountAction is what support staff do to an account's standing.
type accountAction string

const (
	actionDisable accountAction = "disable"
	actionEnable  accountAction = "enable"
	actionDelete  accountAction = "delete"
)

// accountStatusCommand is "account disable|enable|delete LOGIN_ID --reason
// TEXT". It needs only DATABASE_URL.
func accountStatusCommand(ctx context.Context, env Env, action accountAction, args []string) error {
	fs := flag.NewFlagSet("account "+string(action), flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	reason := fs.String("reason", "", "why, for the audit trail (required)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: aikagi account %s LOGIN_ID --reason TEXT\n\n%s\n\n", action, action.help())
		fs.PrintDefaults()
	}
	loginID, err := parseWithArg(fs, args, "LOGIN_ID")
	if err != nil {
		return err
	}
	if strings.TrimSpace(*reason) == "" {
		return fmt.Errorf("account %s: give --reason, for the audit trail", action)
	}
	log := env.logger()
	bdb, err := env.openDB(ctx, log)
	if err != nil {
		return err
	}
	defer bdb.Close()
	if err := changeAccountStatus(ctx, bdb, account.NormalizeLoginID(loginID), action, "cli: "+*reason, env.now()); err != nil {
		return fmt.Errorf("account %s: %w", action, err)
	}
	fmt.Fprintf(env.Stdout, "%s: %s\n", terminalSafe(account.NormalizeLoginID(loginID)), action.done())
	return nil
}

func (a accountAction) help() string {
	switch a {
	case actionDisable:
		return "Disables the account: its reset links and logins end, it can no longer log in, and requests for it are answered as usual but mail nothing."
	case actionEnable:
		return "Enables a disabled account again."
	case actionDelete:
		return "Deletes the account with its links and sessions; its mail and audit events stay, no longer linked to it."
	}
	return ""
}

func (a accountAction) done() string {
	switch a {
	case actionDisable:
		return "disabled; its links and sessions have ended"
	case actionEnable:
		return "enabled"
	case actionDelete:
		return "deleted"
	}
	return ""
}

var errNoSuchAccount = errors.New("no account with that login ID (see aikagi account list)")

// changeAccountStatus disables, enables or deletes the account with
// loginID and audits it with reason, in one transaction. Disabling also
// ends the account's reset links and sessions.
func changeAccountStatus(ctx context.Context, bdb *bun.DB, loginID string, action accountAction, reason string, now time.Time) error {
	return bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		acct, err := db.FindAccountByLoginID(ctx, tx, loginID)
		if err != nil {
			return err
		}
		if acct == nil {
			return errNoSuchAccount
		}
		event := &db.AuditEvent{LoginID: acct.LoginID, AccountID: &acct.ID, Detail: reason}
		switch action {
		case actionDisable:
			if acct.DisabledAt != nil {
				return errors.New("the account is disabled already")
			}
			event.Kind = db.AuditAccountDisabled
			if err := disableAccount(ctx, tx, acct.ID, now); err != nil {
				return err
			}
		case actionEnable:
			if acct.DisabledAt == nil {
				return errors.New("the account is not disabled")
			}
			event.Kind = db.AuditAccountEnabled
			if err := db.SetAccountDisabled(ctx, tx, acct.ID, nil, now); err != nil {
				return err
			}
		case actionDelete:
			event.Kind, event.AccountID = db.AuditAccountDeleted, nil
			if err := db.DeleteAccount(ctx, tx, acct.ID); err != nil {
				return err
			}
		default:
			return fmt.Errorf("unknown action %q", action)
		}
		return db.RecordAudit(ctx, tx, event, now)
	})
}

func disableAccount(ctx context.Context, tx bun.Tx, id int64, now time.Time) error {
	if err := db.SetAccountDisabled(ctx, tx, id, &now, now); err != nil {
		return err
	}
	if err := db.RevokeResetTokens(ctx, tx, id, now); err != nil {
		return err
	}
	return db.DeleteAccountSessions(ctx, tx, id)
}
