package config

import (
	"strings"
	"testing"
	"time"
)

func TestResendSettings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env     map[string]string
		want    Resend
		wantErr string
	}{
		{env: nil, want: Resend{RateLimit: Limit{Max: 2, Window: time.Second}, BatchSize: 100}},
		{env: map[string]string{"RESEND_RATE_LIMIT": "10", "RESEND_BASE_URL": "http://127.0.0.1:8025"},
			want: Resend{BaseURL: "http://127.0.0.1:8025/", RateLimit: Limit{Max: 10, Window: time.Second}, BatchSize: 100}},
		{env: map[string]string{"RESEND_RATE_LIMIT": "100/1m", "RESEND_BASE_URL": "https://proxy.example/resend", "RESEND_BATCH_SIZE": "1"},
			want: Resend{BaseURL: "https://proxy.example/resend/", RateLimit: Limit{Max: 100, Window: time.Minute}, BatchSize: 1}},
		{env: map[string]string{"RESEND_WEBHOOK_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
			want: Resend{WebhookSecret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", RateLimit: Limit{Max: 2, Window: time.Second}, BatchSize: 100}},
		{env: map[string]string{"RESEND_RATE_LIMIT": "0"}, wantErr: "RESEND_RATE_LIMIT"},
		{env: map[string]string{"RESEND_RATE_LIMIT": "fast"}, wantErr: "RESEND_RATE_LIMIT"},
		{env: map[string]string{"RESEND_BATCH_SIZE": "101"}, wantErr: "RESEND_BATCH_SIZE"},
		{env: map[string]string{"RESEND_BATCH_SIZE": "0"}, wantErr: "RESEND_BATCH_SIZE"},
		{env: map[string]string{"RESEND_BASE_URL": "api.resend.com"}, wantErr: "RESEND_BASE_URL"},
		{env: map[string]string{"RESEND_WEBHOOK_SECRET": "whsec_not base64!"}, wantErr: "RESEND_WEBHOOK_SECRET"},
	} {
		env := map[string]string{"SECRET_KEY": testSecretHex}
		for k, v := range tc.env {
			env[k] = v
		}
		cfg, err := Load(getenvFrom(env), noRandomKey(t))
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%v: err = %v, want one about %s", tc.env, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", tc.env, err)
			continue
		}
		if cfg.Resend != tc.want {
			t.Errorf("%v: settings = %+v, want %+v", tc.env, cfg.Resend, tc.want)
		}
	}
}
