// Package route names the site's public contract: the paths the help-center
// article publishes, the self-service journeys and the form fields they post.
// The route table (app/routes.go) and the views both read it.
package route

// Paths of the password reset, as the help-center article publishes them.
const (
	Request    = "/password-resetting/regist"  // step 1; POST is 「修正する」
	Confirm    = "/password-resetting/confirm" // step 2
	Send       = "/password-resetting/send"    // step 3
	Reset      = "/password-resetting/reset"   // the link in the mail (steps 5 and 6)
	ChooseLink = "/password-resetting/choose"  // POST: keep the held link or switch to the next
	ResetDone  = "/password-resetting/done"    // step 6, after the POST that set the password
	Report     = "/password-resetting/report"  // 「心当たりがない場合」 in the mail
	RenewLink  = "/password-resetting/renew"   // POST: a new link for the account of an expired one
)

// Paths of ログインIDをお忘れの方.
const (
	ReminderRequest = "/login-id-reminder/regist"
	ReminderConfirm = "/login-id-reminder/confirm"
	ReminderSend    = "/login-id-reminder/send"
)

// Paths of the admin site, enough of it to prove a new password works.
const (
	Login  = "/login"
	Home   = "/"
	Logout = "/logout"
)

// Journey names a self-service journey. It is stored with each recorded
// request, so a name never changes once shipped.
type Journey string

const (
	ResetJourney    Journey = "reset"    // the password reset request
	ReminderJourney Journey = "reminder" // the login-ID reminder
	RenewJourney    Journey = "renew"    // a new link from an expired or replaced one's page (RenewLink)
)

// Journeys lists every journey.
var Journeys = []Journey{ResetJourney, ReminderJourney, RenewJourney}

// Field names a form field a journey posts.
type Field string

const (
	LoginID Field = "login_id"
	Email   Field = "email"
)
