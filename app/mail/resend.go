package mail

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/resend/resend-go/v2"
)

// ResendKeyLifetime is how long Resend remembers an idempotency key.
const ResendKeyLifetime = 24 * time.Hour

// resendTimeout bounds one call to Resend. It stays well under outboxLease
// (the worker also cuts a call off before its claim runs out), so a worker
// never sends with a claim that may have passed to another.
const resendTimeout = 10 * time.Second

// ResendSender delivers mail through Resend: one POST /emails for a single
// outbox row, with the row id as Idempotency-Key, and POST /emails/batch
// for several, with the batch's id (fixed in the outbox when the rows were
// claimed) as the key. A retry of a request whose answer was lost returns
// the first answer instead of second mails.
type ResendSender struct {
	client *resend.Client
}

// NewResendSender returns a sender using apiKey. baseURL overrides Resend's
// API address when not empty (a local fake in tests); timeout bounds each
// call (resendTimeout when zero).
func NewResendSender(apiKey, baseURL string, timeout time.Duration) (*ResendSender, error) {
	if timeout <= 0 {
		timeout = resendTimeout
	}
	hc := &http.Client{Timeout: timeout, Transport: responseRecorder{http.DefaultTransport}}
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

// rateLimited marks Resend as limiting requests per team.
func (s *ResendSender) rateLimited() {}

// outboxIDTag names the Resend tag that carries a mail's outbox id, which
// Resend echoes in its webhooks. Tag values allow only ASCII letters,
// digits, "_" and "-"; outbox ids are hex (newOutboxID).
const outboxIDTag = "outbox_id"

// request is the Resend form of m, tagged with its outbox id.
func request(id string, m Message) *resend.SendEmailRequest {
	return &resend.SendEmailRequest{
		From:    m.From,
		To:      []string{m.To},
		Subject: m.Subject,
		Text:    m.Text,
		Html:    m.HTML,
		Tags:    []resend.Tag{{Name: outboxIDTag, Value: id}},
	}
}

// SendBatch posts msgs in one request under key, with strict validation:
// Resend accepts all of them or none. A refusal for the content of one
// mail is a *PermanentError with Content set.
func (s *ResendSender) SendBatch(ctx context.Context, key string, msgs []Tagged) ([]string, error) {
	info := &responseInfo{}
	ctx = context.WithValue(ctx, responseInfoKey{}, info)
	reqs := make([]*resend.SendEmailRequest, len(msgs))
	for i, m := range msgs {
		reqs[i] = request(m.ID, m.Message)
	}
	resp, err := s.client.Batch.SendWithOptions(ctx, reqs, &resend.BatchSendEmailOptions{
		IdempotencyKey: key, BatchValidation: resend.BatchValidationStrict,
	})
	if err == nil && len(resp.Data) != len(msgs) {
		err = fmt.Errorf("%d message ids for %d mails in the response", len(resp.Data), len(msgs))
	}
	if err != nil {
		return nil, classifyResendError(err, info)
	}
	ids := make([]string, len(msgs))
	for i, d := range resp.Data {
		if d.Id == "" {
			return nil, classifyResendError(errors.New("no message id in the response"), info)
		}
		ids[i] = d.Id
	}
	return ids, nil
}

// Send posts m with id as the idempotency key and as the outbox_id tag.
// Its errors say whether a retry may help: a *PermanentError for what
// Resend refused, a *RetryLaterError (with Resend's Retry-After) for
// everything else.
func (s *ResendSender) Send(ctx context.Context, id string, m Message) (string, error) {
	info := &responseInfo{}
	ctx = context.WithValue(ctx, responseInfoKey{}, info)
	resp, err := s.client.Emails.SendWithOptions(ctx, request(id, m), &resend.SendEmailOptions{IdempotencyKey: id})
	if err == nil && resp.Id == "" {
		err = errors.New("no message id in the response")
	}
	if err != nil {
		return "", classifyResendError(err, info)
	}
	return resp.Id, nil
}

// classifyResendError sorts a failed call into what retrying can and
// cannot fix, and says what an operator should check.
func classifyResendError(err error, info *responseInfo) error {
	if info.status == 0 {
		// Refused, reset, timed out: the mail may or may not have been
		// accepted; the idempotency key makes the retry safe either way.
		return &RetryLaterError{Err: fmt.Errorf("resend: %w", err)}
	}
	desc := fmt.Sprintf("resend: HTTP %d", info.status)
	if info.name != "" {
		desc += " " + info.name
	}
	err = fmt.Errorf("%s: %w", desc, err)
	switch {
	case info.status == http.StatusTooManyRequests:
		return &RetryLaterError{Err: err, After: info.retryAfter, Throttled: true}
	case info.status >= 500:
		return &RetryLaterError{Err: err, After: info.retryAfter}
	case info.status == http.StatusConflict && info.name == "concurrent_idempotent_requests":
		// An earlier attempt (one we gave up waiting for) is still being
		// processed; asking again later returns its outcome.
		return &RetryLaterError{Err: err}
	case info.status < 300:
		// Accepted, but the answer was unreadable: ask again for it.
		return &RetryLaterError{Err: err}
	case info.status == http.StatusUnauthorized, info.status == http.StatusForbidden:
		err = fmt.Errorf("%w (check RESEND_API_KEY, and that the domain of MAIL_FROM is verified in Resend)", err)
	case info.status == http.StatusUnprocessableEntity, info.status == http.StatusBadRequest:
		err = fmt.Errorf("%w (Resend refused the message: check MAIL_FROM and the recipient's address)", err)
		return &PermanentError{Err: err, Content: true}
	}
	return &PermanentError{Err: err}
}

type responseInfoKey struct{}

// responseInfo is what resend-go's errors leave out: the HTTP status, the
// error's name (Resend tells two kinds of 409 apart only by it) and how long
// Resend asks us to wait.
type responseInfo struct {
	status     int
	name       string
	retryAfter time.Duration
}

// responseRecorder notes the responseInfo of a response for the caller
// that put one in the request's context.
type responseRecorder struct{ base http.RoundTripper }

func (r responseRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.base.RoundTrip(req)
	info, ok := req.Context().Value(responseInfoKey{}).(*responseInfo)
	if !ok || resp == nil {
		return resp, err
	}
	info.status = resp.StatusCode
	info.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), resp.Header.Get("Date"), time.Now())
	if resp.StatusCode == http.StatusTooManyRequests {
		// Resend's own header says when the window resets; the longer wait wins.
		info.retryAfter = max(info.retryAfter, parseRetryAfter(resp.Header.Get("Ratelimit-Reset"), "", time.Now()))
	}
	if resp.StatusCode >= 400 {
		// Read the error body for its name and put it back for resend-go.
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		var e struct {
			Name string `json:"name"`
		}
		if json.Unmarshal(body, &e) == nil {
			info.name = e.Name
		}
	}
	return resp, err
}

// maxRetryAfter caps a provider's Retry-After, so that a wrong header does
// not park mail for days.
const maxRetryAfter = time.Hour

// parseRetryAfter reads Retry-After as seconds or as an HTTP date. A date
// is taken relative to the response's Date header when there is one, so
// that a skewed clock on either side does not matter; otherwise to now.
func parseRetryAfter(value, date string, now time.Time) time.Duration {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(value, 10, 64); err == nil {
		d = time.Duration(min(max(secs, 0), int64(maxRetryAfter/time.Second))) * time.Second
	} else if at, err := http.ParseTime(value); err == nil {
		if sent, err := http.ParseTime(date); err == nil {
			now = sent
		}
		d = at.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}
