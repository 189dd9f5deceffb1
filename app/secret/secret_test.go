package secret

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"

	"aikagi/app/config"
)

// Keys of the tests, as SECRET_KEY and SECRET_KEYS_OLD take them.
var (
	keyA = strings.Repeat("a1", 32)
	keyB = strings.Repeat("b2", 32)
	keyC = strings.Repeat("c3", 32)
)

// loadConfig builds the configuration of env, as the server reads it.
func loadConfig(t *testing.T, env map[string]string) config.Config {
	t.Helper()
	cfg, err := config.Load(func(name string) string { return env[name] }, func() []byte {
		t.Error("config.Load generated a random key although SECRET_KEY was set")
		return make([]byte, 32)
	})
	if err != nil {
		t.Fatalf("config.Load(%v): %v", env, err)
	}
	return cfg
}

// An ID is 128 random bits in lower-case hex: it cannot be guessed, fits
// in a URL and on a command line, and no two are alike.
func TestNewID(t *testing.T) {
	t.Parallel()
	shape := regexp.MustCompile(`^[0-9a-f]{32}$`)
	seen := map[string]bool{}
	for range 1000 {
		id := NewID()
		if !shape.MatchString(id) {
			t.Fatalf("NewID() = %q, want 32 lower-case hex digits", id)
		}
		if seen[id] {
			t.Fatalf("NewID() gave %q twice", id)
		}
		seen[id] = true
	}
}

// A token carries 256 random bits in URL-safe text, and the hash NewToken
// returns with it is the one HashToken finds again when the token comes
// back: the database keeps only that.
func TestNewToken(t *testing.T) {
	t.Parallel()
	token, hash := NewToken()
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		t.Fatalf("token %q is not URL-safe base64: %v", token, err)
	}
	if len(raw) != 32 {
		t.Errorf("token carries %d bits, want 256", len(raw)*8)
	}
	if !bytes.Equal(HashToken(token), hash) {
		t.Error("HashToken of the token differs from the hash NewToken returned")
	}
	if sum := sha256.Sum256([]byte(token)); !bytes.Equal(hash, sum[:]) {
		t.Error("the hash is not the token's SHA-256")
	}
	other, otherHash := NewToken()
	if other == token || bytes.Equal(otherHash, hash) {
		t.Error("two tokens are alike")
	}
	if bytes.Equal(HashToken(token+"x"), hash) {
		t.Error("another token has the same hash")
	}
}

// Each purpose gets its own key, and each secret its own keys.
func TestDeriveKey(t *testing.T) {
	t.Parallel()
	a, b := []byte(keyA), []byte(keyB)
	base := DeriveKey(a, "reset-link-mark")
	if len(base) != 32 {
		t.Fatalf("key of %d bytes, want 32", len(base))
	}
	for _, tc := range []struct {
		name   string
		key    []byte
		differ bool
	}{
		{"same secret, same purpose", DeriveKey(a, "reset-link-mark"), false},
		{"same secret, another purpose", DeriveKey(a, "outbox-payload"), true},
		{"another secret, same purpose", DeriveKey(b, "reset-link-mark"), true},
	} {
		if differ := !bytes.Equal(tc.key, base); differ != tc.differ {
			t.Errorf("%s: keys differ = %v, want %v", tc.name, differ, tc.differ)
		}
	}
}

// Keys puts SECRET_KEY's key first, to make what is new, then those of
// SECRET_KEYS_OLD in their order, to check what was made before a
// rotation.
func TestKeys(t *testing.T) {
	t.Parallel()
	decoded := func(hexKey string) []byte {
		return loadConfig(t, map[string]string{"SECRET_KEY": hexKey}).SecretKey
	}
	for _, tc := range []struct {
		name string
		old  string
		want []string
	}{
		{"no old keys", "", []string{keyA}},
		{"two old keys", keyB + "," + keyC, []string{keyA, keyB, keyC}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := loadConfig(t, map[string]string{"SECRET_KEY": keyA, "SECRET_KEYS_OLD": tc.old})
			got := Keys(cfg, "state")
			if len(got) != len(tc.want) {
				t.Fatalf("%d keys, want %d", len(got), len(tc.want))
			}
			for i, k := range tc.want {
				if !bytes.Equal(got[i], DeriveKey(decoded(k), "state")) {
					t.Errorf("key %d is not the one derived from %s…", i, k[:8])
				}
			}
		})
	}
}

// A MAC made under any of the keys is accepted, one under another key or
// for another payload is not.
func TestMACByAny(t *testing.T) {
	t.Parallel()
	keys := [][]byte{DeriveKey([]byte(keyA), "state"), DeriveKey([]byte(keyB), "state")}
	for _, tc := range []struct {
		name string
		sig  []byte
		ok   bool
	}{
		{"current key", MAC(keys[0], "payload"), true},
		{"old key", MAC(keys[1], "payload"), true},
		{"unknown key", MAC(DeriveKey([]byte(keyC), "state"), "payload"), false},
		{"another purpose", MAC(DeriveKey([]byte(keyA), "reset-done"), "payload"), false},
		{"another payload", MAC(keys[0], "payload2"), false},
		{"truncated", MAC(keys[0], "payload")[:16], false},
		{"empty", nil, false},
	} {
		if got := MACByAny(keys, "payload", tc.sig); got != tc.ok {
			t.Errorf("%s: MACByAny = %v, want %v", tc.name, got, tc.ok)
		}
	}
}

// StrictBase64 refuses the second spelling of a value (stray low bits in
// the last character), so a signature has one text only.
func TestStrictBase64(t *testing.T) {
	t.Parallel()
	if _, err := StrictBase64.DecodeString("AA"); err != nil {
		t.Errorf("canonical %q refused: %v", "AA", err)
	}
	if _, err := base64.RawURLEncoding.DecodeString("AB"); err != nil {
		t.Fatalf("the lax decoder refuses %q too: %v", "AB", err)
	}
	if _, err := StrictBase64.DecodeString("AB"); err == nil {
		t.Errorf("non-canonical %q accepted", "AB")
	}
}
