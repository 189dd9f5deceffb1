// Package problem is the vocabulary of what can be wrong with an input or a
// request. Handlers and the account rules return a Problem; the views say it
// in the page's language.
package problem

// Problem names something wrong with the input or the request; Text.Problem
// says it in the page's language.
type Problem string

const (
	LoginIDRequired  Problem = "login_id_required"
	LoginIDTooLong   Problem = "login_id_too_long"
	LoginIDInvalid   Problem = "login_id_invalid"
	EmailRequired    Problem = "email_required"
	EmailTooLong     Problem = "email_too_long"
	EmailInvalid     Problem = "email_invalid"
	FormExpired      Problem = "form_expired"
	FormTampered     Problem = "form_tampered"
	BadForm          Problem = "bad_form"
	BodyTooLarge     Problem = "body_too_large"
	UnsupportedMedia Problem = "unsupported_media"
	NotFound         Problem = "not_found"
	MethodNotAllowed Problem = "method_not_allowed"
	CrossSite        Problem = "cross_site"
	TooManyRequests  Problem = "too_many_requests"
	ServerError      Problem = "server_error"
	SendFailed       Problem = "send_failed" // step 3 could not record the request; the confirmation page is shown again

	LinkInvalid        Problem = "link_invalid"
	LinkExpired        Problem = "link_expired"
	LinkUsed           Problem = "link_used"
	LinkRevoked        Problem = "link_revoked"
	LinkNeedsCookie    Problem = "link_needs_cookie"
	PasswordRequired   Problem = "password_required"
	PasswordTooShort   Problem = "password_too_short" // Text.PasswordTooShort says it with the minimum
	PasswordTooLong    Problem = "password_too_long"
	PasswordMismatch   Problem = "password_mismatch"
	PasswordCommon     Problem = "password_common"
	PasswordHasLoginID Problem = "password_has_login_id"
	PasswordHasEmail   Problem = "password_has_email"
	PasswordHasStore   Problem = "password_has_store"
	PasswordControl    Problem = "password_control"     // a line break, tab or other control character
	PasswordRepeated   Problem = "password_repeated"    // one character, or a short group, over and over
	PasswordKeyboard   Problem = "password_keyboard"    // runs along keyboard rows or columns
	PasswordSequence   Problem = "password_sequence"    // runs of consecutive digits or letters
	ReportLinkUsed     Problem = "report_link_used"     // 「心当たりがない場合」 for a link that was used
	ReportLinkInactive Problem = "report_link_inactive" // 「心当たりがない場合」 for a link that expired or was revoked
	LoginFailed        Problem = "login_failed"
	LoginLocked        Problem = "login_locked"
	LoginRequired      Problem = "login_required"
)

// All lists every Problem, so that tests can check each one is worded in
// every language.
var All = []Problem{
	LoginIDRequired,
	LoginIDTooLong,
	LoginIDInvalid,
	EmailRequired,
	EmailTooLong,
	EmailInvalid,
	FormExpired,
	FormTampered,
	BadForm,
	BodyTooLarge,
	UnsupportedMedia,
	NotFound,
	MethodNotAllowed,
	CrossSite,
	TooManyRequests,
	ServerError,
	SendFailed,
	LinkInvalid,
	LinkExpired,
	LinkUsed,
	LinkRevoked,
	LinkNeedsCookie,
	PasswordRequired,
	PasswordTooShort,
	PasswordTooLong,
	PasswordMismatch,
	PasswordCommon,
	PasswordHasLoginID,
	PasswordHasEmail,
	PasswordHasStore,
	PasswordControl,
	PasswordRepeated,
	PasswordKeyboard,
	PasswordSequence,
	ReportLinkUsed,
	ReportLinkInactive,
	LoginFailed,
	LoginLocked,
	LoginRequired,
}
