package recovery

import (
	"context"
	"encoding/base64"
	"fmt"
	"time"

	"aikagi/app/intake"
	"aikagi/app/limit"
	"aikagi/app/mail"
	"aikagi/app/route"
	"aikagi/app/secret"
	"aikagi/db"
	"aikagi/views/email"

	"github.com/uptrace/bun"
)

// MatchReset is the intake worker's part of a reset request, in tx:
// when the login ID and address match an account within its mail limits,
// it revokes the account's older links, stores the new one's hash and
// queues the mail. Every outcome is audited with the request's own time
// and client.
func (s *Service) MatchReset(ctx context.Context, tx bun.Tx, r intake.Request) (intake.Outcome, error) {
	acct, err := db.FindAccountForReset(ctx, tx, r.LoginID, r.Email)
	if err != nil {
		return "", err
	}
	event := &db.AuditEvent{Kind: db.AuditResetUnmatched, LoginID: r.LoginID, IP: r.Who.IP, UserAgent: r.Who.UserAgent}
	outcome := intake.Unmatched
	switch {
	case acct == nil:
		event.AddrTag = s.AddressTag(r.Email)
	case acct.DisabledAt != nil:
		event.AccountID = &acct.ID
		outcome, event.Kind = intake.Disabled, db.AuditResetDisabled
	default:
		event.AccountID = &acct.ID
		var refusedBy limit.Name
		outcome, event.Kind, refusedBy, err = s.queueRequestedLink(ctx, tx, acct, r.Who.IP)
		event.Detail = string(refusedBy)
		if err != nil {
			return "", err
		}
	}
	return outcome, db.RecordAudit(ctx, tx, event, r.At)
}

// RenewRefusal says why a renewal mailed nothing. It is audited, never
// shown: the page is the same whatever the worker decides.
type RenewRefusal string

const (
	RenewUnknown  RenewRefusal = "renew_unknown"     // no such link: never made, swept, or its account deleted
	RenewValid    RenewRefusal = "renew_still_valid" // the link still works; there is nothing to renew
	RenewUsed     RenewRefusal = "renew_used"        // the password was set with it
	RenewRevoked  RenewRefusal = "renew_revoked"     // revoked for another reason than a newer link (reported, say)
	RenewTooOld   RenewRefusal = "renew_too_old"     // made more than db.ResetLinkRenewable ago
	RenewEnded    RenewRefusal = "renew_ended"       // since it was made, the password changed or the account's links were ended
	RenewDisabled RenewRefusal = "renew_disabled"    // the account is disabled
)

// RenewalValues are what the renewal of the link token records for the
// worker (MatchRenewal): the hash of the token, never the token itself,
// in the login ID's place, as a renewal has no login ID of its own.
func RenewalValues(token string) intake.Values {
	return intake.Values{LoginID: base64.RawURLEncoding.EncodeToString(secret.HashToken(token))}
}

// MatchRenewal is the intake worker's part of a renewal, the main button
// of an expired or replaced link's page, in tx. The old link proves that
// its mail reached the account's address, so a new link goes there only
// while that still holds: the link merely ran out or was replaced by a
// newer one, within db.ResetLinkRenewable, the account is active, and
// nothing since (a report, a new password or address) has ended its
// links. The per-account mail limits apply as to any request. Every
// outcome is audited with the request's own time and client.
func (s *Service) MatchRenewal(ctx context.Context, tx bun.Tx, r intake.Request) (intake.Outcome, error) {
	var tok *db.ResetToken
	if hash, err := base64.RawURLEncoding.DecodeString(r.LoginID); err == nil {
		if tok, err = db.LookupResetToken(ctx, tx, hash); err != nil {
			return "", err
		}
	}
	acct, refusal, err := s.renewalRefusal(ctx, tx, tok, r.At)
	if err != nil {
		return "", err
	}
	event := &db.AuditEvent{Kind: db.AuditTokenRefused, Detail: string(refusal), IP: r.Who.IP, UserAgent: r.Who.UserAgent}
	if acct != nil {
		event.AccountID, event.LoginID = &acct.ID, acct.LoginID
	}
	outcome := intake.Unmatched
	switch refusal {
	case "":
		var refusedBy limit.Name
		outcome, event.Kind, refusedBy, err = s.queueRequestedLink(ctx, tx, acct, r.Who.IP)
		if err != nil {
			return "", err
		}
		event.Detail = fmt.Sprintf("renewal of link %d", tok.ID)
		if refusedBy != "" {
			event.Detail = string(refusedBy)
		}
	case RenewDisabled:
		outcome, event.Kind = intake.Disabled, db.AuditResetDisabled
	}
	return outcome, db.RecordAudit(ctx, tx, event, r.At)
}

