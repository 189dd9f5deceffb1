package views

// LinkText is the wording around the link in the mail: the pages of a link
// that cannot be used and their next steps, the one-tap new link, the
// account named on the pages and in the mails, the new-password page's
// live checks, and the lines the mails open with.
type LinkText struct {
	RenewButton   string // expired or replaced link: mail a new one for the same account
	RenewNote     string // under it: nothing to type again
	RequestAgain  string // unknown link: step 1
	RenewedTitle  string // the page after the one-tap new link; the same whatever happened
	RenewedLead   string
	RenewedLimit  string // why a mail may not come
	RenewedOldURL string // the older mails' links stop working
	AccountIs     func(account string) string
	LoggedOut     string // the done page: a reset ends every session
	MatchOK       string // the two new passwords are the same (said by the page script)
	MatchNo       string // they differ
	Mail          LinkMailText
}

// LinkMailText is what the reset mail and the notices say first: a
// preview line for the phone's mail list, the account, the deadline.
type LinkMailText struct {
	LoginID           func(account string) string // 「ログインID: taro-01(山田商店)」
	ResetPreheader    func(deadline string) string
	ChangedPreheader  func(at, loginID string) string
	ReminderPreheader string
	EmailPreheader    func(at string) string
}

var jaWeekdays = [...]string{"日", "月", "火", "水", "木", "金", "土"}

var jaLink = LinkText{
	RenewButton:   "新しいURLをメールで受け取る",
	RenewNote:     "ログインIDやメールアドレスを入力し直す必要はありません。このURLと同じアカウントの登録メールアドレスにお送りします。",
	RequestAgain:  "パスワード再設定を依頼する",
	RenewedTitle:  "新しいURLをお送りします",
	RenewedLead:   "このURLと同じアカウントの登録メールアドレス宛てに、新しいパスワード再設定用URLをお送りします。届いたメールのURLを開いてください。",
	RenewedLimit:  "短い時間に何度も依頼があった場合は、しばらくお送りできません。そのときは、時間をおいてからもう一度お試しください。",
	RenewedOldURL: "新しいURLをお送りすると、これまでのメールのURLは使えなくなります。",
	AccountIs:     func(account string) string { return "ログインID: " + account },
	LoggedOut:     "ほかの端末ではログアウトしました。",
	MatchOK:       "2つのパスワードは一致しています",
	MatchNo:       "2つのパスワードが一致していません",
	Mail: LinkMailText{
		LoginID: func(account string) string { return "ログインID: " + account },
		ResetPreheader: func(deadline string) string {
			return deadline + "まで有効なパスワード再設定用URLです。"
		},
		ChangedPreheader: func(at, loginID string) string {
			return at + "に、ログインID " + loginID + " のパスワードが変更されました。"
		},
		ReminderPreheader: "このメールアドレスで登録されているログインIDをお知らせします。",
		EmailPreheader:    func(at string) string { return at + "に、登録メールアドレスが変更されました。" },
	},
}

var enLink = LinkText{
	RenewButton:   "Email me a new link",
	RenewNote:     "No need to type your login ID or address again: the new link goes to the address registered for the same account.",
	RequestAgain:  "Request a password reset",
	RenewedTitle:  "A new link is on its way",
	RenewedLead:   "We’re sending a new password reset link to the address registered for the same account. Open the link in that email.",
	RenewedLimit:  "After many requests in a short time, we stop sending for a while. If no email arrives, wait a while and try again.",
	RenewedOldURL: "Once the new link is sent, the links in earlier emails stop working.",
	AccountIs:     func(account string) string { return "Login ID: " + account },
	LoggedOut:     "You have been logged out on your other devices.",
	MatchOK:       "The two passwords match",
	MatchNo:       "The two passwords don’t match",
	Mail: LinkMailText{
		LoginID:        func(account string) string { return "Login ID: " + account },
		ResetPreheader: func(deadline string) string { return "Your password reset link works until " + deadline + "." },
		ChangedPreheader: func(at, loginID string) string {
			return "The password of login ID " + loginID + " was changed on " + at + "."
		},
		ReminderPreheader: "The login IDs registered to this email address.",
		EmailPreheader:    func(at string) string { return "Your registered email address was changed on " + at + "." },
	},
}
