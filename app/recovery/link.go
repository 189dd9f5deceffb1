package recovery

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"

	"aikagi/app/limit"
	"aikagi/app/problem"
	"aikagi/app/secret"
	"aikagi/db"
)

// ErrTooManyGuesses refuses a client that opened more unknown reset links
// than LIMIT_LINK_GUESSES_PER_IP allows: guessing produces unknown links,
// and a real one always opens.
var ErrTooManyGuesses = errors.New("recovery: too many unknown links from this client")

// LinkRefusal says why a reset link cannot be used.
type LinkRefusal struct {
	Problem problem.Problem
	Gone    bool // the link existed (expired, used or revoked), rather than being unknown
	// Renewable is a link whose page may offer a new one in one tap: it
	// expired, or a newer link replaced it. One that was used, reported
	// (「心当たりがない場合」) or ended by a change to the account leads to
	// step 1 or the login instead (the renewal would mail nothing anyway).
	Renewable bool
}

func (e *LinkRefusal) Error() string { return "recovery: reset link refused: " + string(e.Problem) }

// OpenLink finds the account a reset link can still change, for the client
// who opened or submitted it. When it cannot, the refusal is audited with
// the client and returned as a *LinkRefusal; an unknown link also counts
// against the client's guesses, and past their limit the answer is
// ErrTooManyGuesses instead.
func (s *Service) OpenLink(ctx context.Context, token string, who db.Actor) (*db.ResetToken, *db.Account, error) {
	tok, err := s.LookupLink(ctx, token)
	if err != nil {
		return nil, nil, err
	}
	state := tok.State(s.now())
	if state == db.TokenValid {
		acct, err := db.GetAccount(ctx, s.db, tok.AccountID)
		if err != nil {
			return nil, nil, err
		}
		if acct != nil {
			return tok, acct, nil
		}
		state = db.TokenUnknown
	}
	refusal := &LinkRefusal{Problem: problem.LinkInvalid, Gone: true}
	switch state {
	case db.TokenUnknown:
		refusal.Gone = false
		if ok, err := s.limits.PerClient(ctx, limit.LinksPerIP, who.IP); err != nil {
			return nil, nil, err
		} else if !ok {
			return nil, nil, ErrTooManyGuesses
		}
	case db.TokenExpired:
		refusal.Problem, refusal.Renewable = problem.LinkExpired, true
	case db.TokenUsed:
		refusal.Problem = problem.LinkUsed
	case db.TokenRevoked:
		refusal.Problem, refusal.Renewable = problem.LinkRevoked, tok.RevokedReason == db.RevokedReplaced
	case db.TokenValid:
		panic("recovery: a valid link refused")
	}
	event := &db.AuditEvent{Kind: db.AuditTokenRefused, Detail: string(refusal.Problem), IP: who.IP, UserAgent: who.UserAgent}
	if tok != nil {
		event.AccountID = &tok.AccountID
	}
	if err := db.RecordAudit(ctx, s.db, event, s.now()); err != nil {
		return nil, nil, err
	}
	return nil, nil, refusal
}

// UsableLink is the account a link held in a cookie can still change, or
// nil. Unlike OpenLink it records nothing: the merchant did not open that
// link just now.
func (s *Service) UsableLink(ctx context.Context, token string) (*db.ResetToken, *db.Account, error) {
	tok, err := s.LookupLink(ctx, token)
	if err != nil || tok.State(s.now()) != db.TokenValid {
		return nil, nil, err
	}
	acct, err := db.GetAccount(ctx, s.db, tok.AccountID)
	if err != nil || acct == nil {
		return nil, nil, err
	}
	return tok, acct, nil
}

// LinkShaped reports whether token has the shape of a reset link's token;
// others are never looked up.
func LinkShaped(token string) bool {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	return err == nil && len(raw) == 32
}

// LookupLink finds the stored link of token, or nil; tokens of the wrong
// shape are not looked up.
func (s *Service) LookupLink(ctx context.Context, token string) (*db.ResetToken, error) {
	if !LinkShaped(token) {
		return nil, nil
	}
	tok, err := db.LookupResetToken(ctx, s.db, secret.HashToken(token))
	if err != nil {
		return nil, fmt.Errorf("recovery: look up link: %w", err)
	}
	return tok, nil
}
