package staff

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"time"

	"github.com/uptrace/bun"

	"aikagi/app/account"
	"aikagi/app/problem"
	"aikagi/app/secret"
	"aikagi/db"
)

// InviteTTL is how long an invitation link stays usable.
const InviteTTL = 72 * time.Hour

// Change is what an admin does to another member in the console.
type Change string

// Changes of a member; each is audited with the admin and a reason.
const (
	ChangeRole      Change = "role"       // support ↔ admin
	Disable         Change = "disable"    // no login; their sessions end at once
	Enable          Change = "enable"     // may log in again
	ResetFactor     Change = "reset-2fa"  // TOTP and recovery codes dropped: re-enrolment at next login
	LiftMemberPause Change = "lift-pause" // the email's login failures forgotten
	ReissueLink     Change = "reinvite"   // a new invitation link for a member who has not set a password
)

// Changes lists every change, in the order the staff list offers them.
var Changes = []Change{ChangeRole, Disable, Enable, ResetFactor, LiftMemberPause, ReissueLink}

// ParseChange reads a change's name.
func ParseChange(s string) (Change, bool) {
	for _, c := range Changes {
		if string(c) == s {
			return c, true
		}
	}
	return "", false
}

// auditKind is the audit event of a change.
func (c Change) auditKind() db.AuditKind {
	switch c {
	case ChangeRole:
		return db.AuditStaffRoleChanged
	case Disable:
		return db.AuditStaffDisabled
	case Enable:
		return db.AuditStaffEnabled
	case ResetFactor:
		return db.AuditStaffFactorReset
	case LiftMemberPause:
		return db.AuditStaffPauseLifted
	case ReissueLink:
		return db.AuditStaffReinvited
	}
	return ""
}

// Refusals of a change; the member is left as they were.
var (
	ErrSelf       = errors.New("staff: an admin cannot disable or demote themselves")
	ErrLastAdmin  = errors.New("staff: the last enabled admin cannot be disabled or demoted")
	ErrNotApplied = errors.New("staff: this change does not apply to the member as they are")
	ErrNoMember   = errors.New("staff: no such member")
)

// Member is a staff member as the staff list shows them.
type Member struct {
	db.StaffListed
	Invited     bool       // added in the console and no password set yet
	PausedUntil *time.Time // the login pause of their email, if any
}

// Applies reports whether change makes sense for the member as they are,
// so the list offers only those; Apply checks again.
func (m *Member) Applies(change Change) bool {
	return applies(&m.Staff, change, m.PausedUntil != nil)
}

func applies(m *db.Staff, change Change, paused bool) bool {
	switch change {
	case ChangeRole, ResetFactor:
		return true
	case Disable:
		return m.DisabledAt == nil
	case Enable:
		return m.DisabledAt != nil
	case LiftMemberPause:
		return paused
	case ReissueLink:
		return m.PasswordHash == "" && m.DisabledAt == nil
	}
	return false
}

// Members lists every member with their last login and login pause.
func (s *Service) Members(ctx context.Context) ([]Member, error) {
	listed, err := db.ListStaff(ctx, s.db)
	if err != nil {
		return nil, err
	}
	members := make([]Member, len(listed))
	for i, l := range listed {
		members[i] = Member{StaffListed: l, Invited: l.PasswordHash == ""}
		if members[i].PausedUntil, err = s.pausedUntil(ctx, s.db, l.Email); err != nil {
			return nil, err
		}
	}
	return members, nil
}

// Member returns one member as the list shows them, or nil.
func (s *Service) Member(ctx context.Context, id int64) (*Member, error) {
	m, err := db.FindStaff(ctx, s.db, id)
	if err != nil || m == nil {
		return nil, err
	}
	paused, err := s.pausedUntil(ctx, s.db, m.Email)
	if err != nil {
		return nil, err
	}
	return &Member{StaffListed: db.StaffListed{Staff: *m}, Invited: m.PasswordHash == "", PausedUntil: paused}, nil
}

// pausedUntil is when the login pause of email ends, or nil: the
// lockout of CheckPassword, read from the same failures.
func (s *Service) pausedUntil(ctx context.Context, idb bun.IDB, email string) (*time.Time, error) {
	return db.StaffLoginPausedUntil(ctx, idb, email, s.now(), s.cfg.LockoutThreshold, s.cfg.LockoutWindow)
}

