package account

import (
	"strings"

	"aikagi/db"
)

// Actor is who acts on an account, as the audit trail records them: a
// command run on the server (Command names it, such as "aikagi account
// set-email"), or a member of the support desk in the console (StaffID,
// their address, and the IP and browser they acted from).
type Actor struct {
	Command       string
	StaffID       int64 // 0 for a command
	Email         string
	IP, UserAgent string
}

// Stamp writes into e who acted and its detail: what was done and, for a
// member of the support desk, by whom and why (the typed reason). A
// command's reason, if any, follows what was done as it is.
func (a Actor) Stamp(e *db.AuditEvent, what, reason string) {
	if a.StaffID == 0 {
		e.UserAgent = a.Command
		e.Detail = joinDetail(what, reason)
		return
	}
	id := a.StaffID
	e.StaffID, e.IP, e.UserAgent = &id, a.IP, a.UserAgent
	e.Detail = joinDetail("by "+a.Email, what) + "; reason: " + reason
}

func joinDetail(parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, ", ")
}
