package views

import (
	"fmt"
	"time"
)

// SupportText is the wording that keeps a merchant from being stuck: the
// support desk's block, the footer, what step 3 says happens next and by
// when, carrier mail settings, and how long to wait when paused.
type SupportText struct {
	Heading    string // the support block's default heading
	Phone      string // label of the telephone number
	Hours      string // label of the opening hours
	Link       string // the link to SUPPORT_URL
	Privacy    string // the footer's link to PRIVACY_URL
	FooterLink string // the footer's link to SUPPORT_URL

	NoEmailHeading string // step 1: 登録メールアドレスが使えない方
	NoEmailLead    string
	SentLead       string // step 3's tips: when the mail still does not come
	ErrorLead      string // error pages

	// Deadline is step 3's "by when": the link sent at sentAt works until
	// until (now + TOKEN_TTL), said in Japan time.
	Deadline      func(sentAt, until time.Time) string
	RequestAgain  string // step 3 of the reset: back to step 1
	ReminderAgain string // step 3 of the reminder: back to its step 1

	CarrierHeading  string
	CarrierDomain   func(domain string) string // the domain to allow, 「@example.com」
	CarrierSettings string                     // the two settings that block this mail

	TooManyRequests func(wait time.Duration) string // 429, with the time left in the limit's window
	LoginLocked     func(wait time.Duration) string // the login pause, LOGIN_LOCKOUT_WINDOW at most
	BackToReminder  string
	BackToLogin     string

	MailNoReply func(site string) string // every mail's footer
	MailContact string                   // before the support desk in a mail's footer
}

// jaClock is a time as merchants read it in Japan: 14:26, with the date
// when it is not the day of from.
func jaClock(from, at time.Time) string {
	from, at = from.In(jst), at.In(jst)
	if from.Format("20060102") != at.Format("20060102") {
		return at.Format("1月2日 15:04")
	}
	return at.Format("15:04")
}

// enClock is jaClock in English, with the zone said, since an English
// reader may be elsewhere.
func enClock(from, at time.Time) string {
	from, at = from.In(jst), at.In(jst)
	if from.Format("20060102") != at.Format("20060102") {
		return at.Format("15:04 on 2 January") + " (Japan time)"
	}
	return at.Format("15:04") + " (Japan time)"
}

// waitMinutes rounds a wait up to whole minutes, so that trying again
// after the time said always works.
func waitMinutes(d time.Duration) time.Duration {
	if d < time.Minute {
		return time.Minute
	}
	return (d + time.Minute - 1).Truncate(time.Minute)
}

var supportJa = SupportText{
	Heading:        "お問い合わせ先",
	Phone:          "電話",
	Hours:          "受付時間",
	Link:           "お問い合わせページ",
	Privacy:        "プライバシーポリシー",
	FooterLink:     "お問い合わせ",
	NoEmailHeading: "登録メールアドレスが使えない方",
	NoEmailLead:    "登録メールアドレスが退職された方のものだった場合や、アドレスがすでに使えなくなっている場合は、サポート窓口にお問い合わせください。ご本人確認のうえ、登録メールアドレスを変更いたします。",
	SentLead:       "メールが届かない場合や、登録メールアドレスが使えない場合は、サポート窓口にお問い合わせください。",
	ErrorLead:      "解決しない場合は、サポート窓口にお問い合わせください。",
	Deadline: func(sentAt, until time.Time) string {
		return "メールのURLから" + jaClock(sentAt, until) + "までに新しいパスワードを設定してください。"
	},
	RequestAgain:   "もう一度依頼する",
	ReminderAgain:  "もう一度依頼する",
	CarrierHeading: "携帯電話会社のメール(docomo・au・SoftBank)をお使いの方",
	CarrierDomain: func(domain string) string {
		return fmt.Sprintf("「@%s」からのメールを受信できるよう、受信許可の設定に追加してください。", domain)
	},
	CarrierSettings: "「URL付きメール拒否」または「パソコンからのメール拒否」を設定していると、このメールは届きません。設定を解除するか、上のドメインを受信許可に追加してください。",
	TooManyRequests: func(wait time.Duration) string {
		return "短い時間に多くの操作が行われたため、受付を一時的に止めています。" + jaDuration(waitMinutes(wait)) + "ほど待ってから、もう一度お試しください。"
	},
	LoginLocked: func(wait time.Duration) string {
		return "ログインに続けて失敗したため、このログインIDでのログインを一時的に制限しています。最長" + jaDuration(waitMinutes(wait)) + "でもう一度ログインできます。"
	},
	BackToReminder: "ログインID確認依頼に戻る",
	BackToLogin:    "ログイン画面に戻る",
	MailNoReply: func(site string) string {
		return "このメールは" + site + "の送信専用アドレスからお送りしています。ご返信いただいてもお答えできません。"
	},
	MailContact: "お問い合わせは、下記のサポート窓口までお願いいたします。",
}

var supportEn = SupportText{
	Heading:        "Contact support",
	Phone:          "Phone",
	Hours:          "Hours",
	Link:           "Contact page",
	Privacy:        "Privacy policy",
	FooterLink:     "Contact us",
	NoEmailHeading: "Can’t use your registered email address?",
	NoEmailLead:    "If the registered address belonged to someone who has left your business, or the address no longer exists, contact our support desk. Once we’ve confirmed your identity, we can change the registered email address.",
	SentLead:       "If the email doesn’t arrive, or you can’t use the registered address, contact our support desk.",
	ErrorLead:      "If this doesn’t solve the problem, contact our support desk.",
	Deadline: func(sentAt, until time.Time) string {
		return "Use the link in the email to set a new password by " + enClock(sentAt, until) + "."
	},
	RequestAgain:   "Request a new link",
	ReminderAgain:  "Send another request",
	CarrierHeading: "Using a docomo, au or SoftBank email address?",
	CarrierDomain: func(domain string) string {
		return fmt.Sprintf("Add “@%s” to the domains you accept email from.", domain)
	},
	CarrierSettings: "The carrier settings “Reject emails with URLs” and “Reject emails from PCs” block this email. Turn them off, or add the domain above to your accepted domains.",
	TooManyRequests: func(wait time.Duration) string {
		return "There were too many attempts in a short time, so we have paused requests for now. Please wait about " + enDuration(waitMinutes(wait)) + ", then try again."
	},
	LoginLocked: func(wait time.Duration) string {
		return "After several failed attempts, logging in with this login ID is paused. You can log in again within " + enDuration(waitMinutes(wait)) + "."
	},
	BackToReminder: "Back to the login ID reminder",
	BackToLogin:    "Back to the login page",
	MailNoReply: func(site string) string {
		return "This email was sent by " + site + " from an address that cannot receive replies."
	},
	MailContact: "If you have any questions, please contact our support desk:",
}
