package cli

import (
	"context"
	"flag"
	"fmt"

	"aikagi/db"
)

// Migrate applies pending migrations and exits.
// It needs only DATABASE_URL.
func Migrate(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: aikagi migrate\n\nApplies the database migrations this version needs to DATABASE_URL and lists them.")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	bdb, err := db.Open(env.databaseURL())
	if err != nil {
		return err
	}
	defer bdb.Close()
	applied, err := db.Migrate(ctx, bdb)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(env.Stdout, "database is up to date: nothing to apply")
		return nil
	}
	fmt.Fprintf(env.Stdout, "applied %d migrations:\n", len(applied))
	for _, name := range applied {
		fmt.Fprintln(env.Stdout, "  "+name)
	}
	return nil
}
