package app

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"aikagi/app/config"
	"aikagi/app/secret"
)

// requestState is what steps 1–3 carry between requests instead of a
// session: the normalised values and when they were confirmed.
type requestState struct {
	LoginID  string `json:"l"`
	Email    string `json:"e"`
	IssuedAt int64  `json:"t"`
}

var (
	errStateTampered = errors.New("state: signature or encoding invalid")
	errStateExpired  = errors.New("state: expired")
)

// stateSigner signs requestState into a hidden field and checks it back.
// It signs with key and also accepts what the old keys signed, so that a
// form opened before a key rotation still goes through.
type stateSigner struct {
	key []byte
	old [][]byte
	ttl time.Duration
}

// newStateSigner signs with SECRET_KEY and verifies with it and the old
// keys, each derived for purpose; what it signs lasts FORM_TTL.
func newStateSigner(cfg config.Config, purpose string) stateSigner {
	return newStateSignerTTL(cfg, purpose, cfg.StateTTL)
}

func newStateSignerTTL(cfg config.Config, purpose string, ttl time.Duration) stateSigner {
	keys := secret.Keys(cfg, purpose)
	return stateSigner{key: keys[0], old: keys[1:], ttl: ttl}
}

func (s stateSigner) sign(v requestState) string {
	payload, _ := json.Marshal(v)
	enc := base64.RawURLEncoding.EncodeToString(payload)
	return enc + "." + base64.RawURLEncoding.EncodeToString(secret.MAC(s.key, enc))
}

// signedByAny reports whether sig is payload's MAC under any of the keys.
func (s stateSigner) signedByAny(payload string, sig []byte) bool {
	return secret.MACByAny(append([][]byte{s.key}, s.old...), payload, sig)
}

// verify returns the state when the signature holds. A state older than the
// TTL (or issued in the future) comes back with errStateExpired: its values
// are genuine and may refill the form, but must not be acted on.
func (s stateSigner) verify(field string, now time.Time) (requestState, error) {
	var v requestState
	enc, sig, ok := strings.Cut(field, ".")
	if !ok || len(field) > 4096 {
		return v, errStateTampered
	}
	got, err := secret.StrictBase64.DecodeString(sig)
	if err != nil || !s.signedByAny(enc, got) {
		return v, errStateTampered
	}
	payload, err := secret.StrictBase64.DecodeString(enc)
	if err != nil || json.Unmarshal(payload, &v) != nil {
		return requestState{}, errStateTampered
	}
	issued := time.Unix(v.IssuedAt, 0)
	if now.Sub(issued) > s.ttl || issued.Sub(now) > time.Minute {
		return v, errStateExpired
	}
	return v, nil
}
