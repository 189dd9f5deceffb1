package app

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/resend/resend-go/v2"
)

// ResendSender delivers mail through Resend.
type ResendSender struct {
	client *resend.Client
}

// NewResendSender returns a sender using apiKey. baseURL overrides Resend's
// API address when not empty (a local fake in tests).
func NewResendSender(apiKey, baseURL string) (*ResendSender, error) {
	hc := &http.Client{Timeout: 20 * time.Second, Transport: statusRecorder{http.DefaultTransport}}
	client := resend.NewCustomClient(hc, apiKey)
	if baseURL != "" {
		u, err := client.BaseURL.Parse(baseURL)
		if err != nil {
			return nil, fmt.Errorf("resend: base URL: %w", err)
		}
		client.BaseURL = u
	}
	return &ResendSender{client: client}, nil
}

// Send posts m with id as the idempotency key, so a retry after a lost
// response is not delivered twice. A 4xx other than 429 is permanent.
func (s *ResendSender) Send(ctx context.Context, id string, m Message) (string, error) {
	var status int
	ctx = context.WithValue(ctx, statusKey{}, &status)
	resp, err := s.client.Emails.SendWithOptions(ctx, &resend.SendEmailRequest{
		From:    m.From,
		To:      []string{m.To},
		Subject: m.Subject,
		Text:    m.Text,
		Html:    m.HTML,
	}, &resend.SendEmailOptions{IdempotencyKey: id})
	if err != nil {
		err = fmt.Errorf("resend: HTTP %d: %w", status, err)
		if status >= 400 && status < 500 && status != http.StatusTooManyRequests {
			return "", &PermanentError{Err: err}
		}
		return "", err
	}
	return resp.Id, nil
}

type statusKey struct{}

// statusRecorder notes the HTTP status of a response for the caller, since
// resend-go's errors do not carry it.
type statusRecorder struct{ base http.RoundTripper }

func (r statusRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.base.RoundTrip(req)
	if p, ok := req.Context().Value(statusKey{}).(*int); ok && resp != nil {
		*p = resp.StatusCode
	}
	return resp, err
}
