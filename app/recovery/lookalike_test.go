package recovery_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"aikagi/db"
	"aikagi/db/dbtest"
)

// TestAddressTag: an address's tag ignores case, tells addresses apart
// and depends on SECRET_KEY.
func TestAddressTag(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "sqlite", nil)
	other := newFixtureOn(t, f.DB, map[string]string{"SECRET_KEY": strings.Repeat("ef", 32)})

	tag := f.Recovery.AddressTag("taro@example.jp")
	if len(tag) != 16 {
		t.Errorf("tag of %d bytes, want 16", len(tag))
	}
	if got := f.Recovery.AddressTag("Taro@EXAMPLE.jp"); !bytes.Equal(got, tag) {
		t.Error("the tag depends on the case of the address")
	}
	if got := f.Recovery.AddressTag("taro@example.com"); bytes.Equal(got, tag) {
		t.Error("two addresses share a tag")
	}
	if got := other.Recovery.AddressTag("taro@example.jp"); bytes.Equal(got, tag) {
		t.Error("the tag is the same under another SECRET_KEY")
	}
	if tags := f.Recovery.AddressTags("taro@example.jp"); len(tags) != 1 || !bytes.Equal(tags[0], tag) {
		t.Errorf("AddressTags without SECRET_KEYS_OLD = %x, want only the current tag", tags)
	}
}

// TestUnmatchedRequestsFoundAcrossAKeyRotation: requests that named an
// account's address with another login ID are found by the address's tags
// after SECRET_KEY was rotated, while the trail holds no address in clear.
func TestUnmatchedRequestsFoundAcrossAKeyRotation(t *testing.T) {
	t.Parallel()
	dbtest.ForEachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		before := newFixture(t, dialect, nil)
		acct := before.newAccount(t, "shop-001", "taro@example.jp", "ja")
		before.matchReset(t, "shop-0001", "TARO@example.jp")
		before.matchReset(t, "shop-777", "someone@example.jp")

		after := newFixtureOn(t, before.DB, map[string]string{"SECRET_KEY": strings.Repeat("cd", 32), "SECRET_KEYS_OLD": testSecretHex})
		tags := after.Recovery.AddressTags(acct.Email)
		if len(tags) != 2 || !bytes.Equal(tags[1], before.Recovery.AddressTag(acct.Email)) {
			t.Fatalf("AddressTags after the rotation = %x, want the new tag, then the old", tags)
		}
		found, err := db.Lookalikes(ctx, after.DB, acct.LoginID, tags, 10)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range found {
			if e.Shared != db.SameAddress {
				t.Errorf("%+v shares %s, want the address", e, e.Shared)
			}
			got = append(got, e.What+" "+e.LoginID)
		}
		if want := "reset_request_nomatch shop-0001"; strings.Join(got, "|") != want {
			t.Errorf("lookalikes = %q, want %q", strings.Join(got, "|"), want)
		}

		var details []string
		if err := after.DB.NewSelect().Table("audit_events").Column("detail").Scan(ctx, &details); err != nil {
			t.Fatal(err)
		}
		for _, d := range details {
			if strings.Contains(strings.ToLower(d), "taro@example.jp") {
				t.Errorf("the audit trail holds the address in clear: %q", d)
			}
		}
	})
}
