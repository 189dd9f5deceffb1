package views

import (
	"aikagi/app/problem"
	"fmt"
	"time"

	"golang.org/x/text/language"
)

// Lang is a UI language. Japanese is the default; English is the second.
type Lang string

const (
	Ja Lang = "ja"
	En Lang = "en"
)

// Langs lists the supported languages, default first.
var Langs = []Lang{Ja, En}

// ParseLang returns the language named by s, and whether it is supported.
func ParseLang(s string) (Lang, bool) {
	switch Lang(s) {
	case Ja, En:
		return Lang(s), true
	}
	return Ja, false
}

// Other is the language a page offers to switch to.
func (l Lang) Other() Lang {
	if l == En {
		return Ja
	}
	return En
}

// Text is every string of the UI in one language. Fields are checked by the
// compiler; problems are looked up by problem.Problem.
type Text struct {
	Lang            Lang
	LangName        string // this language's own name, for the switcher
	SkipToContent   string
	MetaDescription string
	Steps           [3]string
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
	Sending         string
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
	PasswordConfirm       string
	ShowPassword          string
	HidePassword          string
	ChangePassword        string
	PasswordFeedbackShort string // %d: characters still missing; used by the page script
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

	ForgotLoginID    string
	ReminderTitle    string
	ReminderIntro    string
	ReminderSentLead string
	ReminderNoMail   string
	ReminderMail     ReminderMailText
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
	Lead     func(site string) string
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

// Problem says p in this language.
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

var jst = time.FixedZone("JST", 9*60*60)

var ja = Text{
	Lang:            Ja,
	LangName:        "日本語",
	SkipToContent:   "本文へ移動",
	MetaDescription: "加盟店管理サイトにログインできなくなったときに、パスワードを再設定したりログインIDを確認したりできます。",
	Steps:           [3]string{"入力", "確認", "完了"},
	StepOf:          func(n int) string { return fmt.Sprintf("全3ステップ中 %d", n) },
	ErrorSummary:    "入力内容を確認してください",
	RequestTitle:    "パスワード再設定依頼",
	RequestIntro:    "管理サイトに登録しているログインIDとメールアドレスを入力し、「確認する」を押してください。パスワード再設定用のURLをメールでお送りします。",
	LoginID:         "ログインID",
	LoginIDHint:     "管理サイトへのログインに使うIDです。",
	Email:           "登録メールアドレス",
	EmailHint:       "管理サイトに登録しているメールアドレスを入力してください。",
	Confirm:         "確認する",
	ConfirmTitle:    "入力内容の確認",
	ConfirmIntro:    "以下の内容でよろしければ「送信する」を押してください。",
	Edit:            "修正する",
	Send:            "送信する",
	SentTitle:       "メール送信完了",
	SentLead:        "入力されたログインIDとメールアドレスが登録内容と一致した場合、登録メールアドレス宛てにパスワード再設定用URLを記載したメールをお送りしました。メール本文の指示にしたがって、パスワードを再設定してください。",
	SentExpiry: func(ttl time.Duration) string {
		return fmt.Sprintf("URLの有効期限はメール送信から%d分です。期限が切れた場合は、もう一度最初から手続きしてください。", int(ttl.Minutes()))
	},
	SentCheckSpam: "数分たってもメールが届かない場合は、迷惑メールフォルダをご確認ください。",
	SentFilter: func(from string) string {
		return fmt.Sprintf("ドメイン指定受信などの受信設定をしている場合は、「%s」からのメールを受信できるように設定してください。", from)
	},
	SentNoMail:        "それでも届かない場合は、入力したログインIDとメールアドレスが登録内容と異なる可能性があります。",
	ToLogin:           "ログイン画面へ",
	BackToStart:       "パスワード再設定依頼に戻る",
	ErrorTitle:        "エラーが発生しました",
	Sending:           "送信中…",
	Required:          "必須",
	DevMailboxName:    "開発用メールボックス",
	NewPasswordTitle:  "新しいパスワードの設定",
	NewPasswordIntro:  "新しいパスワードを2回入力し、「パスワードを変更する」を押してください。",
	AccountLabel:      func(loginID, store string) string { return loginID + "(" + store + ")" },
	NewPasswordFor:    func(account string) string { return account + "の新しいパスワード" },
	ChooseLinkTitle:   "どちらのアカウントを再設定しますか",
	ChooseLinkLead:    "このブラウザでは、別のアカウントのパスワード再設定用URLがすでに開かれています。パスワードを再設定するアカウントを選んでください。",
	ChooseLinkHeld:    "先に開いたURLのアカウント",
	ChooseLinkNext:    "今回開いたURLのアカウント",
	ChooseLinkWarning: "ご自身で依頼していないURLが開かれた場合、そのアカウントは他人のものです。ご自身のログインIDのほうを選んでください。",
	ChooseLinkKeep:    func(account string) string { return account + "のまま続ける" },
	ChooseLinkSwitch:  func(account string) string { return account + "に切り替える" },
	ReportTitle:       "パスワード再設定に心当たりがない場合",
	ReportLead:        "ご自身でパスワード再設定を依頼していない場合は、下のボタンを押してください。メールに記載されたパスワード再設定用URLをすぐに無効にし、サポート窓口に記録を残します。パスワードは変更されていません。",
	ReportButton:      "再設定用URLを無効にする",
	ReportIfMine:      "ご自身で依頼した場合は、このページを閉じて、メールのパスワード再設定用URLを開いてください。",
	ReportDoneTitle:   "再設定用URLを無効にしました",
	ReportDoneLead:    "パスワード再設定用URLを無効にしました。パスワードは変更されていません。これまでどおりのパスワードでログインできます。このお知らせはサポート窓口に記録され、必要に応じて確認します。",
	Password:          "新しいパスワード",
	PasswordHint: func(min int) string {
		return fmt.Sprintf("%d文字以上で、64文字を超えても構いません。覚えやすい長めのフレーズがおすすめです。記号や数字を混ぜる必要はありません。よく使われるパスワード、ログインID・メールアドレス・店舗名を含むもの、同じ文字の繰り返しやキーボードの並び・連続した数字だけのものは使えません。", min)
	},
	PasswordConfirm:       "新しいパスワード(確認)",
	ShowPassword:          "パスワードを表示する",
	HidePassword:          "パスワードを隠す",
	ChangePassword:        "パスワードを変更する",
	PasswordFeedbackShort: "あと%d文字必要です",
	PasswordFeedbackOK:    "長さは十分です",
	DoneTitle:             "パスワード再設定完了",
	DoneLead:              "新しいパスワードを設定しました。ほかの端末でのログインはすべて終了しています。新しいパスワードでログインしてください。",
	LoginTitle:            "ログイン",
	LoginButton:           "ログイン",
	LoginPassword:         "パスワード",
	ForgotPassword:        "パスワードをお忘れの方",
	LockedHelp:            "パスワードを再設定すると、すぐにログインできるようになります。",
	HomeTitle:             "ホーム",
	HomeLead:              func(store string) string { return store + " としてログインしています。" },
	Logout:                "ログアウト",
	ForgotLoginID:         "ログインIDをお忘れの方",
	ReminderTitle:         "ログインIDのお問い合わせ",
	ReminderIntro:         "管理サイトに登録しているメールアドレスを入力し、「確認する」を押してください。そのアドレスで登録されているログインIDをメールでお知らせします。",
	ReminderSentLead:      "入力されたメールアドレスが登録されている場合、そのアドレス宛てに、登録されているログインIDをお知らせするメールをお送りしました。",
	ReminderNoMail:        "それでも届かない場合は、入力したメールアドレスが登録内容と異なる可能性があります。",
	ReminderMail: ReminderMailText{
		Subject: func(site string) string { return "【" + site + "】ログインIDのお知らせ" },
		Lead: func(site string) string {
			return "このメールアドレスで登録されている" + site + "のログインIDは次のとおりです。"
		},
		LoginIDHeader: "ログインID",
		StoreHeader:   "店舗名",
		LoginURL:      "ログインはこちら",
		ResetURL:      "パスワードをお忘れの場合はこちら",
		NotYou:        "このメールに心当たりがない場合は、何もせずこのメールを削除してください。アカウントは変更されていません。",
	},
	ChangedMail: ChangedMailText{
		Subject:  func(site string) string { return "【" + site + "】パスワードが変更されました" },
		Lead:     func(site string) string { return site + "のパスワードが変更されました。" },
		When:     "変更日時",
		From:     "操作元IPアドレス",
		NotYou:   "この変更に心当たりがない場合は、第三者に不正に変更された可能性があります。すぐに下記のURLからパスワードを再設定し、サポート窓口にご連絡ください。",
		LoginURL: "ログインはこちら",
	},
	EmailChangedMail: EmailChangedMailText{
		Subject: func(site string) string {
			return "【" + site + "】登録メールアドレスが変更されました"
		},
		Lead: func(site string) string {
			return site + "の登録メールアドレスが、サポート窓口により変更されました。"
		},
		Before:   "変更前",
		After:    "変更後",
		When:     "変更日時",
		ToOld:    "今後、パスワード再設定などのお知らせは変更後のアドレスにお送りします。このアドレスには届きません。",
		ToNew:    "今後、パスワード再設定などのお知らせはこのアドレスにお送りします。",
		NotYou:   "この変更に心当たりがない場合は、すぐにサポート窓口にご連絡ください。",
		LoginURL: "ログインはこちら",
		ResetURL: "パスワードをお忘れの場合はこちら",
	},
	problems: map[problem.Problem]string{
		problem.LoginIDRequired:    "ログインIDを入力してください。",
		problem.LoginIDTooLong:     "ログインIDは64文字以内で入力してください。",
		problem.LoginIDInvalid:     "ログインIDに空白や改行は使えません。ログインIDだけを入力してください。",
		problem.EmailRequired:      "登録メールアドレスを入力してください。",
		problem.EmailTooLong:       "登録メールアドレスは254文字以内で入力してください。",
		problem.EmailInvalid:       "登録メールアドレスを「name@example.com」の形で入力してください。",
		problem.FormExpired:        "確認画面を開いてから時間が経ったため、送信できませんでした。入力内容を確かめて、もう一度「確認する」を押してください。",
		problem.FormTampered:       "フォームの内容を確認できませんでした。お手数ですが、最初から入力し直してください。",
		problem.BadForm:            "送信された内容を読み取れませんでした。お手数ですが、最初から入力し直してください。",
		problem.BodyTooLarge:       "送信された内容が大きすぎます。入力内容を短くして、もう一度お試しください。",
		problem.UnsupportedMedia:   "この形式の送信は受け付けていません。画面のフォームから送信してください。",
		problem.NotFound:           "お探しのページは見つかりませんでした。URLをご確認ください。",
		problem.MethodNotAllowed:   "この操作はこのページでは行えません。画面のボタンから操作してください。",
		problem.CrossSite:          "別のサイトからの送信は受け付けていません。このページのフォームから送信してください。",
		problem.TooManyRequests:    "短い時間に多くの操作が行われました。しばらく待ってから、もう一度お試しください。",
		problem.ServerError:        "一時的な問題が発生しました。しばらく待ってから、もう一度お試しください。",
		problem.SendFailed:         "一時的な問題で送信できませんでした。入力内容はそのまま残っています。少し待ってから、もう一度「送信する」を押してください。",
		problem.LinkInvalid:        "このURLは無効です。メールに記載されたURLを、途中で切れていないかご確認のうえ開いてください。",
		problem.LinkExpired:        "このURLは有効期限が切れています。お手数ですが、もう一度パスワード再設定依頼からお手続きください。",
		problem.LinkUsed:           "このURLはすでに使用され、パスワードは変更済みです。新しいパスワードでログインしてください。再設定が必要な場合は、もう一度依頼してください。",
		problem.LinkRevoked:        "このURLは、より新しい依頼、パスワード変更、または「心当たりがない」とのご連絡によって無効になりました。最新のメールのURLを開くか、もう一度依頼してください。",
		problem.LinkNeedsCookie:    "このページを開くにはCookieが必要です。ブラウザのCookieを有効にして、メールのURLをもう一度開いてください。",
		problem.PasswordRequired:   "新しいパスワードを入力してください。",
		problem.PasswordTooShort:   "新しいパスワードは%d文字以上にしてください。単語をいくつかつなげると覚えやすくなります。",
		problem.PasswordTooLong:    "新しいパスワードは256文字以内にしてください。",
		problem.PasswordMismatch:   "確認用のパスワードが一致しません。同じパスワードをもう一度入力してください。",
		problem.PasswordCommon:     "このパスワードはよく使われていて推測されやすいため使えません。別のパスワードにしてください。",
		problem.PasswordHasLoginID: "ログインIDを含むパスワードは使えません。ログインIDを含まないものにしてください。",
		problem.PasswordHasEmail:   "メールアドレスを含むパスワードは使えません。メールアドレスの@より前の部分を含まないものにしてください。",
		problem.PasswordHasStore:   "店舗名を含むパスワードは使えません。店舗名を含まないものにしてください。",
		problem.PasswordControl:    "パスワードに改行やタブなどの制御文字は使えません。取り除いてから入力してください。",
		problem.PasswordRepeated:   "同じ文字や短い並びを繰り返しただけのパスワードは推測されやすいため使えません。別のパスワードにしてください。",
		problem.PasswordKeyboard:   "キーボードの並び(qwerty、asdfなど)をなぞっただけのパスワードは推測されやすいため使えません。別のパスワードにしてください。",
		problem.PasswordSequence:   "連続した数字や文字(123456、abcdefなど)を並べただけのパスワードは推測されやすいため使えません。別のパスワードにしてください。",
		problem.ReportLinkUsed:     "このパスワード再設定用URLはすでに使用され、パスワードは変更されています。ご自身で変更していない場合は、すぐにパスワード再設定をやり直し、サポート窓口にご連絡ください。",
		problem.ReportLinkInactive: "このパスワード再設定用URLは、有効期限切れ、取り消し済み、またはより新しい依頼によって、すでに無効です。このURLでパスワードが変更されることはありません。",
		problem.LoginFailed:        "ログインIDまたはパスワードが正しくありません。",
		problem.LoginLocked:        "ログインに続けて失敗したため、このログインIDでのログインを一時的に制限しています。しばらく待つか、パスワードを再設定してください。",
		problem.LoginRequired:      "ログインしてください。",
	},
	problemTitles: map[problem.Problem]string{
		problem.NotFound:           "ページが見つかりません",
		problem.FormExpired:        "有効期限が切れました",
		problem.TooManyRequests:    "しばらくお待ちください",
		problem.MethodNotAllowed:   "この操作はできません",
		problem.LinkInvalid:        "URLが無効です",
		problem.LinkExpired:        "URLの有効期限切れ",
		problem.LinkUsed:           "URLは使用済みです",
		problem.LinkRevoked:        "URLは無効になりました",
		problem.LinkNeedsCookie:    "Cookieを有効にしてください",
		problem.LoginLocked:        "ログインを制限しています",
		problem.ReportLinkUsed:     "URLは使用済みです",
		problem.ReportLinkInactive: "URLはすでに無効です",
	},
	ResetMail: ResetMailText{
		Subject:  func(site string) string { return "【" + site + "】パスワード再設定のご案内" },
		Greeting: func(store string) string { return store + " ご担当者様" },
		Lead: func(site string) string {
			return site + "のパスワード再設定のご依頼を受け付けました。下記のURLを開き、新しいパスワードを設定してください。"
		},
		Button:  "パスワードを再設定する",
		Expiry:  func(at string) string { return "このURLの有効期限は " + at + " までです。" },
		OneTime: "URLは一度だけ使えます。期限が切れた場合は、もう一度パスワード再設定依頼からお手続きください。",
		NotYou:  "このメールに心当たりがない場合は、下記のURLからお知らせください。パスワード再設定用URLはすぐに無効になり、パスワードは変更されません。",
		Report:  "心当たりがない場合はこちら",
		Footer: func(site string) string {
			return "このメールは" + site + "から送信専用のアドレスでお送りしています。ご返信いただいてもお答えできません。"
		},
		Format: func(t time.Time) string { return t.In(jst).Format("2006年1月2日 15:04") + "(日本時間)" },
	},
}

var en = Text{
	Lang:            En,
	LangName:        "English",
	SkipToContent:   "Skip to content",
	MetaDescription: "Reset your merchant admin site password or look up your login ID when you cannot log in.",
	Steps:           [3]string{"Enter", "Check", "Done"},
	StepOf:          func(n int) string { return fmt.Sprintf("Step %d of 3", n) },
	ErrorSummary:    "Please check your entries",
	RequestTitle:    "Request a password reset",
	RequestIntro:    "Enter the login ID and e-mail address registered for the admin site, then press “Confirm”. We will e-mail you a link to set a new password.",
	LoginID:         "Login ID",
	LoginIDHint:     "The ID you use to log in to the admin site.",
	Email:           "Registered e-mail address",
	EmailHint:       "The e-mail address registered for the admin site.",
	Confirm:         "Confirm",
	ConfirmTitle:    "Check your entries",
	ConfirmIntro:    "If everything below is correct, press “Send”.",
	Edit:            "Edit",
	Send:            "Send",
	SentTitle:       "E-mail sent",
	SentLead:        "If the login ID and e-mail address you entered match our records, we have sent a mail with a password reset link to the registered address. Follow the instructions in the mail to set a new password.",
	SentExpiry: func(ttl time.Duration) string {
		return fmt.Sprintf("The link works for %d minutes after the mail was sent. If it expires, please start again from the beginning.", int(ttl.Minutes()))
	},
	SentCheckSpam: "If the mail has not arrived after a few minutes, check your spam folder.",
	SentFilter: func(from string) string {
		return fmt.Sprintf("If your mailbox only accepts mail from certain domains, allow mail from “%s”.", from)
	},
	SentNoMail:        "If it still does not arrive, the login ID or e-mail address you entered may differ from our records.",
	ToLogin:           "Go to the login page",
	BackToStart:       "Back to the reset request",
	ErrorTitle:        "Something went wrong",
	Sending:           "Sending…",
	Required:          "Required",
	DevMailboxName:    "Development mailbox",
	NewPasswordTitle:  "Set a new password",
	NewPasswordIntro:  "Enter your new password twice and press “Change password”.",
	AccountLabel:      func(loginID, store string) string { return loginID + " (" + store + ")" },
	NewPasswordFor:    func(account string) string { return "New password for " + account },
	ChooseLinkTitle:   "Which account do you want to reset?",
	ChooseLinkLead:    "This browser already has a password reset link open for another account. Choose the account whose password you want to reset.",
	ChooseLinkHeld:    "Account of the link opened first",
	ChooseLinkNext:    "Account of the link opened now",
	ChooseLinkWarning: "If a link opened that you did not ask for, its account belongs to someone else. Choose the one with your own login ID.",
	ChooseLinkKeep:    func(account string) string { return "Continue with " + account },
	ChooseLinkSwitch:  func(account string) string { return "Switch to " + account },
	ReportTitle:       "Did not ask for a password reset?",
	ReportLead:        "If you did not ask to reset your password, press the button below. The reset link in the mail stops working at once, and the support desk is told. Your password has not been changed.",
	ReportButton:      "Disable the reset link",
	ReportIfMine:      "If you did ask for it, close this page and open the reset link in the mail.",
	ReportDoneTitle:   "The reset link is disabled",
	ReportDoneLead:    "The password reset link no longer works. Your password has not been changed; you can log in with it as before. The support desk has a record of this and will look into it if needed.",
	Password:          "New password",
	PasswordHint: func(min int) string {
		return fmt.Sprintf("At least %d characters; more than 64 is fine. A long phrase you can remember works best; no need to mix in symbols or digits. Common passwords, passwords containing your login ID, e-mail address or store name, and passwords that only repeat a character or follow keyboard rows or digit runs are refused.", min)
	},
	PasswordConfirm:       "New password (again)",
	ShowPassword:          "Show password",
	HidePassword:          "Hide password",
	ChangePassword:        "Change password",
	PasswordFeedbackShort: "%d more characters needed",
	PasswordFeedbackOK:    "Long enough",
	DoneTitle:             "Password changed",
	DoneLead:              "Your new password is set, and you have been logged out everywhere else. Log in with the new password.",
	LoginTitle:            "Log in",
	LoginButton:           "Log in",
	LoginPassword:         "Password",
	ForgotPassword:        "Forgot your password?",
	LockedHelp:            "Resetting your password lets you log in again right away.",
	HomeTitle:             "Home",
	HomeLead:              func(store string) string { return "You are logged in as " + store + "." },
	Logout:                "Log out",
	ForgotLoginID:         "Forgot your login ID?",
	ReminderTitle:         "Look up your login ID",
	ReminderIntro:         "Enter the e-mail address registered for the admin site, then press “Confirm”. We will e-mail you the login IDs registered with it.",
	ReminderSentLead:      "If the e-mail address you entered is registered, we have sent it a mail listing the login IDs registered with it.",
	ReminderNoMail:        "If it still does not arrive, the address you entered may differ from our records.",
	ReminderMail: ReminderMailText{
		Subject: func(site string) string { return "[" + site + "] Your login ID" },
		Lead: func(site string) string {
			return "These " + site + " login IDs are registered with this e-mail address:"
		},
		LoginIDHeader: "Login ID",
		StoreHeader:   "Store",
		LoginURL:      "Log in",
		ResetURL:      "Forgot your password",
		NotYou:        "If you did not ask for this, ignore and delete this mail. Nothing about your account has changed.",
	},
	ChangedMail: ChangedMailText{
		Subject:  func(site string) string { return "[" + site + "] Your password was changed" },
		Lead:     func(site string) string { return "The password of your " + site + " account was changed." },
		When:     "When",
		From:     "From IP address",
		NotYou:   "If you did not do this, someone else may have changed it. Reset your password at once with the link below and contact support.",
		LoginURL: "Log in",
	},
	EmailChangedMail: EmailChangedMailText{
		Subject: func(site string) string { return "[" + site + "] Your registered e-mail address was changed" },
		Lead: func(site string) string {
			return "Our support desk changed the e-mail address registered for your " + site + " account."
		},
		Before:   "Before",
		After:    "After",
		When:     "When",
		ToOld:    "From now on, notices such as password reset links go to the new address, not to this one.",
		ToNew:    "From now on, notices such as password reset links go to this address.",
		NotYou:   "If you did not ask for this change, contact support at once.",
		LoginURL: "Log in",
		ResetURL: "Forgot your password",
	},
	problems: map[problem.Problem]string{
		problem.LoginIDRequired:    "Enter your login ID.",
		problem.LoginIDTooLong:     "Enter a login ID of 64 characters or fewer.",
		problem.LoginIDInvalid:     "A login ID cannot contain spaces or line breaks. Enter the login ID only.",
		problem.EmailRequired:      "Enter your registered e-mail address.",
		problem.EmailTooLong:       "Enter an e-mail address of 254 characters or fewer.",
		problem.EmailInvalid:       "Enter the e-mail address in the form name@example.com.",
		problem.FormExpired:        "Too much time passed since the check page was opened, so nothing was sent. Check your entries and press “Confirm” again.",
		problem.FormTampered:       "We could not verify the form. Please start again from the beginning.",
		problem.BadForm:            "We could not read what was sent. Please start again from the beginning.",
		problem.BodyTooLarge:       "What was sent is too large. Shorten your entries and try again.",
		problem.UnsupportedMedia:   "This kind of submission is not accepted. Please use the form on the page.",
		problem.NotFound:           "We could not find that page. Please check the URL.",
		problem.MethodNotAllowed:   "That action is not available on this page. Please use the buttons on the page.",
		problem.CrossSite:          "Submissions from other sites are not accepted. Please use the form on this page.",
		problem.TooManyRequests:    "Too many attempts in a short time. Please wait a while and try again.",
		problem.ServerError:        "A temporary problem occurred. Please wait a while and try again.",
		problem.SendFailed:         "A temporary problem stopped us from sending your request. Your entries are kept: wait a moment, then press “Send” again.",
		problem.LinkInvalid:        "This link is not valid. Open the link in the mail again, and check that it was not cut off.",
		problem.LinkExpired:        "This link has expired. Please request a new one from the password reset page.",
		problem.LinkUsed:           "This link has already been used and the password was changed. Log in with the new password, or request a new link if you need one.",
		problem.LinkRevoked:        "This link was replaced by a newer request or a password change, or disabled because it was reported as not requested. Open the link in the newest mail, or request a new one.",
		problem.LinkNeedsCookie:    "This page needs cookies. Allow cookies in your browser and open the link in the mail again.",
		problem.PasswordRequired:   "Enter a new password.",
		problem.PasswordTooShort:   "Use at least %d characters. Several words in a row are easy to remember.",
		problem.PasswordTooLong:    "Use 256 characters or fewer.",
		problem.PasswordMismatch:   "The two passwords differ. Enter the same password again.",
		problem.PasswordCommon:     "This password is common and easy to guess. Choose another one.",
		problem.PasswordHasLoginID: "The password must not contain your login ID.",
		problem.PasswordHasEmail:   "The password must not contain your e-mail address (the part before @).",
		problem.PasswordHasStore:   "The password must not contain your store name.",
		problem.PasswordControl:    "The password cannot contain control characters such as line breaks or tabs. Remove them and try again.",
		problem.PasswordRepeated:   "A password that only repeats one character or a short group of characters is easy to guess. Choose another one.",
		problem.PasswordKeyboard:   "A password that only follows the rows of the keyboard (such as qwerty or asdf) is easy to guess. Choose another one.",
		problem.PasswordSequence:   "A password that only counts up or down (such as 123456 or abcdef) is easy to guess. Choose another one.",
		problem.ReportLinkUsed:     "This password reset link has already been used, and the password was changed. If you did not change it yourself, reset your password again at once and contact the support desk.",
		problem.ReportLinkInactive: "This password reset link no longer works: it expired, was disabled, or was replaced by a newer request. It cannot be used to change your password.",
		problem.LoginFailed:        "The login ID or password is not correct.",
		problem.LoginLocked:        "After repeated failures, logging in with this login ID is paused for a while. Wait, or reset your password.",
		problem.LoginRequired:      "Please log in.",
	},
	problemTitles: map[problem.Problem]string{
		problem.NotFound:           "Page not found",
		problem.FormExpired:        "The page has expired",
		problem.TooManyRequests:    "Please wait a moment",
		problem.MethodNotAllowed:   "Action not available",
		problem.LinkInvalid:        "Link not valid",
		problem.LinkExpired:        "Link expired",
		problem.LinkUsed:           "Link already used",
		problem.LinkRevoked:        "Link replaced",
		problem.LinkNeedsCookie:    "Please allow cookies",
		problem.LoginLocked:        "Login paused",
		problem.ReportLinkUsed:     "Link already used",
		problem.ReportLinkInactive: "Link no longer works",
	},
	ResetMail: ResetMailText{
		Subject:  func(site string) string { return "[" + site + "] Reset your password" },
		Greeting: func(store string) string { return "Dear " + store + "," },
		Lead: func(site string) string {
			return "We received a request to reset your " + site + " password. Open the link below and set a new password."
		},
		Button:  "Reset my password",
		Expiry:  func(at string) string { return "The link works until " + at + "." },
		OneTime: "The link works only once. If it has expired, please request a new one from the password reset page.",
		NotYou:  "If you did not ask for this, tell us with the link below: the reset link stops working at once, and your password does not change.",
		Report:  "I did not ask for this",
		Footer: func(site string) string {
			return "This mail was sent by " + site + " from an address that does not receive replies."
		},
		Format: func(t time.Time) string { return t.UTC().Format("2 January 2006, 15:04 UTC") },
	},
}

var langMatcher = language.NewMatcher([]language.Tag{language.Japanese, language.English})

// MatchAcceptLanguage picks the best supported language for an
// Accept-Language header, Japanese when nothing fits.
func MatchAcceptLanguage(header string) Lang {
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil || len(tags) == 0 {
		return Ja
	}
	_, index, confidence := langMatcher.Match(tags...)
	if confidence == language.No {
		return Ja
	}
	return Langs[index]
}
