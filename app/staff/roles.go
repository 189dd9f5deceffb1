package staff

import "aikagi/db"

// Action is something a staff member does to an account in the console.
type Action string

// Actions.
const (
	SendReset Action = "send_reset" // queue a reset link to the registered address
)

// Actions of staff management.
const (
	ManageStaff Action = "manage_staff" // invite members, change roles, disable, reset second factors, lift pauses
)

// Can reports whether role may take action (SPEC §7: links, pauses and
// dead mail for support and admin; addresses and disabling for admin).
func Can(role db.StaffRole, action Action) bool {
	switch action {
	case SendReset:
		return role == db.RoleSupport || role == db.RoleAdmin
	case ManageStaff:
		return role == db.RoleAdmin
	}
	return false
}