// renewalRefusal says why tok cannot be renewed at the time at, or ""
// with the account that gets the new link.
func (s *Service) renewalRefusal(ctx context.Context, tx bun.IDB, tok *db.ResetToken, at time.Time) (*db.Account, RenewRefusal, error) {
	if tok == nil {
		return nil, RenewUnknown, nil
	}
	acct, err := db.GetAccount(ctx, tx, tok.AccountID)
	if err != nil || acct == nil {
		return nil, RenewUnknown, err
	}
	switch tok.State(at) {
	case db.TokenValid:
		return acct, RenewValid, nil
	case db.TokenUsed:
		return acct, RenewUsed, nil
	case db.TokenRevoked:
		if tok.RevokedReason != db.RevokedReplaced {
			return acct, RenewRevoked, nil
		}
	case db.TokenExpired, db.TokenUnknown:
	}
	if !at.Before(tok.CreatedAt.Add(db.ResetLinkRenewable)) {
		return acct, RenewTooOld, nil
	}
	if acct.DisabledAt != nil {
		return acct, RenewDisabled, nil
	}
	if acct.PasswordChangedAt != nil && acct.PasswordChangedAt.After(tok.CreatedAt) {
		return acct, RenewEnded, nil
	}
	ended, err := db.ResetLinksEndedSince(ctx, tx, acct.ID, tok.CreatedAt)
	if err != nil {
		return nil, "", err
	}
	if ended {
		return acct, RenewEnded, nil
	}
	return acct, "", nil
}

// queueRequestedLink queues a reset link for acct unless a mail limit
// refuses it, and says which.
func (s *Service) queueRequestedLink(ctx context.Context, tx bun.IDB, acct *db.Account, ip string) (outcome intake.Outcome, kind db.AuditKind, refusedBy limit.Name, err error) {
	if refusedBy, err = s.limits.MailAllowed(ctx, tx, fmt.Sprint("mail:account:", acct.ID)); err != nil || refusedBy != "" {
		return intake.Limited, db.AuditResetLimited, refusedBy, err
	}
	if _, _, err := s.QueueResetLink(ctx, tx, acct, s.cfg.TokenTTL, ip); err != nil {
		return "", "", "", err
	}
	return intake.Matched, db.AuditResetRequested, "", nil
}

// QueueResetLink makes a new reset link for acct, valid for ttl, revoking
// older ones, and queues the mail that carries it, in tx; ip is the
// requester's, if any. Both the merchant's request and an operator's
// send-reset come through here. Only the token's hash is stored.
func (s *Service) QueueResetLink(ctx context.Context, tx bun.IDB, acct *db.Account, ttl time.Duration, ip string) (token string, expiresAt time.Time, err error) {
	token, hash := secret.NewToken()
	tok, err := db.CreateResetToken(ctx, tx, acct.ID, hash, s.now(), ttl, ip)
	if err != nil {
		return "", time.Time{}, err
	}
	lang, _ := route.ParseLang(acct.Locale)
	msg := email.ResetMail{
		Lang:      lang,
		SiteName:  s.cfg.Brand.SiteName.In(string(lang)),
		LoginID:   acct.LoginID,
		StoreName: acct.StoreName,
		// The token comes first, and the account's language with it, so the
		// page it opens speaks the mail's language.
		URL:       s.cfg.URL(route.Reset, nil) + "?token=" + token + "&lang=" + string(lang),
		ReportURL: s.ReportURL(tok, lang),
		ExpiresAt: tok.ExpiresAt,
	}
	return token, tok.ExpiresAt, s.outbox.Queue(ctx, tx, s.framed(lang, mail.Outgoing{
		Kind: mail.KindReset, AccountID: acct.ID, To: acct.Email, Subject: msg.Subject(),
		Text: email.ResetMailPlain(msg), HTML: email.ResetMailHTML(msg), ExpiresAt: tok.ExpiresAt,
	}))
}

// SendResetByOperator queues a reset link for the account with loginID,
// valid for ttl, through the path of a merchant's request, and audits it.
func (s *Service) SendResetByOperator(ctx context.Context, loginID string, ttl time.Duration) (*db.Account, time.Time, error) {
	var acct *db.Account
	var expires time.Time
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if acct, err = db.FindAccountByLoginID(ctx, tx, loginID); err != nil {
			return err
		}
		if acct == nil {
			return fmt.Errorf("account send-reset: no account with login ID %q (see aikagi account list)", loginID)
		}
		if acct.DisabledAt != nil {
			return fmt.Errorf("account send-reset: %s is disabled; enable it first (aikagi account enable %s --reason …)", loginID, loginID)
		}
		if _, expires, err = s.QueueResetLink(ctx, tx, acct, ttl, ""); err != nil {
			return err
		}
		return db.RecordAudit(ctx, tx, &db.AuditEvent{Kind: db.AuditResetByOperator, AccountID: &acct.ID, LoginID: acct.LoginID,
			UserAgent: "aikagi account send-reset", Detail: fmt.Sprintf("link valid for %v, until %s", ttl, expires.UTC().Format(time.RFC3339))}, s.now())
	})
	if err != nil {
		return nil, time.Time{}, err
	}
	s.outbox.Wake()
	return acct, expires, nil
}