// Invite adds a member without a usable password and returns the token of
// their invitation link, shown once to the admin: the member sets their
// own password by it, then enrols their second factor.
func (s *Service) Invite(ctx context.Context, email string, role db.StaffRole, by db.Actor, reason string) (*db.Staff, string, error) {
	email = NormalizeEmail(email)
	if addr, err := mail.ParseAddress(email); err != nil || addr.Address != email || addr.Name != "" {
		return nil, "", ErrBadEmail
	}
	if _, ok := ParseRole(string(role)); !ok {
		return nil, "", fmt.Errorf("staff: unknown role %q", role)
	}
	member := &db.Staff{Email: email, Role: role}
	var token string
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := db.CreateStaff(ctx, tx, member, s.now()); err != nil {
			return err
		}
		var err error
		if token, err = s.newInvite(ctx, tx, member.ID); err != nil {
			return err
		}
		return s.audit(ctx, tx, by, db.AuditStaffInvited, member, fmt.Sprintf("role %s, link valid for %v", role, InviteTTL), reason)
	})
	if err != nil {
		return nil, "", err
	}
	return member, token, nil
}

// newInvite stores a new invitation of the member in place of any other
// and returns its token.
func (s *Service) newInvite(ctx context.Context, tx bun.IDB, staffID int64) (string, error) {
	token, hash := secret.NewToken()
	return token, db.CreateStaffInvite(ctx, tx, &db.StaffInvite{StaffID: staffID, TokenHash: hash}, s.now(), InviteTTL)
}

// Apply makes change to the member targetID in one transaction, with its
// guards, and audits it. role is the new role of ChangeRole. It returns
// the token of a new invitation link for ReissueLink, "" otherwise.
func (s *Service) Apply(ctx context.Context, targetID int64, change Change, role db.StaffRole, by db.Actor, reason string) (string, error) {
	var token string
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		// The admins' rows first, always in the same order, then the
		// target's: two admins changing each other wait, not deadlock.
		if change == ChangeRole || change == Disable {
			if _, err := db.LockEnabledAdmins(ctx, tx); err != nil {
				return err
			}
		}
		target, err := db.LockStaff(ctx, tx, targetID)
		if err != nil {
			return err
		}
		if target == nil {
			return ErrNoMember
		}
		paused, err := s.pausedUntil(ctx, tx, target.Email)
		if err != nil {
			return err
		}
		if !applies(target, change, paused != nil) {
			return ErrNotApplied
		}
		detail, err := s.change(ctx, tx, target, change, role, by)
		if err != nil {
			return err
		}
		if change == ReissueLink {
			if token, err = s.newInvite(ctx, tx, target.ID); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, by, change.auditKind(), target, detail, reason)
	})
	return token, err
}

// change does the work of one change and says what it did for the audit.
func (s *Service) change(ctx context.Context, tx bun.Tx, target *db.Staff, change Change, role db.StaffRole, by db.Actor) (string, error) {
	switch change {
	case ChangeRole:
		if _, ok := ParseRole(string(role)); !ok || role == target.Role {
			return "", ErrNotApplied
		}
		if role != db.RoleAdmin {
			if err := s.keepAnAdmin(ctx, tx, target, by); err != nil {
				return "", err
			}
		}
		return fmt.Sprintf("role %s → %s", target.Role, role), db.SetStaffRole(ctx, tx, target.ID, role)
	case Disable:
		if err := s.keepAnAdmin(ctx, tx, target, by); err != nil {
			return "", err
		}
		now := s.now()
		if err := db.SetStaffDisabled(ctx, tx, target.ID, &now); err != nil {
			return "", err
		}
		return "sessions ended", db.DeleteStaffSessions(ctx, tx, target.ID)
	case Enable:
		return "", db.SetStaffDisabled(ctx, tx, target.ID, nil)
	case ResetFactor:
		if err := db.ResetStaffSecondFactor(ctx, tx, target.ID); err != nil {
			return "", err
		}
		return "sessions ended; enrols again at next login", db.DeleteStaffSessions(ctx, tx, target.ID)
	case LiftMemberPause:
		return "", db.ClearStaffLoginFailures(ctx, tx, target.Email)
	case ReissueLink:
		return fmt.Sprintf("link valid for %v", InviteTTL), nil
	}
	return "", ErrNotApplied
}

