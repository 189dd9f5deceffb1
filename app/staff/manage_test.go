package staff

import (
	"context"
	"errors"
	"sync"
	"testing"

	"aikagi/db"
)

// Two admins removing each other's admin role at about the same time: the
// first succeeds, the second finds the other the last enabled admin. The
// second's request passed the role check before the first committed, so
// only the transaction's guard stands in the way.
func TestLastAdminGuard(t *testing.T) {
	forEachDialect(t, func(t *testing.T, fx *fixture) {
		ctx := context.Background()
		a, err := fx.svc.Create(ctx, "a@example.jp", db.RoleAdmin, goodPassword, "test")
		if err != nil {
			t.Fatal(err)
		}
		b, err := fx.svc.Create(ctx, "b@example.jp", db.RoleAdmin, goodPassword, "test")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fx.svc.Apply(ctx, b.ID, ChangeRole, db.RoleSupport, acting(a), "handover"); err != nil {
			t.Fatalf("a demotes b: %v", err)
		}
		for _, change := range []Change{ChangeRole, Disable} {
			if _, err := fx.svc.Apply(ctx, a.ID, change, db.RoleSupport, acting(b), "too late"); !errors.Is(err, ErrLastAdmin) {
				t.Errorf("b %s the last admin: %v, want ErrLastAdmin", change, err)
			}
		}
		if m, _ := db.FindStaff(ctx, fx.db, a.ID); m.Role != db.RoleAdmin || m.DisabledAt != nil {
			t.Errorf("the last admin changed: %+v", m)
		}
		if _, err := fx.svc.Apply(ctx, a.ID, Disable, "", acting(a), "me"); !errors.Is(err, ErrSelf) {
			t.Errorf("a disables themselves: %v, want ErrSelf", err)
		}
		// Demoting a member who is not an admin needs no other admin.
		if _, err := fx.svc.Apply(ctx, b.ID, Disable, "", acting(a), "left"); err != nil {
			t.Errorf("a disables b: %v", err)
		}
	})
}

// Run at once, the two demotions cannot both pass: one admin remains.
func TestLastAdminGuardConcurrent(t *testing.T) {
	forEachDialect(t, func(t *testing.T, fx *fixture) {
		ctx := context.Background()
		a, _ := fx.svc.Create(ctx, "a@example.jp", db.RoleAdmin, goodPassword, "test")
		b, _ := fx.svc.Create(ctx, "b@example.jp", db.RoleAdmin, goodPassword, "test")
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, pair := range [][2]*db.Staff{{a, b}, {b, a}} {
			wg.Go(func() {
				_, errs[i] = fx.svc.Apply(ctx, pair[1].ID, ChangeRole, db.RoleSupport, acting(pair[0]), "race")
			})
		}
		wg.Wait()
		ids, err := db.ListStaff(ctx, fx.db)
		if err != nil {
			t.Fatal(err)
		}
		admins := 0
		for _, m := range ids {
			if m.Role == db.RoleAdmin {
				admins++
			}
		}
		if admins != 1 {
			t.Errorf("%d admins left (errors %v), want 1", admins, errs)
		}
		// One passes, the other is refused by the guard (not by a deadlock).
		if (errs[0] == nil) == (errs[1] == nil) || !(errors.Is(errs[0], ErrLastAdmin) || errors.Is(errs[1], ErrLastAdmin)) {
			t.Errorf("errors %v, want one nil and one ErrLastAdmin", errs)
		}
	})
}

// acting is member acting from the test's client.
func acting(member *db.Staff) db.Actor {
	who := client
	who.StaffID, who.Email = member.ID, member.Email
	return who
}
