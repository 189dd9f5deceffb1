package secret

import (
	"bytes"
	"errors"
	"testing"
)

// A sealed payload opens again under the id it was sealed for, and does
// not show what it holds.
func TestSealerOpensWhatItSealed(t *testing.T) {
	t.Parallel()
	s := NewSealer(loadConfig(t, map[string]string{"SECRET_KEY": keyA}))
	id := NewID()
	plain := []byte(`{"l":"taro01","e":"taro@example.jp"}`)
	sealed := s.Seal(id, plain)
	if bytes.Contains(sealed, []byte("taro")) {
		t.Errorf("the sealed payload shows its content: %q", sealed)
	}
	if again := s.Seal(id, plain); bytes.Equal(again, sealed) {
		t.Error("sealing the same payload twice gave the same bytes")
	}
	got, err := s.Open(id, sealed)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if !bytes.Equal(got, plain) {
		t.Errorf("Open = %q, want %q", got, plain)
	}
}

// A payload moved to another row, or changed by a single bit, does not
// open.
func TestSealerRefusesMovedOrChangedPayloads(t *testing.T) {
	t.Parallel()
	s := NewSealer(loadConfig(t, map[string]string{"SECRET_KEY": keyA}))
	id := NewID()
	sealed := s.Seal(id, []byte("the address to write to"))
	flipped := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 1
		return b
	}
	for _, tc := range []struct {
		name, id string
		sealed   []byte
	}{
		{"another id", NewID(), sealed},
		{"nonce changed", id, flipped(0)},
		{"ciphertext changed", id, flipped(len(sealed) / 2)},
		{"tag changed", id, flipped(len(sealed) - 1)},
		{"cut short", id, sealed[:len(sealed)-1]},
		{"shorter than a nonce", id, sealed[:4]},
		{"empty", id, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := s.Open(tc.id, tc.sealed); err == nil {
				t.Errorf("opened: %q", got)
			}
		})
	}
}

// After a rotation, what the old key sealed still opens with the new
// SECRET_KEY when SECRET_KEYS_OLD lists the old one, and what is sealed
// then uses the new key; an instance without the key says so with
// ErrNoKeyOpens, which the workers wait on instead of giving up.
func TestSealerKeyRotation(t *testing.T) {
	t.Parallel()
	before := NewSealer(loadConfig(t, map[string]string{"SECRET_KEY": keyA}))
	after := NewSealer(loadConfig(t, map[string]string{"SECRET_KEY": keyB, "SECRET_KEYS_OLD": keyA}))
	newOnly := NewSealer(loadConfig(t, map[string]string{"SECRET_KEY": keyB}))
	stranger := NewSealer(loadConfig(t, map[string]string{"SECRET_KEY": keyC, "SECRET_KEYS_OLD": keyB}))
	id := NewID()
	sealedBefore := before.Seal(id, []byte("sealed before the rotation"))
	sealedAfter := after.Seal(id, []byte("sealed after the rotation"))
	for _, tc := range []struct {
		name   string
		sealer *Sealer
		sealed []byte
		want   string // "" for ErrNoKeyOpens
	}{
		{"old payload, key in SECRET_KEYS_OLD", after, sealedBefore, "sealed before the rotation"},
		{"old payload, old key dropped", newOnly, sealedBefore, ""},
		{"old payload, unrelated keys", stranger, sealedBefore, ""},
		{"new payload, new key", newOnly, sealedAfter, "sealed after the rotation"},
		{"new payload, key listed as old", stranger, sealedAfter, "sealed after the rotation"},
		{"new payload, only the old key", before, sealedAfter, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.sealer.Open(id, tc.sealed)
			if tc.want == "" {
				if !errors.Is(err, ErrNoKeyOpens) {
					t.Errorf("Open = %q, %v; want ErrNoKeyOpens", got, err)
				}
				return
			}
			if err != nil || string(got) != tc.want {
				t.Errorf("Open = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}
