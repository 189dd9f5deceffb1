package staff

import "aikagi/db"

// Action is something a staff member does to an account in the console.
type Action string

// Actions.
const (
	SendReset Action = "send_reset" // queue a reset link to the registered address

	// Account actions.
	LiftPause    Action = "lift_pause"    // clear the login failures that pause an account's logins
	RequeueMail  Action = "requeue_mail"  // put an account's dead mail back in the outbox
	ChangeEmail  Action = "change_email"  // change the registered address, with notices to both
	ChangeStatus Action = "change_status" // disable or enable an account
)

// Actions of staff management.
const (
	ManageStaff Action = "manage_staff" // invite members, change roles, disable, reset second factors, lift pauses
)

// Can reports whether role may take action (SPEC §7: links, pauses and
// dead mail for support and admin; addresses and disabling for admin).
func Can(role db.StaffRole, action Action) bool {
	switch action {
	case SendReset, LiftPause, RequeueMail:
		return role == db.RoleSupport || role == db.RoleAdmin
	case ChangeEmail, ChangeStatus, ManageStaff:
		return role == db.RoleAdmin
	}
	return false
}
