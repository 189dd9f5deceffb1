package recovery

import (
	"strings"

	"aikagi/app/secret"
)

// addrTagSize is how much of the MAC a tag keeps: enough that two
// addresses never share one, short enough to index.
const addrTagSize = 16

// AddressTag is what the audit trail keeps of an address typed in a
// request that matched no account: a keyed tag under SECRET_KEY, so the
// console can find the requests that named an account's address while the
// trail holds no address in clear.
func (s *Service) AddressTag(addr string) []byte {
	return addressTag(s.addrKeys[0], addr)
}

// AddressTags are addr's tags under SECRET_KEY and each of
// SECRET_KEYS_OLD, for looking requests up across a key rotation.
func (s *Service) AddressTags(addr string) [][]byte {
	tags := make([][]byte, len(s.addrKeys))
	for i, k := range s.addrKeys {
		tags[i] = addressTag(k, addr)
	}
	return tags
}

func addressTag(key []byte, addr string) []byte {
	return secret.MAC(key, strings.ToLower(addr))[:addrTagSize]
}