// keepAnAdmin refuses to take the admin role from the acting admin or from
// the last enabled admin, under a lock on the admins' rows.
func (s *Service) keepAnAdmin(ctx context.Context, tx bun.Tx, target *db.Staff, by db.Actor) error {
	if target.ID == by.StaffID {
		return ErrSelf
	}
	if target.Role != db.RoleAdmin || target.DisabledAt != nil {
		return nil
	}
	admins, err := db.LockEnabledAdmins(ctx, tx)
	if err != nil {
		return err
	}
	for _, id := range admins {
		if id != target.ID {
			return nil
		}
	}
	return ErrLastAdmin
}

// audit records a change by an admin to a member, naming the member and
// the reason.
func (s *Service) audit(ctx context.Context, tx bun.IDB, by db.Actor, kind db.AuditKind, target *db.Staff, detail, reason string) error {
	text := "staff " + target.Email
	if detail != "" {
		text += ", " + detail
	}
	text += "; reason: " + reason
	event := &db.AuditEvent{Kind: kind, IP: by.IP, UserAgent: by.UserAgent, Detail: text}
	if by.StaffID != 0 {
		event.StaffID = &by.StaffID
	} else {
		event.UserAgent = by.Command // a command run on the server, not a member
	}
	return db.RecordAudit(ctx, tx, event, s.now())
}

// InviteState is what an invitation link is worth when opened.
type InviteState string

// Invitation states.
const (
	InviteOpen    InviteState = "open"    // the member may set their password
	InviteUnknown InviteState = "unknown" // no such link (or swept after expiring)
	InviteUsed    InviteState = "used"
	InviteExpired InviteState = "expired"
	InviteRevoked InviteState = "revoked" // the member was disabled, or has a password already
)

// OpenInvite returns the member of an invitation token and whether it may
// still be used.
func (s *Service) OpenInvite(ctx context.Context, token string) (*db.StaffInvite, *db.Staff, InviteState, error) {
	if token == "" {
		return nil, nil, InviteUnknown, nil
	}
	inv, err := db.FindStaffInvite(ctx, s.db, secret.HashToken(token))
	if err != nil || inv == nil {
		return nil, nil, InviteUnknown, err
	}
	member, err := db.FindStaff(ctx, s.db, inv.StaffID)
	switch {
	case err != nil:
		return nil, nil, "", err
	case member == nil:
		return nil, nil, InviteUnknown, nil
	case inv.UsedAt != nil:
		return inv, member, InviteUsed, nil
	case !s.now().Before(inv.ExpiresAt):
		return inv, member, InviteExpired, nil
	case member.DisabledAt != nil || member.PasswordHash != "":
		return inv, member, InviteRevoked, nil
	}
	return inv, member, InviteOpen, nil
}

// AcceptInvite sets the invited member's password under the merchants'
// policy and uses the link up. It returns the policy's problems, or the
// cookie value of a pending session that leads to the second factor's
// enrolment; a link no longer open gives its state and no session.
func (s *Service) AcceptInvite(ctx context.Context, token, password, confirm string, c db.Actor) (map[string]problem.Problem, string, InviteState, error) {
	inv, member, state, err := s.OpenInvite(ctx, token)
	if err != nil || state != InviteOpen {
		return nil, "", state, err
	}
	if probs := account.CheckNewPassword(password, confirm, s.cfg.PasswordMinLength, &db.Account{Email: member.Email}); len(probs) > 0 {
		return probs, "", InviteOpen, nil
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return nil, "", "", err
	}
	var sessionID string
	err = s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		ok, err := db.UseStaffInvite(ctx, tx, inv.ID, s.now())
		if err != nil || !ok {
			state = InviteUsed
			return err
		}
		if err := db.SetStaffPassword(ctx, tx, member.ID, hash); err != nil {
			return err
		}
		id, hashed := secret.NewToken()
		sess := &db.StaffSession{IDHash: hashed, StaffID: member.ID, Stage: db.StagePending, IP: c.IP, UserAgent: c.UserAgent}
		if err := db.CreateStaffSession(ctx, tx, sess, s.now(), PendingTimeout); err != nil {
			return err
		}
		sessionID = id
		return db.RecordAudit(ctx, tx, &db.AuditEvent{Kind: db.AuditStaffInviteAccepted, StaffID: &member.ID, IP: c.IP,
			UserAgent: c.UserAgent, Detail: "staff " + member.Email}, s.now())
	})
	if err != nil {
		return nil, "", "", err
	}
	return nil, sessionID, state, nil
}
