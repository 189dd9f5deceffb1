package app

import (
	"aikagi/app/config"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// deriveKey gives each use of SECRET_KEY its own key, so a value signed for
// one purpose is never accepted for another.
func deriveKey(secret []byte, purpose string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("aikagi/" + purpose))
	return m.Sum(nil)
}

// RandomKey returns 32 random bytes.
func RandomKey() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
}

// newSecret returns 256 random bits as text, for a reset link or a session
// cookie, and the SHA-256 hash that is all the database keeps of it.
func newSecret() (token string, hash []byte) {
	token = base64.RawURLEncoding.EncodeToString(RandomKey())
	return token, hashSecret(token)
}

func hashSecret(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

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

// derivedKeys derives purpose's key from SECRET_KEY, then from each of
// SECRET_KEYS_OLD: the first makes what is new, all of them check what
// comes back.
func derivedKeys(cfg config.Config, purpose string) [][]byte {
	keys := [][]byte{deriveKey(cfg.SecretKey, purpose)}
	for _, old := range cfg.SecretKeysOld {
		keys = append(keys, deriveKey(old, purpose))
	}
	return keys
}

// newStateSigner signs with SECRET_KEY and verifies with it and the old
// keys, each derived for purpose; what it signs lasts FORM_TTL.
func newStateSigner(cfg config.Config, purpose string) stateSigner {
	return newStateSignerTTL(cfg, purpose, cfg.StateTTL)
}

func newStateSignerTTL(cfg config.Config, purpose string, ttl time.Duration) stateSigner {
	keys := derivedKeys(cfg, purpose)
	return stateSigner{key: keys[0], old: keys[1:], ttl: ttl}
}

func (s stateSigner) sign(v requestState) string {
	payload, _ := json.Marshal(v)
	enc := base64.RawURLEncoding.EncodeToString(payload)
	return enc + "." + base64.RawURLEncoding.EncodeToString(mac(s.key, enc))
}

func mac(key []byte, payload string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// signedByAny reports whether sig is payload's MAC under any of the keys.
func (s stateSigner) signedByAny(payload string, sig []byte) bool {
	ok := subtle.ConstantTimeCompare(sig, mac(s.key, payload)) == 1
	for _, k := range s.old {
		ok = subtle.ConstantTimeCompare(sig, mac(k, payload)) == 1 || ok
	}
	return ok
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
	got, err := strictBase64.DecodeString(sig)
	if err != nil || !s.signedByAny(enc, got) {
		return v, errStateTampered
	}
	payload, err := strictBase64.DecodeString(enc)
	if err != nil || json.Unmarshal(payload, &v) != nil {
		return requestState{}, errStateTampered
	}
	issued := time.Unix(v.IssuedAt, 0)
	if now.Sub(issued) > s.ttl || issued.Sub(now) > time.Minute {
		return v, errStateExpired
	}
	return v, nil
}

// newSealer returns the AEAD that seals outbox payloads at rest.
func newSealer(key []byte) cipher.AEAD {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(fmt.Sprintf("sealer: %v", err)) // key is always 32 bytes
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(fmt.Sprintf("sealer: %v", err))
	}
	return aead
}

// sealers are the AEADs of SECRET_KEY, then of each SECRET_KEYS_OLD.
func sealers(cfg config.Config) []cipher.AEAD {
	var list []cipher.AEAD
	for _, key := range derivedKeys(cfg, "outbox-payload") {
		list = append(list, newSealer(key))
	}
	return list
}

// seal encrypts plaintext with SECRET_KEY, bound to id so a payload cannot
// be moved to another row.
func (a *App) seal(id string, plaintext []byte) []byte {
	s := a.sealers[0]
	nonce := make([]byte, s.NonceSize())
	_, _ = rand.Read(nonce)
	return s.Seal(nonce, nonce, plaintext, []byte(id))
}

// errNoKeyOpens is a payload that none of this instance's keys opens:
// another instance (or an earlier run) sealed it under a key this one was
// not given. It is left for a while for an instance that has the key.
var errNoKeyOpens = errors.New("no key of this instance opens the payload: every instance needs the same SECRET_KEY, and SECRET_KEYS_OLD must list the keys used before a rotation")

func (a *App) unseal(id string, sealed []byte) ([]byte, error) {
	for _, s := range a.sealers {
		n := s.NonceSize()
		if len(sealed) < n {
			return nil, errors.New("unseal: payload too short")
		}
		if plain, err := s.Open(nil, sealed[:n], sealed[n:], []byte(id)); err == nil {
			return plain, nil
		}
	}
	return nil, fmt.Errorf("unseal: %w", errNoKeyOpens)
}

// strictBase64 refuses the non-canonical encodings (stray low bits in the
// last character) that would let one signature be written several ways.
var strictBase64 = base64.RawURLEncoding.Strict()
