package console

import (
	"testing"
	"time"

	"aikagi/views"
)

func TestMoment(t *testing.T) {
	now := time.Date(2026, 12, 8, 0, 42, 15, 0, time.UTC) // 09:42 in Japan
	for _, tc := range []struct {
		lang      views.Lang
		at        time.Time
		text, ago string
	}{
		{views.Ja, now.Add(-20 * time.Second), "2026/12/08 09:41", "たった今"},
		{views.Ja, now.Add(-3 * time.Minute), "2026/12/08 09:39", "3分前"},
		{views.Ja, now.Add(-10 * time.Hour), "2026/12/07 23:42", "10時間前"},
		{views.Ja, now.Add(-25 * time.Hour), "2026/12/07 08:42", ""},
		{views.Ja, now.Add(30 * time.Minute), "2026/12/08 10:12", ""},
		{views.En, now.Add(-3 * time.Minute), "8 Dec 2026 09:39", "3 min ago"},
		{views.En, time.Date(2026, 12, 31, 15, 0, 0, 0, time.UTC), "1 Jan 2027 00:00", ""},
	} {
		m := T(tc.lang).Moment(tc.at, now)
		if m.Text != tc.text || m.Ago != tc.ago {
			t.Errorf("%s %v: %q %q, want %q %q", tc.lang, tc.at, m.Text, m.Ago, tc.text, tc.ago)
		}
	}
}
