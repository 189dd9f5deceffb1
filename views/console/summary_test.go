package console

import (
	"testing"

	"aikagi/views"
)

// A provider's bounce text reads as a cause a support agent can say.
func TestBounceCauseOf(t *testing.T) {
	for _, tc := range []struct {
		detail string
		want   BounceCause
	}{
		{"Permanent/General: 550 5.1.1 <taro@example.jp>: User unknown", CauseNoUser},
		{"Permanent/Suppressed: the address is on the suppression list", CauseSuppressed},
		{"Permanent/General: 550 5.7.1 message rejected by policy", CauseRejected},
		{"Transient/MailboxFull: 452 4.2.2 mailbox full", CauseFull},
		{"Transient/General: try again later", CauseTemporary},
		{"Permanent/NoEmail: host not found", CauseNoDomain},
		{"Undetermined", CauseOther},
		{"", CauseOther},
	} {
		if got := BounceCauseOf(tc.detail); got != tc.want {
			t.Errorf("BounceCauseOf(%q) = %s, want %s", tc.detail, got, tc.want)
		}
	}
}

// A refusal by a mobile carrier's domain says what usually causes it and
// what the merchant can change; elsewhere it is a plain refusal.
func TestBounceReasonOfCarriers(t *testing.T) {
	ja := T(views.Ja)
	if got := ja.BounceReason(CauseRejected, "ezweb.ne.jp"); got != "受信拒否（URL付きメール拒否の可能性）" {
		t.Errorf("ezweb.ne.jp: %q", got)
	}
	if got := ja.BounceReason(CauseRejected, "example.jp"); got != "受信拒否" {
		t.Errorf("example.jp: %q", got)
	}
	if ja.BounceFix(CauseRejected, "docomo.ne.jp") != ja.FixCarrier || ja.BounceFix(CauseTemporary, "docomo.ne.jp") != "" {
		t.Error("the carrier's fix")
	}
	if !IsCarrier("i.softbank.jp") || IsCarrier("notdocomo.ne.jp") {
		t.Error("IsCarrier")
	}
}
