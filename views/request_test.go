package views

import (
	"strings"
	"testing"
	"time"

	"aikagi/app/route"
	"aikagi/views/viewtest"
)

func TestRequestSent(t *testing.T) {
	tests := []struct {
		lang   Lang
		ttl    time.Duration
		expiry string
		from   string
	}{
		{Ja, 30 * time.Minute, "URLの有効期限はメール送信から30分です。", "「no-reply@example.com」からのメール"},
		{Ja, 24 * time.Hour, "URLの有効期限はメール送信から24時間です。", "「no-reply@example.com」からのメール"},
		{En, 30 * time.Minute, "The link works for 30 minutes after the email is sent.", "allow email from “no-reply@example.com”"},
		{En, 90 * time.Minute, "The link works for 1 hour 30 minutes after the email is sent.", "allow email from “no-reply@example.com”"},
	}
	for _, tc := range tests {
		t.Run(string(tc.lang)+" "+tc.ttl.String(), func(t *testing.T) {
			w, q := words[tc.lang], "?lang="+string(tc.lang)
			doc := viewtest.Render(t, RequestSentView(RequestSent{T: T(tc.lang), From: "no-reply@example.com", TTL: tc.ttl}))

			viewtest.WantText(t, doc, "[role=status] h1", w.sentTitle)
			viewtest.WantAttr(t, doc, "ol[aria-label]", "aria-label", w.stepOf3)
			viewtest.WantText(t, doc, "ol li[aria-current=step]", "3."+w.stepLabels[2])
			body := viewtest.Text(t, doc, "body")
			for _, want := range []string{tc.expiry, tc.from} {
				if !strings.Contains(body, want) {
					t.Errorf("page does not say %q:\n%s", want, body)
				}
			}
			viewtest.WantNone(t, doc, "form")
			viewtest.WantAttr(t, doc, "#forgot-login-id", "href", route.ReminderRequest+q)
			viewtest.WantAttr(t, doc, "a[target=_top]", "href", route.Login+q)
		})
	}
}
