package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Resend are the Resend settings besides RESEND_API_KEY.
type Resend struct {
	BaseURL       string // RESEND_BASE_URL: the API's address, with a trailing slash; empty for Resend's own
	WebhookSecret string // RESEND_WEBHOOK_SECRET: the signing secret of the webhook (whsec_…)
	RateLimit     Limit  // RESEND_RATE_LIMIT: requests to Resend by all instances together
	BatchSize     int    // RESEND_BATCH_SIZE: mails handed over in one request, at most (1 to 100)
}

// resend reads the Resend settings. resend-go also reads
// RESEND_BASE_URL itself, but only once when the program starts; reading it
// here validates it and lets tests point one app at a fake.
func (r *reader) resend() Resend {
	var s Resend
	if v := r.get("RESEND_BASE_URL", ""); v != "" {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			r.fail(fmt.Errorf("RESEND_BASE_URL=%q: use an absolute URL such as https://api.resend.com/", v))
		} else {
			// The client resolves "emails" against it: keep a path prefix.
			if !strings.HasSuffix(u.Path, "/") {
				u.Path += "/"
			}
			s.BaseURL = u.String()
		}
	}
	if v := r.get("RESEND_WEBHOOK_SECRET", ""); v != "" {
		if key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(v, "whsec_")); err != nil || len(key) < 16 {
			r.fail(errors.New("RESEND_WEBHOOK_SECRET: use the signing secret Resend shows for the webhook (whsec_…)"))
		} else {
			s.WebhookSecret = v
		}
	}
	s.RateLimit = Limit{Max: 2, Window: time.Second} // Resend's default per team
	if v := r.get("RESEND_RATE_LIMIT", ""); v != "" {
		if !strings.Contains(v, "/") {
			v += "/1s"
		}
		l, err := ParseLimit(v)
		if err != nil {
			r.fail(fmt.Errorf("RESEND_RATE_LIMIT=%w (a bare number counts per second)", err))
		} else {
			s.RateLimit = l
		}
	}
	s.BatchSize = r.number("RESEND_BATCH_SIZE", "100", 1, 100)
	return s
}
