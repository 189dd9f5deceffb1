package mail

import (
	"testing"
	"time"
)

// TestLeaseBounds checks the constants behind "a killed instance's mail
// goes out within 30 s" and "a live worker never sends on a claim it has
// lost": the lease plus one poll fits in 30 s, and a call to Resend, plus
// the margin for clocks, fits in a lease just renewed (stamped to the
// second) with time to spare for one renewal interval.
func TestLeaseBounds(t *testing.T) {
	t.Parallel()
	if Lease+Poll > 25*time.Second {
		t.Errorf("lease %v + poll %v leave too little of the 30 s for the rate limit", Lease, Poll)
	}
	if resendTimeout+ClaimMargin+time.Second > Lease-RenewEvery {
		t.Errorf("a call of up to %v may outlast a lease of %v renewed every %v", resendTimeout, Lease, RenewEvery)
	}
}
