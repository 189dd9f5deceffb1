package views

import (
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"aikagi/app/problem"
)

// TestTextComplete walks every field of Text in each language, so that a
// message added to one language and forgotten in the other, or a func left
// nil, fails here instead of showing an empty line on a page or in a mail.
func TestTextComplete(t *testing.T) {
	for _, lang := range Langs {
		t.Run(string(lang), func(t *testing.T) {
			text := T(lang)
			if text.Lang != lang {
				t.Errorf("T(%q).Lang = %q", lang, text.Lang)
			}
			checkText(t, lang, "Text", reflect.ValueOf(*text))
		})
	}
}

// checkText checks v, a field of Text at path, and everything inside it.
func checkText(t *testing.T, lang Lang, path string, v reflect.Value) {
	t.Helper()
	switch v.Kind() {
	case reflect.String:
		checkString(t, lang, path, v.String())
		if strings.Contains(v.String(), "%") {
			t.Errorf("%s = %q has a %%: a message that takes a value is a func", path, v.String())
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(ScriptCount{}) {
			for _, s := range []string{v.FieldByName("One").String(), v.FieldByName("Other").String()} {
				checkString(t, lang, path, s)
				if strings.Count(s, countPlaceholder) != 1 {
					t.Errorf("%s = %q, want %s once for the page script to fill", path, s, countPlaceholder)
				}
			}
			return
		}
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue // problems and problemTitles: see TestProblemsWorded
			}
			checkText(t, lang, path+"."+f.Name, v.Field(i))
		}
	case reflect.Array, reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			checkText(t, lang, fmt.Sprintf("%s[%d]", path, i), v.Index(i))
		}
	case reflect.Func:
		if v.IsNil() {
			t.Errorf("%s is nil", path)
			return
		}
		checkFunc(t, lang, path, v)
	default:
		t.Errorf("%s is a %s: teach this test to check it", path, v.Kind())
	}
}

// sampleDurations cover each unit alone and together.
var sampleDurations = []time.Duration{time.Minute, 30 * time.Minute, time.Hour, 90 * time.Minute, 24 * time.Hour}

// checkFunc calls a message func with sample arguments: each count in
// {1, 12}, each duration in sampleDurations, and strings it must repeat.
func checkFunc(t *testing.T, lang Lang, path string, fn reflect.Value) {
	t.Helper()
	typ := fn.Type()
	if typ.NumOut() != 1 || typ.Out(0).Kind() != reflect.String {
		t.Errorf("%s does not return one string", path)
		return
	}
	calls := [][]reflect.Value{nil}
	for i := 0; i < typ.NumIn(); i++ {
		var options []reflect.Value
		switch in := typ.In(i); in {
		case reflect.TypeOf(""):
			options = []reflect.Value{reflect.ValueOf(fmt.Sprintf("arg%d-xq", i))}
		case reflect.TypeOf(0):
			options = []reflect.Value{reflect.ValueOf(1), reflect.ValueOf(12)}
		case reflect.TypeOf(time.Duration(0)):
			for _, d := range sampleDurations {
				options = append(options, reflect.ValueOf(d))
			}
		case reflect.TypeOf(time.Time{}):
			options = []reflect.Value{reflect.ValueOf(time.Date(2026, 4, 1, 6, 30, 0, 0, time.UTC))}
		default:
			t.Errorf("%s takes a %s: teach this test a sample of it", path, in)
			return
		}
		var next [][]reflect.Value
		for _, call := range calls {
			for _, o := range options {
				next = append(next, append(append([]reflect.Value(nil), call...), o))
			}
		}
		calls = next
	}
	for _, args := range calls {
		got := fn.Call(args)[0].String()
		desc := fmt.Sprintf("%s(%v)", path, args)
		checkString(t, lang, desc, got)
		if strings.Contains(got, "%!") {
			t.Errorf("%s = %q: the format and its arguments disagree", desc, got)
		}
		for _, a := range args {
			var want string
			switch a.Kind() {
			case reflect.String:
				want = a.String()
			case reflect.Int:
				want = strconv.Itoa(int(a.Int()))
			}
			if want != "" && !strings.Contains(got, want) {
				t.Errorf("%s = %q leaves out %q", desc, got, want)
			}
		}
	}
}

// wrongPlural finds an English count of 1 with a plural noun.
var wrongPlural = regexp.MustCompile(`\b1 (characters|seconds|minutes|hours)\b`)

func checkString(t *testing.T, lang Lang, path, s string) {
	t.Helper()
	if strings.TrimSpace(s) == "" {
		t.Errorf("%s is empty", path)
		return
	}
	if lang != En {
		return
	}
	if wrongPlural.MatchString(s) {
		t.Errorf("%s = %q: one of something is singular", path, s)
	}
	for _, r := range s {
		if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana) {
			t.Errorf("%s = %q has Japanese in the English text", path, s)
			break
		}
	}
}

