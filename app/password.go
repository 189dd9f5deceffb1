package app

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// argon2id parameters recommended by OWASP's Password Storage Cheat Sheet:
// 19 MiB, two passes, one lane.
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16

	// maxConcurrentHashes bounds memory under a burst: each hash takes
	// argonMemory KiB.
	maxConcurrentHashes = 4
)

// hashPassword returns the argon2id PHC string of password, normalised as
// the merchant will type it again (normalizePassword).
func (a *App) hashPassword(ctx context.Context, password string) (string, error) {
	if err := a.acquireHashSlot(ctx); err != nil {
		return "", err
	}
	defer a.releaseHashSlot()
	return hashArgon2id(normalizePassword(password)), nil
}

func hashArgon2id(password string) string {
	salt := RandomKey()[:argonSaltLen]
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// argon2Hash is a parsed argon2id PHC string.
type argon2Hash struct {
	memory, time uint32
	threads      uint8
	salt, key    []byte
}

// parseArgon2id reads a PHC string, refusing parameters that would make a
// single verification expensive enough to defeat the bound on concurrent
// hashing (over 64 MiB or 10 passes).
func parseArgon2id(encoded string) (argon2Hash, error) {
	var h argon2Hash
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return h, errors.New("password: not an argon2id hash")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return h, errors.New("password: unsupported argon2 version")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &h.memory, &h.time, &h.threads); err != nil ||
		h.memory < 8 || h.memory > 64*1024 || h.time < 1 || h.time > 10 || h.threads < 1 || h.threads > 16 {
		return h, errors.New("password: bad argon2 parameters")
	}
	var err error
	if h.salt, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil || len(h.salt) < 8 {
		return h, errors.New("password: bad salt")
	}
	if h.key, err = base64.RawStdEncoding.DecodeString(parts[5]); err != nil || len(h.key) < 16 {
		return h, errors.New("password: bad hash")
	}
	return h, nil
}

// verifyArgon2id checks password against a PHC string.
func verifyArgon2id(encoded, password string) (bool, error) {
	h, err := parseArgon2id(encoded)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), h.salt, h.time, h.memory, h.threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(got, h.key) == 1, nil
}

func (a *App) acquireHashSlot(ctx context.Context) error {
	start := time.Now()
	defer func() { a.metrics.hashWait.Observe(time.Since(start).Seconds()) }()
	select {
	case a.hashing <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (a *App) releaseHashSlot() { <-a.hashing }

// verifyPassword checks password, normalised, against a stored hash:
// argon2id, or bcrypt imported from the former admin site. upgrade reports
// that the hash should be replaced by argon2id of the normalised password
// now that it is known: for bcrypt, and for a hash made from the password
// as typed before passwords were normalised (the former site stored them
// raw), which is accepted this once.
func (a *App) verifyPassword(ctx context.Context, encoded, password string) (ok, upgrade bool, err error) {
	if err := a.acquireHashSlot(ctx); err != nil {
		return false, false, err
	}
	defer a.releaseHashSlot()
	normalized := normalizePassword(password)
	if ok, err = verifyHash(encoded, normalized); err != nil || ok {
		return ok, ok && isBcrypt(encoded), err
	}
	if normalized == password {
		return false, false, nil
	}
	ok, err = verifyHash(encoded, password)
	return ok, ok, err
}

// verifyHash checks password as given against an argon2id or bcrypt hash.
func verifyHash(encoded, password string) (bool, error) {
	switch {
	case strings.HasPrefix(encoded, "$argon2id$"):
		return verifyArgon2id(encoded, password)
	case isBcrypt(encoded):
		err := bcrypt.CompareHashAndPassword([]byte(encoded), []byte(password))
		if errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("password: bcrypt: %w", err)
		}
		return true, nil
	}
	return false, errors.New("password: unknown hash format")
}

func isBcrypt(encoded string) bool {
	if !strings.HasPrefix(encoded, "$2a$") && !strings.HasPrefix(encoded, "$2b$") && !strings.HasPrefix(encoded, "$2y$") {
		return false
	}
	_, err := bcrypt.Cost([]byte(encoded))
	return err == nil
}

// validStoredHash reports whether an imported hash is one we can verify.
func validStoredHash(encoded string) bool {
	if isBcrypt(encoded) {
		return true
	}
	_, err := parseArgon2id(encoded)
	return err == nil
}

// dummyHash is verified when a login ID does not exist, so that an unknown
// ID takes as long to refuse as a wrong password.
var dummyHash = sync.OnceValue(func() string { return hashArgon2id(randomString(16)) })
