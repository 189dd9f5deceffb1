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
  create   add a member of the support desk; they enrol TOTP at their first
           console login (ADMIN_ADDR)
`

// StaffCommand runs the "staff" sub-commands of staffUsage.
func StaffCommand(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || isHelpArg(args[0]) {
		return printUsage(env, staffUsage)
	}
	if args[0] != "create" {
		return fmt.Errorf("staff: unknown sub-command %q (use create)", args[0])
	}
	return createStaff(ctx, env, args[1:])
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
