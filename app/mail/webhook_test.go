package mail

import (
	"encoding/json"
	"testing"
)

// TestResendTags reads the tags of a webhook in each shape, and ignores
// a shape it does not know instead of refusing the event.
func TestResendTags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ tags, want string }{
		{`{"outbox_id":"ab12","category":"reset"}`, "ab12"},
		{`[{"name":"category","value":"reset"},{"name":"outbox_id","value":"ab12"}]`, "ab12"},
		{`null`, ""},
		{`"outbox_id"`, ""},
		{`{"outbox_id":7}`, ""},
	} {
		var hook resendWebhook
		if err := json.Unmarshal([]byte(`{"type":"email.bounced","data":{"email_id":"re-1","tags":`+tc.tags+`}}`), &hook); err != nil {
			t.Errorf("%s: %v", tc.tags, err)
			continue
		}
		if got := hook.message(); got.OutboxID != tc.want || got.ProviderID != "re-1" {
			t.Errorf("%s: message %+v, want outbox id %q", tc.tags, got, tc.want)
		}
	}
}