// TestProblemsWorded checks that every problem has a message, and a title
// or the generic one for the error page, in every language.
func TestProblemsWorded(t *testing.T) {
	known := map[problem.Problem]bool{}
	for _, p := range problem.All {
		known[p] = true
	}
	for _, lang := range Langs {
		text := T(lang)
		for _, p := range problem.All {
			if p == problem.PasswordTooShort {
				if _, ok := text.problems[p]; ok {
					t.Errorf("%s: %s is worded in problems; it needs the minimum, so it is Text.PasswordTooShort", lang, p)
				}
				continue
			}
			msg := text.problems[p]
			checkString(t, lang, fmt.Sprintf("%s: Problem(%s)", lang, p), msg)
			if strings.Contains(msg, "%") {
				t.Errorf("%s: Problem(%s) = %q has a %%", lang, p, msg)
			}
			checkString(t, lang, fmt.Sprintf("%s: ProblemTitle(%s)", lang, p), text.ProblemTitle(p))
		}
		for p := range text.problems {
			if !known[p] {
				t.Errorf("%s: problems words %q, which is not in problem.All", lang, p)
			}
		}
		for p := range text.problemTitles {
			if !known[p] {
				t.Errorf("%s: problemTitles words %q, which is not in problem.All", lang, p)
			}
		}
	}
	// A title in one language only would make the other fall back to the
	// generic heading.
	for p := range T(Ja).problemTitles {
		if _, ok := T(En).problemTitles[p]; !ok {
			t.Errorf("%s has a Japanese title but no English one", p)
		}
	}
	for p := range T(En).problemTitles {
		if _, ok := T(Ja).problemTitles[p]; !ok {
			t.Errorf("%s has an English title but no Japanese one", p)
		}
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		d      time.Duration
		ja, en string
	}{
		{30 * time.Minute, "30分", "30 minutes"},
		{time.Minute, "1分", "1 minute"},
		{time.Hour, "1時間", "1 hour"},
		{90 * time.Minute, "1時間30分", "1 hour 30 minutes"},
		{61 * time.Minute, "1時間1分", "1 hour 1 minute"},
		{2*time.Hour + time.Minute, "2時間1分", "2 hours 1 minute"},
		{24 * time.Hour, "24時間", "24 hours"},
		{7 * 24 * time.Hour, "168時間", "168 hours"},
		{90 * time.Second, "1分30秒", "1 minute 30 seconds"},
		{time.Second, "1秒", "1 second"},
		{time.Hour + time.Second, "1時間1秒", "1 hour 1 second"},
		{29*time.Minute + 59*time.Second + 600*time.Millisecond, "30分", "30 minutes"},
		{0, "0分", "0 minutes"},
		{-time.Minute, "0分", "0 minutes"},
	}
	for _, tc := range tests {
		if got := jaDuration(tc.d); got != tc.ja {
			t.Errorf("jaDuration(%v) = %q, want %q", tc.d, got, tc.ja)
		}
		if got := enDuration(tc.d); got != tc.en {
			t.Errorf("enDuration(%v) = %q, want %q", tc.d, got, tc.en)
		}
	}
}

// TestDurationsInMessages pins the step 3 wording that the help-center
// article quotes.
func TestDurationsInMessages(t *testing.T) {
	tests := []struct {
		lang Lang
		ttl  time.Duration
		want string
	}{
		{Ja, 30 * time.Minute, "URLの有効期限はメール送信から30分です。"},
		{Ja, 24 * time.Hour, "URLの有効期限はメール送信から24時間です。"},
		{Ja, 90 * time.Minute, "URLの有効期限はメール送信から1時間30分です。"},
		{En, 30 * time.Minute, "The link works for 30 minutes after the email is sent."},
		{En, time.Hour, "The link works for 1 hour after the email is sent."},
		{En, 90 * time.Minute, "The link works for 1 hour 30 minutes after the email is sent."},
	}
	for _, tc := range tests {
		if got := T(tc.lang).SentExpiry(tc.ttl); !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s: SentExpiry(%v) = %q, want it to start %q", tc.lang, tc.ttl, got, tc.want)
		}
	}
}

func TestEnglishCounts(t *testing.T) {
	en := T(En)
	tests := []struct{ got, want string }{
		{en.PasswordTooShort(1), "Use at least 1 character."},
		{en.PasswordTooShort(12), "Use at least 12 characters."},
		{en.PasswordHint(1), "At least 1 character (longer is fine)\n"},
		{en.PasswordHint(12), "At least 12 characters (longer is fine)\n"},
		{en.PasswordFeedbackShort.One, "{n} more character needed"},
		{en.PasswordFeedbackShort.Other, "{n} more characters needed"},
	}
	for _, tc := range tests {
		if !strings.HasPrefix(tc.got, tc.want) {
			t.Errorf("%q, want it to start %q", tc.got, tc.want)
		}
	}
}
