package recovery

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"aikagi/app/route"
	"aikagi/db"

	"github.com/uptrace/bun"
)

// The 「心当たりがない場合」 link of a reset mail carries a report key, not the
// reset token: the key can revoke the link but never use it, so it does no
// harm in the address bar, the history or a mail scanner's log. It is the
// link's row ID and a MAC over that ID and the token's hash.

// ReportKey is the report key of tok, made with SECRET_KEY.
func (s *Service) ReportKey(tok *db.ResetToken) string {
	return reportKeyWith(s.reportKeys[0], tok)
}

func reportKeyWith(secret []byte, tok *db.ResetToken) string {
	m := hmac.New(sha256.New, secret)
	fmt.Fprintf(m, "%d.", tok.ID)
	m.Write(tok.TokenHash)
	return strconv.FormatInt(tok.ID, 10) + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// ReportURL is the 「心当たりがない場合」 link for tok, in lang.
func (s *Service) ReportURL(tok *db.ResetToken, lang route.Lang) string {
	return s.cfg.URL(route.Report, nil) + "?token=" + s.ReportKey(tok) + "&lang=" + string(lang)
}

// ReportedLink returns the reset link a report key names, or nil.
func (s *Service) ReportedLink(ctx context.Context, key string) (*db.ResetToken, error) {
	idText, _, ok := strings.Cut(key, ".")
	id, err := strconv.ParseInt(idText, 10, 64)
	if !ok || err != nil || id <= 0 || len(key) > 64 {
		return nil, nil
	}
	tok, err := db.GetResetToken(ctx, s.db, id)
	if err != nil || tok == nil {
		return nil, err
	}
	valid := false
	for _, k := range s.reportKeys { // links mailed before a key rotation too
		valid = subtle.ConstantTimeCompare([]byte(key), []byte(reportKeyWith(k, tok))) == 1 || valid
	}
	if !valid {
		return nil, nil
	}
	return tok, nil
}

// RevokeReported revokes the link tok, reported through 「心当たりがない場合」,
// with the account's other links, and flags the account for support. revoked is false when
// the link could no longer be revoked.
func (s *Service) RevokeReported(ctx context.Context, tok *db.ResetToken, who db.Actor) (revoked bool, err error) {
	now := s.now()
	err = s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		ok, err := db.RevokeResetToken(ctx, tx, tok.ID, now, db.RevokedReported)
		if err != nil || !ok {
			return err
		}
		if err := db.RevokeResetTokens(ctx, tx, tok.AccountID, now, db.RevokedReported); err != nil {
			return err
		}
		acct, err := db.GetAccount(ctx, tx, tok.AccountID)
		if err != nil {
			return err
		}
		event := &db.AuditEvent{
			Kind: db.AuditResetReported, AccountID: &tok.AccountID, IP: who.IP, UserAgent: who.UserAgent,
			Detail: fmt.Sprintf("reset link %d reported as not requested and revoked; needs a look from support", tok.ID),
		}
		if acct != nil {
			event.LoginID = acct.LoginID
		}
		if err := db.RecordAudit(ctx, tx, event, now); err != nil {
			return err
		}
		revoked = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("report reset link: %w", err)
	}
	return revoked, nil
}
