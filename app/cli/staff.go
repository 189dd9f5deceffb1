package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"aikagi/app/service"
	"aikagi/app/staff"
	"aikagi/db"
	"aikagi/views"
)

// staffUsage lists the staff sub-commands.
const staffUsage = `usage: aikagi staff create --email ADDRESS --role support|admin --password-stdin
       aikagi staff reset-2fa --email ADDRESS --reason TEXT
  create     add a member of the support desk; they enrol TOTP at their first
             console login (ADMIN_ADDR)
  reset-2fa  drop a member's TOTP secret and recovery codes (a lost phone, or
             a secret no key opens any more): they enrol again at their next
             login; audited with the reason
`

// StaffCommand runs the "staff" sub-commands of staffUsage.
func StaffCommand(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || isHelpArg(args[0]) {
		return printUsage(env, staffUsage)
	}
	switch args[0] {
	case "create":
		return createStaff(ctx, env, args[1:])
	case "reset-2fa":
		return resetStaffFactor(ctx, env, args[1:])
	}
	return fmt.Errorf("staff: unknown sub-command %q (use create or reset-2fa)", args[0])
}

// resetStaffFactor is "staff reset-2fa": the member's second factor is
// dropped, as an admin does in the console, for when no admin can sign in
// to do it there.
func resetStaffFactor(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("staff reset-2fa", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	email := fs.String("email", "", "the member's e-mail address (required)")
	reason := fs.String("reason", "", "why, for the audit trail (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case strings.TrimSpace(*email) == "":
		return errors.New("staff reset-2fa: --email is required")
	case strings.TrimSpace(*reason) == "":
		return errors.New("staff reset-2fa: --reason is required: say why, for the audit trail")
	}
	cfg, bdb, err := env.open(ctx, env.logger())
	if err != nil {
		return err
	}
	defer bdb.Close()
	svc := service.New(cfg, bdb, env.logger(), env.now, nil).Staff
	member, err := db.FindStaffByEmail(ctx, bdb, staff.NormalizeEmail(*email))
	if err != nil {
		return err
	}
	if member == nil {
		return fmt.Errorf("staff reset-2fa: no member %s", staff.NormalizeEmail(*email))
	}
	if _, err := svc.Apply(ctx, member.ID, staff.ResetFactor, "", db.Actor{Command: "aikagi staff reset-2fa"}, strings.TrimSpace(*reason)); err != nil {
		return fmt.Errorf("staff reset-2fa: %w", err)
	}
	fmt.Fprintf(env.Stdout, "reset the second factor of %s: they enrol TOTP again at their next console login\n", member.Email)
	return nil
}

// createStaff is "staff create": a member with an initial password read
// from standard input, never from the command line.
func createStaff(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("staff create", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	email := fs.String("email", "", "the member's e-mail address, their login (required)")
	roleName := fs.String("role", "", "support or admin (required)")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	role, ok := staff.ParseRole(*roleName)
	switch {
	case strings.TrimSpace(*email) == "":
		return errors.New("staff create: --email is required")
	case !ok:
		return errors.New("staff create: --role: use support or admin")
	case !*fromStdin:
		return errors.New("staff create: give the password on standard input with --password-stdin")
	}
	line, err := bufio.NewReader(env.Stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("--password-stdin: %w", err)
	}
	cfg, bdb, err := env.open(ctx, env.logger())
	if err != nil {
		return err
	}
	defer bdb.Close()
	member, err := service.New(cfg, bdb, env.logger(), env.now, nil).Staff.Create(ctx, *email, role, strings.TrimRight(line, "\r\n"), "aikagi staff create")
	var policy *staff.PolicyError
	switch {
	case errors.Is(err, db.ErrStaffExists):
		return fmt.Errorf("staff create: %s already exists", staff.NormalizeEmail(*email))
	case errors.Is(err, staff.ErrBadEmail):
		return errors.New("staff create: --email: not an e-mail address")
	case errors.As(err, &policy):
		return fmt.Errorf("staff create: password: %s", views.T(views.En).Problem(policy.Problem))
	case err != nil:
		return err
	}
	fmt.Fprintf(env.Stdout, "created staff %d: %s (%s); they enrol TOTP at their first console login\n", member.ID, member.Email, member.Role)
	return nil
}
