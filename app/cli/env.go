// Package cli holds the commands of the aikagi binary: serve, migrate, and
// the account, audit and outbox commands of support staff and operators.
// Each builds only what it uses: a command that queues mail opens the
// database and the outbox, not the web app.
package cli

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"aikagi/app/config"
	"aikagi/app/secret"
	"aikagi/db"

	"github.com/uptrace/bun"
)

// Env is what a command gets from the process.
type Env struct {
	Getenv func(string) string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Now    func() time.Time // nil: time.Now; tests share their app's clock
}

func (e Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e Env) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(e.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// open loads the settings and opens the migrated database.
func (e Env) open(ctx context.Context, log *slog.Logger) (config.Config, *bun.DB, error) {
	cfg, err := config.Load(e.Getenv, secret.Random)
	if err != nil {
		return config.Config{}, nil, err
	}
	bdb, err := e.openDB(ctx, log)
	return cfg, bdb, err
}

// databaseURL is DATABASE_URL, or the default SQLite file.
func (e Env) databaseURL() string {
	if url := strings.TrimSpace(e.Getenv("DATABASE_URL")); url != "" {
		return url
	}
	return config.DefaultDatabaseURL
}

// openDB opens the migrated database of DATABASE_URL and needs no other
// setting: commands that only read or queue use it, so that an operator
// can run them with DATABASE_URL alone.
func (e Env) openDB(ctx context.Context, log *slog.Logger) (*bun.DB, error) {
	maxConns, err := strconv.Atoi(cmp.Or(strings.TrimSpace(e.Getenv("DATABASE_MAX_CONNS")), "20"))
	if err != nil || maxConns < 2 || maxConns > 1000 {
		return nil, &config.Error{Err: fmt.Errorf("DATABASE_MAX_CONNS=%q: use a number from 2 to 1000", e.Getenv("DATABASE_MAX_CONNS"))}
	}
	bdb, err := db.OpenWith(e.databaseURL(), db.Options{MaxConns: maxConns})
	if err != nil {
		return nil, err
	}
	applied, err := db.Migrate(ctx, bdb)
	if err != nil {
		defer bdb.Close()
		// Migrations this role cannot apply (a runtime role with DML
		// rights only) are a deployment to finish, not a failure a restart
		// cures: exit 78, which the units do not restart on.
		if db.IsPermissionDenied(err) {
			missing := "every migration (an empty database)"
			if pending, perr := db.PendingMigrations(ctx, bdb); perr == nil {
				missing = fmt.Sprintf("%d migrations (%s)", len(pending), strings.Join(pending, ", "))
			}
			return nil, &config.Error{Err: fmt.Errorf("the database lacks %s and this DATABASE_URL's role may not apply them (%w): "+
				"run `aikagi migrate` with the owner's DATABASE_URL first (docs/operations.md)", missing, err)}
		}
		return nil, err
	}
	if len(applied) > 0 {
		log.Info("database migrated", "applied", applied)
	}
	return bdb, nil
}

// OSEnv is the process's own environment.
func OSEnv() Env {
	return Env{Getenv: os.Getenv, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
}
