package staff

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"image/png"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/uptrace/bun"
	"golang.org/x/text/unicode/norm"

	"aikagi/app/secret"
	"aikagi/db"
)

// TOTP parameters: RFC 6238's defaults, which every authenticator app reads.
const (
	totpPeriod = 30
	totpSkew   = 1 // steps either side of now accepted, for a clock a little off

	// RecoveryCodes is how many recovery codes an enrolment issues.
	RecoveryCodes   = 10
	recoveryCodeLen = 10 // characters, 50 bits from a 32-letter alphabet
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// Enrolment is a TOTP secret offered to a member who has none yet.
type Enrolment struct {
	Secret string // base32, to type into an app that cannot scan
	URL    string // otpauth:// for the QR code, and a link on a phone
	QRPNG  []byte // the QR code as PNG
}

// sealID binds a sealed TOTP secret to its member's row.
func sealID(id int64) string { return db.StaffTOTPSealPrefix + strconv.FormatInt(id, 10) }

// BeginEnrolment offers a member not yet enrolled their TOTP secret: the
// one already waiting for its first code, or a new one kept sealed until a
// code confirms it. A reload or a mistyped code shows the same secret
// again, the one the member's authenticator app already holds.
func (s *Service) BeginEnrolment(ctx context.Context, member *db.Staff) (*Enrolment, error) {
	if member.EnrolledAt != nil {
		return nil, fmt.Errorf("staff: %s is already enrolled", member.Email)
	}
	raw, err := s.pendingSecret(ctx, member)
	if err != nil {
		return nil, err
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: s.cfg.SiteName + " support", AccountName: member.Email,
		Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1, Secret: raw})
	if err != nil {
		return nil, fmt.Errorf("staff: totp: %w", err)
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return nil, fmt.Errorf("staff: qr: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("staff: qr: %w", err)
	}
	return &Enrolment{Secret: key.Secret(), URL: key.URL(), QRPNG: buf.Bytes()}, nil
}

// pendingSecret returns the raw bytes of the member's TOTP secret awaiting
// its first code, making and storing one when there is none. Two pages
// loaded at once store one secret between them: the second finds the
// first's.
func (s *Service) pendingSecret(ctx context.Context, member *db.Staff) ([]byte, error) {
	if len(member.TOTPSealed) == 0 {
		key, err := totp.Generate(totp.GenerateOpts{Issuer: s.cfg.SiteName + " support", AccountName: member.Email})
		if err != nil {
			return nil, fmt.Errorf("staff: totp: %w", err)
		}
		sealed := s.sealer.Seal(sealID(member.ID), []byte(key.Secret()))
		stored, err := db.SetStaffTOTP(ctx, s.db, member.ID, sealed)
		if err != nil {
			return nil, err
		}
		if stored {
			member.TOTPSealed = sealed
		} else if member, err = db.FindStaff(ctx, s.db, member.ID); err != nil {
			return nil, err
		} else if member == nil || member.EnrolledAt != nil || len(member.TOTPSealed) == 0 {
			return nil, errors.New("staff: enrolment: the member changed meanwhile")
		}
	}
	encoded, err := s.sealer.Open(sealID(member.ID), member.TOTPSealed)
	if err != nil {
		return nil, fmt.Errorf("staff: totp secret: %w", err)
	}
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(string(encoded))
	if err != nil {
		return nil, fmt.Errorf("staff: totp secret: %w", err)
	}
	return raw, nil
}

// ConfirmEnrolment checks the first code of the member's new secret. When it
// matches, the member is enrolled, gets RecoveryCodes recovery codes (shown
// once: only their salted argon2id hashes are kept, db.RecoveryCodeHash) and a full session in place of the
// pending one. ok false is a wrong code, audited and counted like one.
func (s *Service) ConfirmEnrolment(ctx context.Context, pending *db.StaffSession, code string, c db.Actor) (codes []string, sessionID string, err error) {
	member, err := db.FindStaff(ctx, s.db, pending.StaffID)
	if err != nil || member == nil {
		return nil, "", err
	}
	audit := &db.AuditEvent{IP: c.IP, UserAgent: c.UserAgent, StaffID: &member.ID, Detail: "staff " + member.Email}
	if out, err := s.admit(ctx, member.Email, c, audit); out != "" || err != nil {
		return nil, "", err
	}
	step, valid, err := s.validTOTP(member, code)
	if err != nil {
		return nil, "", err
	}
	if valid && member.EnrolledAt == nil && member.DisabledAt == nil {
		codes = newRecoveryCodes()
		// Hashed before the transaction, which holds no lock meanwhile.
		salt, hashes, err := s.hashRecoveryCodes(ctx, codes)
		if err != nil {
			return nil, "", err
		}
		err = s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			ok, err := db.UseStaffTOTPStep(ctx, tx, member.ID, step, true, s.now())
			if err != nil || !ok {
				codes = nil
				return err
			}
			if err := db.ReplaceRecoveryCodes(ctx, tx, member.ID, salt, hashes); err != nil {
				return err
			}
			if sessionID, err = s.promote(ctx, tx, pending, member, c); err != nil {
				return err
			}
			audit.Kind = db.AuditStaffEnrolled
			if err := db.RecordAudit(ctx, tx, audit, s.now()); err != nil {
				return err
			}
			succeeded := *audit
			succeeded.ID, succeeded.Kind = 0, db.AuditStaffLoginSucceeded
			return db.RecordAudit(ctx, tx, &succeeded, s.now())
		})
		if err != nil {
			return nil, "", err
		}
		if codes != nil {
			return codes, sessionID, nil
		}
	}
	audit.Kind = db.AuditStaffCodeFailed
	return nil, "", db.RecordAudit(ctx, s.db, audit, s.now())
}

