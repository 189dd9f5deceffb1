package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"

	"aikagi/app/config"
)

// ErrNoKeyOpens is a payload that none of this instance's keys opens:
// another instance (or an earlier run) sealed it under a key this one was
// not given. It is left for a while for an instance that has the key.
var ErrNoKeyOpens = errors.New("no key of this instance opens the payload: every instance needs the same SECRET_KEY, and SECRET_KEYS_OLD must list the keys used before a rotation")

// Sealer encrypts payloads at rest (mail and recorded requests) with
// SECRET_KEY, and opens them with it or any of SECRET_KEYS_OLD.
type Sealer struct {
	aeads []cipher.AEAD // SECRET_KEY's first
}

// NewSealer builds the sealer of cfg's keys.
func NewSealer(cfg config.Config) *Sealer {
	s := &Sealer{}
	for _, key := range Keys(cfg, "outbox-payload") {
		block, err := aes.NewCipher(key)
		if err != nil {
			panic(fmt.Sprintf("sealer: %v", err)) // a derived key is always 32 bytes
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			panic(fmt.Sprintf("sealer: %v", err))
		}
		s.aeads = append(s.aeads, aead)
	}
	return s
}

// Seal encrypts plaintext with SECRET_KEY, bound to id so a payload cannot
// be moved to another row.
func (s *Sealer) Seal(id string, plaintext []byte) []byte {
	aead := s.aeads[0]
	nonce := make([]byte, aead.NonceSize())
	_, _ = rand.Read(nonce)
	return aead.Seal(nonce, nonce, plaintext, []byte(id))
}

// Open decrypts what Seal sealed for id, with any of the keys.
func (s *Sealer) Open(id string, sealed []byte) ([]byte, error) {
	plain, _, err := s.open(id, sealed)
	return plain, err
}

// open is Open, and says whether a key of SECRET_KEYS_OLD opened it.
func (s *Sealer) open(id string, sealed []byte) (plain []byte, old bool, err error) {
	for i, aead := range s.aeads {
		n := aead.NonceSize()
		if len(sealed) < n {
			return nil, false, errors.New("unseal: payload too short")
		}
		if plain, err := aead.Open(nil, sealed[:n], sealed[n:], []byte(id)); err == nil {
			return plain, i > 0, nil
		}
	}
	return nil, false, fmt.Errorf("unseal: %w", ErrNoKeyOpens)
}

// Reseal returns what was sealed for id under a key of SECRET_KEYS_OLD
// sealed again under SECRET_KEY, and nil for a payload SECRET_KEY already
// seals: once nothing is left under the old keys, they can go.
func (s *Sealer) Reseal(id string, sealed []byte) ([]byte, error) {
	plain, old, err := s.open(id, sealed)
	if err != nil || !old {
		return nil, err
	}
	return s.Seal(id, plain), nil
}

// Rotating reports whether this instance still knows old keys
// (SECRET_KEYS_OLD), which Reseal moves payloads away from.
func (s *Sealer) Rotating() bool { return len(s.aeads) > 1 }
