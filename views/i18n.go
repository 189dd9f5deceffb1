package views

import (
	"fmt"
	"strings"
	"time"

	"aikagi/app/problem"
	"aikagi/app/route"
)

// Lang is a UI language; the vocabulary lives in app/route, below the
// views, so that the packages that act on accounts need no views.
type Lang = route.Lang

const (
	Ja = route.Ja
	En = route.En
)

// Langs lists the supported languages, default first.
var Langs = route.Langs

// ParseLang returns the language named by s, and whether it is supported.
func ParseLang(s string) (Lang, bool) { return route.ParseLang(s) }

// MatchAcceptLanguage picks the best supported language for an
// Accept-Language header, Japanese when nothing fits.
func MatchAcceptLanguage(header string) Lang { return route.MatchAcceptLanguage(header) }

// Text is every string of the UI in one language. Fields are checked by the
// compiler; problems are looked up by problem.Problem.
type Text struct {
	Lang            Lang
	LangName        string // this language's own name, for the switcher
	SkipToContent   string
	MetaDescription string
	Steps           [3]string
	ResetSteps      [3]string // the link's part: the mail's link, the new password, done
	StepOf          func(n int) string
	ErrorSummary    string
	RequestTitle    string
	RequestIntro    string
	LoginID         string
	LoginIDHint     string
	Email           string
	EmailHint       string
	Confirm         string
	ConfirmTitle    string
	ConfirmIntro    string
	Edit            string
	Send            string
	SentTitle       string
	SentLead        string
	SentExpiry      func(ttl time.Duration) string
	SentCheckSpam   string
	SentFilter      func(from string) string
	SentNoMail      string
	ToLogin         string
	BackToStart     string
	ErrorTitle      string
	Required        string
	problems        map[problem.Problem]string
	problemTitles   map[problem.Problem]string
	ResetMail       ResetMailText
	DevMailboxName  string

	NewPasswordTitle      string
	NewPasswordIntro      string
	AccountLabel          func(loginID, store string) string
	NewPasswordFor        func(account string) string
	ChooseLinkTitle       string
	ChooseLinkLead        string
	ChooseLinkHeld        string
	ChooseLinkNext        string
	ChooseLinkWarning     string
	ChooseLinkKeep        func(account string) string
	ChooseLinkSwitch      func(account string) string
	ReportTitle           string
	ReportLead            string
	ReportButton          string
	ReportIfMine          string
	ReportDoneTitle       string
	ReportDoneLead        string
	Password              string
	PasswordHint          func(min int) string
	PasswordTooShort      func(min int) string // problem.PasswordTooShort, which needs the minimum
	PasswordConfirm       string
	ShowPassword          string
	HidePassword          string
	ChangePassword        string
	PasswordFeedbackShort ScriptCount // characters still missing, said by the page script
	PasswordFeedbackOK    string
	DoneTitle             string
	DoneLead              string
	LoginTitle            string
	LoginButton           string
	LoginPassword         string
	ForgotPassword        string
	LockedHelp            string
	HomeTitle             string
	HomeLead              func(store string) string
	Logout                string
	ChangedMail           ChangedMailText
	EmailChangedMail      EmailChangedMailText
	Link                  LinkText
	Suggest               SuggestText // text_suggest.go

	ForgotLoginID    string
	ReminderTitle    string
	ReminderIntro    string
	ReminderSentLead string
	ReminderNoMail   string
	ReminderMail     ReminderMailText
	Support          SupportText // text_support.go
}

// ReminderMailText is the wording of the login-ID reminder.
type ReminderMailText struct {
	Subject       func(site string) string
	Lead          func(site string) string
	LoginIDHeader string
	StoreHeader   string
	LoginURL      string
	ResetURL      string
	NotYou        string
}

// ChangedMailText is the wording of the "password changed" notice.
type ChangedMailText struct {
	Subject  func(site string) string
	Lead     string
	When     string
	From     string
	NotYou   string
	LoginURL string
}

// EmailChangedMailText is the wording of the notice that the registered
// address changed, sent to the old and the new address.
type EmailChangedMailText struct {
	Subject  func(site string) string
	Lead     func(site string) string
	Before   string
	After    string
	When     string
	ToOld    string // only in the mail to the old address
	ToNew    string // only in the mail to the new address
	NotYou   string
	LoginURL string
	ResetURL string
}

// ResetMailText is the wording of the reset-link mail.
type ResetMailText struct {
	Subject  func(site string) string
	Greeting func(store string) string
	Lead     func(site string) string
	Button   string
	Expiry   func(at string) string
	OneTime  string
	NotYou   string
	Report   string // the label of the 「心当たりがない場合」 link
	Footer   func(site string) string
	Format   func(t time.Time) string
}

// ScriptCount is a message the page script (assets/js/app.js) fills in as
// the user types, so it cannot be a func: the script replaces {n} with the
// count and uses One when the count is 1, Other otherwise.
type ScriptCount struct {
	One   string
	Other string
}

// countPlaceholder is what the page script replaces in a ScriptCount.
const countPlaceholder = "{n}"

// Problem says p in this language. problem.PasswordTooShort needs the
// minimum length: say it with PasswordTooShort.
func (t *Text) Problem(p problem.Problem) string {
	if s, ok := t.problems[p]; ok {
		return s
	}
	return t.problems[problem.ServerError]
}

// ProblemTitle is the heading of an error page about p.
func (t *Text) ProblemTitle(p problem.Problem) string {
	if s, ok := t.problemTitles[p]; ok {
		return s
	}
	return t.ErrorTitle
}

// T returns the text of l.
func T(l Lang) *Text {
	if l == En {
		return &en
	}
	return &ja
}

// jaDuration says d in 時間, 分 and 秒, leaving out the parts that are zero:
// 24時間, 30分, 1時間30分.
func jaDuration(d time.Duration) string {
	h, m, s := splitDuration(d)
	var b strings.Builder
	if h > 0 {
		fmt.Fprintf(&b, "%d時間", h)
	}
	if m > 0 || (h == 0 && s == 0) {
		fmt.Fprintf(&b, "%d分", m)
	}
	if s > 0 {
		fmt.Fprintf(&b, "%d秒", s)
	}
	return b.String()
}

// enDuration says d in hours, minutes and seconds, leaving out the parts
// that are zero: 24 hours, 30 minutes, 1 hour 30 minutes.
func enDuration(d time.Duration) string {
	h, m, s := splitDuration(d)
	var parts []string
	if h > 0 {
		parts = append(parts, enCount(h, "hour", "hours"))
	}
	if m > 0 || (h == 0 && s == 0) {
		parts = append(parts, enCount(m, "minute", "minutes"))
	}
	if s > 0 {
		parts = append(parts, enCount(s, "second", "seconds"))
	}
	return strings.Join(parts, " ")
}

// splitDuration rounds d to whole seconds and splits it. There is no unit
// above hours: the durations shown are TTLs set in hours and minutes
// (TOKEN_TTL=24h), and they read back the way they were set.
func splitDuration(d time.Duration) (h, m, s int) {
	if d < 0 {
		d = 0
	}
	secs := int(d.Round(time.Second) / time.Second)
	return secs / 3600, secs % 3600 / 60, secs % 60
}

// enCount is n with the English noun for it: 1 character, 2 characters.
func enCount(n int, one, other string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, other)
}
