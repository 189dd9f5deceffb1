package console

import "aikagi/views"

// EventName is what an entry of an account's timeline is called in t's
// language: an audit kind, or a link's or a mail's event (db.TimelineEntry's
// What). A name without wording, which a test prevents, shows as it is.
func (t *Text) EventName(what string) string { return t.named(jaEvents, enEvents, what) }

// jaEvents are the timeline's names of events in Japanese.
var jaEvents = map[string]string{
	// Requests.
	"reset_requested":             "再設定の依頼（一致・送信）",
	"reset_request_nomatch":       "再設定の依頼（一致せず）",
	"reset_request_limited":       "再設定の依頼（一致・上限のため送らず）",
	"reset_request_disabled":      "再設定の依頼（無効なアカウント・送らず）",
	"login_id_reminder_requested": "ログインID確認の依頼（一致・送信）",
	"login_id_reminder_nomatch":   "ログインID確認の依頼（一致せず）",
	"login_id_reminder_limited":   "ログインID確認の依頼（上限のため送らず）",
	"login_id_reminder_disabled":  "ログインID確認の依頼（無効なアカウント・送らず）",
	"rate_limited":                "回数制限で拒否",
	"request_failed":              "依頼を処理できず（送らず）",
	"request_expired":             "依頼の期限切れ（送らず）",
	// Links.
	"link_issued":         "再設定リンクを発行",
	"link_opened":         "再設定リンクが開かれた",
	"link_used":           "再設定リンクを使用",
	"link_expired":        "再設定リンクが期限切れ",
	"link_revoked":        "再設定リンクを無効化",
	"reset_token_refused": "無効・期限切れのリンクが開かれた",
	"reset_reported":      "「心当たりがない」と報告（リンク無効化）",
	// Mail.
	"mail_queued":           "メールを送信キューへ",
	"mail_sent":             "メールを送信",
	"mail_dead":             "メールを送れず（送信停止）",
	"mail_expired":          "メールを期限までに送れず（未送信）",
	"mail_retried":          "メールを再送キューへ",
	"mail_delivered":        "メールが届いた",
	"mail_delivery_delayed": "メールの配信が遅延",
	"mail_bounced":          "メールがバウンス",
	"mail_failed":           "メール送信サービスが送れず",
	"mail_complained":       "迷惑メールとして報告された",
	// Passwords and logins.
	"password_changed":  "パスワードを変更",
	"password_rejected": "新しいパスワードが条件を満たさず",
	"password_rehashed": "パスワードの保存形式を更新",
	"login_succeeded":   "ログイン成功",
	"login_failed":      "ログイン失敗",
	"login_locked":      "ログインを一時停止",
	"logout":            "ログアウト",
	// The account and its staff.
	"account_created":        "アカウント作成",
	"account_imported":       "アカウント取り込み",
	"account_updated":        "アカウント情報を更新",
	"account_disabled":       "アカウントを無効化",
	"account_enabled":        "アカウントを有効化",
	"account_deleted":        "アカウントを削除",
	"email_changed":          "登録メールアドレスを変更",
	"reset_sent_by_operator": "サポートが再設定リンクを送信",
	"login_pause_lifted":     "サポートがログインの一時停止を解除",
	// Staff.
	"staff_created":             "スタッフを追加",
	"staff_login_succeeded":     "スタッフのログイン成功",
	"staff_login_failed":        "スタッフのログイン失敗",
	"staff_code_failed":         "スタッフの確認コード誤り",
	"staff_login_locked":        "スタッフのログインを一時停止",
	"staff_enrolled":            "スタッフが二段階認証を登録",
	"staff_recovery_used":       "スタッフがリカバリーコードを使用",
	"staff_logout":              "スタッフのログアウト",
	"staff_login_rate_limited":  "スタッフのログインを回数制限で拒否",
	"staff_invited":             "スタッフを招待",
	"staff_reinvited":           "スタッフの招待リンクを再発行",
	"staff_invite_accepted":     "スタッフが招待からパスワードを設定",
	"staff_role_changed":        "スタッフの権限を変更",
	"staff_disabled":            "スタッフを無効化",
	"staff_enabled":             "スタッフを有効化",
	"staff_second_factor_reset": "スタッフの二段階認証をリセット",
	"staff_login_pause_lifted":  "スタッフのログイン一時停止を解除",
}

