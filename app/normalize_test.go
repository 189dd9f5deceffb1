package app

import (
	"net/url"
	"strings"
	"testing"
)

func TestNormalisedThroughHandler(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite")
	cases := []struct {
		loginID, email, wantLoginID, wantEmail string
	}{
		{"ｔａｒｏ０１", "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ", "taro01", "taro@example.jp"},
		{"shop〜01", "taro.@ezweb.ne.jp", "shop-01", "taro.@ezweb.ne.jp"},
		{"\u3000shop―01\u200b", ".taro@softbank.ne.jp\u3000", "shop-01", ".taro@softbank.ne.jp"},
	}
	for _, tc := range cases {
		res := postRaw(t, a, "/password-resetting/confirm", "application/x-www-form-urlencoded",
			"login_id="+url.QueryEscape(tc.loginID)+"&email="+url.QueryEscape(tc.email))
		if res.Status != 200 {
			t.Errorf("%q %q: status %d", tc.loginID, tc.email, res.Status)
			continue
		}
		doc := res.Doc(t)
		if got := strings.TrimSpace(doc.Find("#confirm-login-id").Text()); got != tc.wantLoginID {
			t.Errorf("#confirm-login-id = %q, want %q", got, tc.wantLoginID)
		}
		if got := strings.TrimSpace(doc.Find("#confirm-email").Text()); got != tc.wantEmail {
			t.Errorf("#confirm-email = %q, want %q", got, tc.wantEmail)
		}
	}
	res := postRaw(t, a, "/password-resetting/confirm", "application/x-www-form-urlencoded", "login_id=%FF&email=taro%40example.jp")
	assertProblemPage(t, res, 400, "ja", "送信された内容を読み取れませんでした。お手数ですが、最初から入力し直してください。")
}
