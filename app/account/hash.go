package account

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"aikagi/app/secret"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/sync/semaphore"
)

// argon2id parameters recommended by OWASP's Password Storage Cheat Sheet:
// 19 MiB, two passes, one lane.
const (
	ArgonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16

	// hashMemoryBudget (KiB) bounds the memory of the password hashes in
	// flight: each takes its argon2 m, and at least a quarter of the budget,
	// so at most four run at once and one 64 MiB hash of an old import runs
	// alone. About 76 MiB, well inside the systemd unit's MemoryMax.
	hashMemoryBudget    = 4 * ArgonMemory
	minHashWeight       = hashMemoryBudget / 4
	MaxImportBcryptCost = 12 // see CheckImportedHash
)

// Hasher hashes and verifies passwords within a memory budget, so that a
// burst of logins cannot take more memory than the service is given.
type Hasher struct {
	budget      *semaphore.Weighted // KiB of argon2 memory in flight
	observeWait func(time.Duration) // how long a hash waited for room; may be nil
}

// NewHasher returns a Hasher with the whole budget free. observeWait, when
// not nil, is told how long each hash waited for room.
func NewHasher(observeWait func(time.Duration)) *Hasher {
	return &Hasher{budget: semaphore.NewWeighted(hashMemoryBudget), observeWait: observeWait}
}

// Hash returns the argon2id PHC string of password, normalised as the
// merchant will type it again (NormalizePassword).
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	release, err := h.Reserve(ctx, ArgonMemory)
	if err != nil {
		return "", err
	}
	defer release()
	return HashArgon2id(NormalizePassword(password)), nil
}

func HashArgon2id(password string) string {
	salt := secret.Random()[:argonSaltLen]
	key := argon2.IDKey([]byte(password), salt, argonTime, ArgonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, ArgonMemory, argonTime, argonThreads,
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

// VerifyArgon2id checks password against a PHC string.
func VerifyArgon2id(encoded, password string) (bool, error) {
	h, err := parseArgon2id(encoded)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), h.salt, h.time, h.memory, h.threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(got, h.key) == 1, nil
}

// Reserve waits until kib KiB of the hashing budget are free and takes
// them; release gives them back.
func (h *Hasher) Reserve(ctx context.Context, kib uint32) (release func(), err error) {
	w := int64(min(max(kib, minHashWeight), hashMemoryBudget))
	start := time.Now()
	if h.observeWait != nil {
		defer func() { h.observeWait(time.Since(start)) }()
	}
	if err := h.budget.Acquire(ctx, w); err != nil {
		return nil, err
	}
	return func() { h.budget.Release(w) }, nil
}

// HashMemory is the argon2 memory (KiB) that verifying encoded takes; the
// smallest weight for anything else (bcrypt needs little memory, but its
// CPU time must be bounded too).
func HashMemory(encoded string) uint32 {
	if h, err := parseArgon2id(encoded); err == nil {
		return h.memory
	}
	return minHashWeight
}

// Verify checks password, normalised, against a stored hash:
// argon2id, or bcrypt imported from the former admin site. upgrade reports
// that the hash should be replaced by argon2id of the normalised password
// now that it is known: for bcrypt, and for a hash made from the password
// as typed before passwords were normalised (the former site stored them
// raw), which is accepted this once.
func (h *Hasher) Verify(ctx context.Context, encoded, password string) (ok, upgrade bool, err error) {
	release, err := h.Reserve(ctx, HashMemory(encoded))
	if err != nil {
		return false, false, err
	}
	defer release()
	normalized := NormalizePassword(password)
	if ok, err = verifyHash(encoded, normalized); err != nil || ok {
		return ok, ok && IsBcrypt(encoded), err
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
		return VerifyArgon2id(encoded, password)
	case IsBcrypt(encoded):
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

func IsBcrypt(encoded string) bool {
	if !strings.HasPrefix(encoded, "$2a$") && !strings.HasPrefix(encoded, "$2b$") && !strings.HasPrefix(encoded, "$2y$") {
		return false
	}
	_, err := bcrypt.Cost([]byte(encoded))
	return err == nil
}

var ErrHashTooSlow = errors.New("too slow to check within the failed-login floor")

// CheckImportedHash accepts an imported hash that a login can verify
// within LOGIN_FAILURE_MIN_DURATION and the hashing budget: bcrypt up to
// cost 12, argon2id up to the app's own memory and passes. A slower hash
// would make a failed login for its account take longer than one for an
// unknown login ID, and so tell which IDs exist.
func CheckImportedHash(encoded string) error {
	if IsBcrypt(encoded) {
		if cost, _ := bcrypt.Cost([]byte(encoded)); cost > MaxImportBcryptCost {
			return fmt.Errorf("%w: bcrypt cost %d is above %d", ErrHashTooSlow, cost, MaxImportBcryptCost)
		}
		return nil
	}
	h, err := parseArgon2id(encoded)
	if err != nil {
		return errors.New("not a bcrypt or argon2id hash")
	}
	if h.memory > ArgonMemory || h.time > argonTime || h.threads > 4 {
		return fmt.Errorf("%w: argon2id m=%d,t=%d,p=%d is above m=%d,t=%d,p=4", ErrHashTooSlow, h.memory, h.time, h.threads, ArgonMemory, argonTime)
	}
	return nil
}

// SlowestImportableHashes are a hash of each kind at the slowest accepted
// parameters, for the start-up check of the failed-login floor.
func SlowestImportableHashes() []string {
	b, _ := bcrypt.GenerateFromPassword([]byte(hex.EncodeToString(secret.Random()[:8])), MaxImportBcryptCost)
	return []string{string(b), HashArgon2id(hex.EncodeToString(secret.Random()[:8]))}
}

// DummyHash is verified when a login ID does not exist, so that an unknown
// ID takes as long to refuse as a wrong password.
var DummyHash = sync.OnceValue(func() string { return HashArgon2id(hex.EncodeToString(secret.Random()[:8])) })