// validTOTP reports whether code is the member's TOTP code at now, within
// totpSkew steps, and which step it is.
func (s *Service) validTOTP(member *db.Staff, code string) (step int64, ok bool, err error) {
	code = strings.Join(strings.Fields(norm.NFKC.String(code)), "")
	if len(code) != 6 || len(member.TOTPSealed) == 0 {
		return 0, false, nil
	}
	key, err := s.sealer.Open(sealID(member.ID), member.TOTPSealed)
	if err != nil {
		return 0, false, fmt.Errorf("staff: totp secret: %w", err)
	}
	now := s.now()
	for d := -totpSkew; d <= totpSkew; d++ {
		at := now.Add(time.Duration(d*totpPeriod) * time.Second)
		want, err := totp.GenerateCodeCustom(string(key), at, totpOpts)
		if err != nil {
			return 0, false, fmt.Errorf("staff: totp: %w", err)
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return at.Unix() / totpPeriod, true, nil
		}
	}
	return 0, false, nil
}

// recoveryAlphabet is RFC 4648's base32, lower-cased: no 0, 1 or 8 to
// confuse with o, l or b.
const recoveryAlphabet = "abcdefghijklmnopqrstuvwxyz234567"

// newRecoveryCodes returns RecoveryCodes random codes written "xxxxx-xxxxx".
func newRecoveryCodes() []string {
	codes := make([]string, RecoveryCodes)
	for i := range codes {
		b := make([]byte, recoveryCodeLen)
		_, _ = rand.Read(b)
		for j := range b {
			b[j] = recoveryAlphabet[b[j]%32]
		}
		codes[i] = string(b[:5]) + "-" + string(b[5:])
	}
	return codes
}

// hashRecoveryCodes returns a new salt and the stored form of each code
// under it. The hashes run side by side, as many as the hasher's memory
// budget lets at once.
func (s *Service) hashRecoveryCodes(ctx context.Context, codes []string) (salt []byte, hashes [][]byte, err error) {
	salt = secret.Random()[:db.RecoverySaltLen]
	hashes = make([][]byte, len(codes))
	errs := make([]error, len(codes))
	var wg sync.WaitGroup
	for i, code := range codes {
		wg.Go(func() { hashes[i], errs[i] = s.hashRecoveryCode(ctx, code, salt) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	return salt, hashes, nil
}

// hashRecoveryCode is db.RecoveryCodeHash of code as typed, under salt.
func (s *Service) hashRecoveryCode(ctx context.Context, code string, salt []byte) ([]byte, error) {
	release, err := s.hasher.Reserve(ctx, db.RecoveryCodeMemory)
	if err != nil {
		return nil, err
	}
	defer release()
	return db.RecoveryCodeHash(secret.HashToken(normalizeRecoveryCode(code)), salt), nil
}

// normalizeRecoveryCode reads a code as typed: any width or case, with or
// without the dash and spaces.
func normalizeRecoveryCode(s string) string {
	s = strings.ToLower(norm.NFKC.String(s))
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, s)
}
