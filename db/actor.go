package db

import "strings"

// Actor is who did something, as the audit trail records them: a client
// of the web (the IP and browser a request came from), a member of the
// support desk in the console (StaffID, their address, and the IP and
// browser they acted from), or a command run on the server (Command names
// it, such as "aikagi account set-email").
type Actor struct {
	IP, UserAgent string
	StaffID       int64 // 0 for anyone but a member of the support desk
	Email         string
	Command       string
}

// Stamp writes into e who acted and its detail: what was done and, for a
// member of the support desk, by whom and why (the typed reason). A
// command's reason, if any, follows what was done as it is.
func (a Actor) Stamp(e *AuditEvent, what, reason string) {
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
