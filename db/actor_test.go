package db_test

import (
	"testing"

	"aikagi/db"
)

// The trail names a command by its name and keeps its reason as given; a
// member of the support desk by id, address, IP and browser, with the
// typed reason.
func TestActorStamp(t *testing.T) {
	for _, tc := range []struct {
		name         string
		by           db.Actor
		what, reason string
		want         db.AuditEvent
	}{
		{"command with a reason", db.Actor{Command: "aikagi account disable"}, "", "cli: fraud report",
			db.AuditEvent{UserAgent: "aikagi account disable", Detail: "cli: fraud report"}},
		{"command saying what", db.Actor{Command: "aikagi account set-email"}, "from a@example.jp to b@example.jp", "",
			db.AuditEvent{UserAgent: "aikagi account set-email", Detail: "from a@example.jp to b@example.jp"}},
		{"staff", db.Actor{StaffID: 7, Email: "sato@example.jp", IP: "192.0.2.1", UserAgent: "Firefox"}, "from a@example.jp to b@example.jp", "ticket 12",
			db.AuditEvent{IP: "192.0.2.1", UserAgent: "Firefox", Detail: "by sato@example.jp, from a@example.jp to b@example.jp; reason: ticket 12"}},
		{"staff, nothing more to say", db.Actor{StaffID: 7, Email: "sato@example.jp"}, "", "fraud report",
			db.AuditEvent{Detail: "by sato@example.jp; reason: fraud report"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e db.AuditEvent
			tc.by.Stamp(&e, tc.what, tc.reason)
			if e.UserAgent != tc.want.UserAgent || e.IP != tc.want.IP || e.Detail != tc.want.Detail {
				t.Errorf("stamped %+v, want %+v", e, tc.want)
			}
			if staff := tc.by.StaffID != 0; staff != (e.StaffID != nil) || (staff && *e.StaffID != tc.by.StaffID) {
				t.Errorf("staff id %v, want %d", e.StaffID, tc.by.StaffID)
			}
		})
	}
}
