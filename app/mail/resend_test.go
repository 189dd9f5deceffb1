package mail

import (
	"errors"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	date := "Wed, 25 Nov 2026 01:00:00 GMT"
	now := time.Date(2026, 11, 25, 1, 0, 10, 0, time.UTC) // our clock is 10 s ahead of theirs
	for _, tc := range []struct {
		value, date string
		want        time.Duration
	}{
		{"", date, 0},
		{"7", date, 7 * time.Second},
		{" 0 ", date, 0},
		{"-5", date, 0},
		{"999999", date, maxRetryAfter},
		{"Wed, 25 Nov 2026 01:00:30 GMT", date, 30 * time.Second}, // from their Date, not our clock
		{"Wed, 25 Nov 2026 01:00:30 GMT", "", 20 * time.Second},
		{"Wed, 25 Nov 2026 00:59:00 GMT", date, 0},
		{"soon", date, 0},
	} {
		if got := parseRetryAfter(tc.value, tc.date, now); got != tc.want {
			t.Errorf("parseRetryAfter(%q, %q) = %v, want %v", tc.value, tc.date, got, tc.want)
		}
	}
}

func TestClassifyResendError(t *testing.T) {
	t.Parallel()
	base := errors.New("[ERROR]: boom")
	for _, tc := range []struct {
		info      responseInfo
		permanent bool
		after     time.Duration
	}{
		{responseInfo{}, false, 0},
		{responseInfo{status: 200}, false, 0},
		{responseInfo{status: 500}, false, 0},
		{responseInfo{status: 503, retryAfter: 9 * time.Second}, false, 9 * time.Second},
		{responseInfo{status: 429, retryAfter: time.Second}, false, time.Second},
		{responseInfo{status: 409, name: "concurrent_idempotent_requests"}, false, 0},
		{responseInfo{status: 409, name: "invalid_idempotent_request"}, true, 0},
		{responseInfo{status: 400, name: "invalid_idempotency_key"}, true, 0},
		{responseInfo{status: 401}, true, 0},
		{responseInfo{status: 403}, true, 0},
		{responseInfo{status: 422, name: "validation_error"}, true, 0},
	} {
		err := classifyResendError(base, &tc.info)
		var perm *PermanentError
		var later *RetryLaterError
		switch {
		case tc.permanent && !errors.As(err, &perm):
			t.Errorf("%+v: %v is not permanent", tc.info, err)
		case !tc.permanent && (!errors.As(err, &later) || later.After != tc.after):
			t.Errorf("%+v: %v, want to retry after %v", tc.info, err, tc.after)
		case !errors.Is(err, base):
			t.Errorf("%+v: %v does not wrap the client's error", tc.info, err)
		}
	}
}
