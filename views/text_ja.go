package views

import (
	"fmt"
	"time"

	"aikagi/app/problem"
)

var jst = time.FixedZone("JST", 9*60*60)

var ja = Text{
	Lang:            Ja,
	LangName:        "日本語",
	SkipToContent:   "本文へ移動",
	MetaDescription: "加盟店管理サイトにログインできなくなったときに、パスワードを再設定したりログインIDを確認したりできます。",
	Steps:           [3]string{"入力", "確認", "メール送信"},
	ResetSteps:      [3]string{"メールのURL", "新しいパスワード", "完了"},
	StepOf:          func(n int) string { return fmt.Sprintf("全3ステップ中%d番目", n) },
	ErrorSummary:    "入力内容を確認してください",
	RequestTitle:    "パスワード再設定依頼",
	RequestIntro:    "管理サイトに登録しているログインIDとメールアドレスを入力し、「確認する」を押してください。パスワード再設定用のURLをメールでお送りします。",
	LoginID:         "ログインID",
	LoginIDHint:     "管理サイトへのログインに使うIDです。大文字と小文字は区別しません。",
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
		return "URLの有効期限はメール送信から" + jaDuration(ttl) + "です。期限が切れた場合は、もう一度お手続きください。"
	},
	SentCheckSpam: "数分たってもメールが届かない場合は、迷惑メールフォルダをご確認ください。",
	SentFilter: func(from string) string {
		return fmt.Sprintf("ドメイン指定受信などの受信設定をしている場合は、「%s」からのメールを受信できるように設定してください。", from)
	},
	SentNoMail:        "それでも届かない場合は、入力したログインIDとメールアドレスが登録内容と異なる可能性があります。",
	ToLogin:           "ログイン画面へ",
	BackToStart:       "パスワード再設定依頼に戻る",
	ErrorTitle:        "エラーが発生しました",
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
		return fmt.Sprintf("%d文字以上にしてください(長くても問題ありません)\nよく使われるものや、ログインID・店舗名などを含むものは使えません\n記号や数字は必要ありません。単語を並べたフレーズもお使いいただけます", min)
	},
	PasswordConfirm: "新しいパスワード(確認用)",
	ShowPassword:    "パスワードを表示する",
	HidePassword:    "パスワードを隠す",
	ChangePassword:  "パスワードを変更する",
	PasswordTooShort: func(min int) string {
		return fmt.Sprintf("新しいパスワードは%d文字以上にしてください。単語をいくつかつなげると覚えやすくなります。", min)
	},
	PasswordFeedbackShort: ScriptCount{One: "あと{n}文字必要です", Other: "あと{n}文字必要です"},
	PasswordFeedbackOK:    "長さは十分です",
	DoneTitle:             "パスワード再設定完了",
	DoneLead:              "新しいパスワードを設定しました。新しいパスワードでログインしてください。",
	LoginTitle:            "ログイン",
	LoginButton:           "ログイン",
	LoginPassword:         "パスワード",
	ForgotPassword:        "パスワードをお忘れの方",
	LockedHelp:            "パスワードを再設定すると、すぐにログインできるようになります。",
	HomeTitle:             "ホーム",
	HomeLead:              func(store string) string { return store + "としてログインしています。" },
	Logout:                "ログアウト",
	ForgotLoginID:         "ログインIDをお忘れの方",
	ReminderTitle:         "ログインID確認依頼",
	ReminderIntro:         "管理サイトに登録しているメールアドレスを入力し、「確認する」を押してください。そのアドレスで登録されているログインIDをメールでお知らせします。",
	ReminderSentLead:      "入力されたメールアドレスが登録されている場合、そのアドレス宛てに、登録されているログインIDをお知らせするメールをお送りしました。",
	ReminderNoMail:        "それでも届かない場合は、入力したメールアドレスが登録内容と異なる可能性があります。",
	Support:               supportJa,
	Link:                  jaLink,
	Suggest:               jaSuggest,
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
		Lead:     "パスワードが変更されました。",
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
		problem.LinkInvalid:        "このURLは無効です。メールのURLが途中で切れていないかご確認ください。開けない場合は、もう一度パスワード再設定を依頼してください。",
		problem.LinkExpired:        "このURLは有効期限が切れています。下のボタンを押すと、同じアカウントの新しいURLをメールでお送りします。",
		problem.LinkUsed:           "このURLはすでに使用され、パスワードは変更済みです。新しいパスワードでログインしてください。",
		problem.LinkRevoked:        "このURLは、より新しい依頼やパスワード変更などによって無効になりました。いちばん新しいメールのURLを開くか、下のボタンで新しいURLを受け取ってください。",
		problem.LinkNeedsCookie:    "このページを開くにはCookieが必要です。ブラウザのCookieを有効にして、メールのURLをもう一度開いてください。",
		problem.PasswordRequired:   "新しいパスワードを入力してください。",
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
		problem.LoginLocked:        "ログインを一時停止しています",
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
		Expiry:  func(at string) string { return "有効期限: " + at + "まで" },
		OneTime: "URLは一度だけ使えます。期限が切れた場合も、URLを開いた画面のボタンから新しいURLを受け取れます。",
		NotYou:  "このメールに心当たりがない場合は、下記のURLからお知らせください。パスワード再設定用URLはすぐに無効になり、パスワードは変更されません。",
		Report:  "心当たりがない場合はこちら",
		Footer: func(site string) string {
			return "このメールは" + site + "から送信専用のアドレスでお送りしています。ご返信いただいてもお答えできません。"
		},
		Format: func(t time.Time) string {
			t = t.In(jst)
			return fmt.Sprintf("%d月%d日(%s)%s(日本時間)", t.Month(), t.Day(), jaWeekdays[t.Weekday()], t.Format("15:04"))
		},
	},
}
