// Package secret holds the keys and the cryptography: keys derived from
// SECRET_KEY per purpose (with SECRET_KEYS_OLD for rotation), random tokens
// and their hashes, MACs, and the sealing of payloads at rest.
package secret

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"

	"aikagi/app/config"
)

// DeriveKey gives each use of a secret its own key, so a value signed for
// one purpose is never accepted for another.
func DeriveKey(secret []byte, purpose string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("aikagi/" + purpose))
	return m.Sum(nil)
}

// Keys derives purpose's key from SECRET_KEY, then from each of
// SECRET_KEYS_OLD: the first makes what is new, all of them check what
// comes back.
func Keys(cfg config.Config, purpose string) [][]byte {
	keys := [][]byte{DeriveKey(cfg.SecretKey, purpose)}
	for _, old := range cfg.SecretKeysOld {
		keys = append(keys, DeriveKey(old, purpose))
	}
	return keys
}

// Random returns 32 random bytes.
func Random() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
}

// NewID is 128 random bits in hex, for a row that must not be guessed or
// moved (sealed payloads are bound to it). Hex never starts with "-",
// which a command line would take for a flag (outbox retry ID).
func NewID() string { return hex.EncodeToString(Random()[:16]) }

// NewToken returns 256 random bits as text, for a reset link or a session
// cookie, and the SHA-256 hash that is all the database keeps of it.
func NewToken() (token string, hash []byte) {
	token = base64.RawURLEncoding.EncodeToString(Random())
	return token, HashToken(token)
}

// HashToken is what the database keeps of a token.
func HashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// MAC is payload's HMAC-SHA-256 under key.
func MAC(key []byte, payload string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// MACByAny reports whether sig is payload's MAC under any of keys. It
// checks every key, so its time does not say which one matched.
func MACByAny(keys [][]byte, payload string, sig []byte) bool {
	ok := false
	for _, k := range keys {
		ok = subtle.ConstantTimeCompare(sig, MAC(k, payload)) == 1 || ok
	}
	return ok
}

// StrictBase64 refuses the non-canonical encodings (stray low bits in the
// last character) that would let one signature be written several ways.
var StrictBase64 = base64.RawURLEncoding.Strict()