// enEvents are the timeline's names of events in English.
var enEvents = map[string]string{
	// Requests.
	"reset_requested":             "Reset requested (matched, mailed)",
	"reset_request_nomatch":       "Reset requested (no match)",
	"reset_request_limited":       "Reset requested (matched, over a limit, not mailed)",
	"reset_request_disabled":      "Reset requested (disabled account, not mailed)",
	"login_id_reminder_requested": "Login ID reminder requested (matched, mailed)",
	"login_id_reminder_nomatch":   "Login ID reminder requested (no match)",
	"login_id_reminder_limited":   "Login ID reminder requested (over a limit, not mailed)",
	"login_id_reminder_disabled":  "Login ID reminder requested (disabled account, not mailed)",
	"rate_limited":                "Refused by a rate limit",
	"request_failed":              "Request could not be processed (not mailed)",
	"request_expired":             "Request expired (not mailed)",
	// Links.
	"link_issued":         "Reset link issued",
	"link_opened":         "Reset link opened",
	"link_used":           "Reset link used",
	"link_expired":        "Reset link expired unused",
	"link_revoked":        "Reset link revoked",
	"reset_token_refused": "An invalid or expired link was opened",
	"reset_reported":      "Reported as not theirs (link revoked)",
	// Mail.
	"mail_queued":           "Mail queued",
	"mail_sent":             "Mail sent",
	"mail_dead":             "Mail could not be sent (given up)",
	"mail_expired":          "Mail not sent before its deadline",
	"mail_retried":          "Mail put back in the queue",
	"mail_delivered":        "Mail delivered",
	"mail_delivery_delayed": "Mail delivery delayed",
	"mail_bounced":          "Mail bounced",
	"mail_failed":           "The mail service could not send it",
	"mail_complained":       "Marked as spam",
	// Passwords and logins.
	"password_changed":  "Password changed",
	"password_rejected": "New password refused by the policy",
	"password_rehashed": "Password hash upgraded",
	"login_succeeded":   "Logged in",
	"login_failed":      "Login failed",
	"login_locked":      "Login paused",
	"logout":            "Logged out",
	// The account and its staff.
	"account_created":        "Account created",
	"account_imported":       "Account imported",
	"account_updated":        "Account details updated",
	"account_disabled":       "Account disabled",
	"account_enabled":        "Account enabled",
	"account_deleted":        "Account deleted",
	"email_changed":          "Registered address changed",
	"reset_sent_by_operator": "Reset link sent by support",
	"login_pause_lifted":     "Login pause lifted by support",
	// Staff.
	"staff_created":             "Staff member added",
	"staff_login_succeeded":     "Staff login",
	"staff_login_failed":        "Staff login failed",
	"staff_code_failed":         "Staff code wrong",
	"staff_login_locked":        "Staff login paused",
	"staff_enrolled":            "Staff enrolled two-factor authentication",
	"staff_recovery_used":       "Staff used a recovery code",
	"staff_logout":              "Staff logged out",
	"staff_login_rate_limited":  "Staff login refused by a rate limit",
	"staff_invited":             "Staff member invited",
	"staff_reinvited":           "Staff invitation link issued again",
	"staff_invite_accepted":     "Staff member set a password from the invitation",
	"staff_role_changed":        "Staff role changed",
	"staff_disabled":            "Staff member disabled",
	"staff_enabled":             "Staff member enabled",
	"staff_second_factor_reset": "Staff second factor reset",
	"staff_login_pause_lifted":  "Staff login pause lifted",
}

// MailName is what a kind of mail (mail.Kind) is called in t's language.
func (t *Text) MailName(kind string) string { return t.named(jaMails, enMails, kind) }

// named looks key up in the names of t's language; a key without a name
// shows as it is.
func (t *Text) named(ja, en map[string]string, key string) string {
	names := ja
	if t.Lang == views.En {
		names = en
	}
	if name, ok := names[key]; ok {
		return name
	}
	return key
}

var jaMails = map[string]string{
	"reset_link":        "再設定リンク",
	"password_changed":  "パスワード変更のお知らせ",
	"login_id_reminder": "ログインIDのお知らせ",
	"email_changed":     "メールアドレス変更のお知らせ",
}

var enMails = map[string]string{
	"reset_link":        "Reset link",
	"password_changed":  "Password changed notice",
	"login_id_reminder": "Login ID reminder",
	"email_changed":     "Address changed notice",
}
