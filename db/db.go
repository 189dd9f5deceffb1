// Package db holds the bun models, the queries and the embedded SQL migrations.
// SQLite is the zero-setup default; a postgres:// URL selects PostgreSQL.
package db

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	neturl "net/url"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/pgdriver"
	"github.com/uptrace/bun/migrate"
	_ "modernc.org/sqlite" // pure-Go SQLite driver, no cgo
)

//go:embed migrations
var migrationFiles embed.FS

// Open connects to the database named by url: "postgres://…" or
// "postgresql://…" for PostgreSQL, "sqlite:PATH" (or a bare path) for SQLite.
// The SQLite file is created when missing. A database that cannot be
// reached is reported in words an operator can act on.
func Open(url string) (*bun.DB, error) {
	return OpenWith(url, Options{})
}

// Options tune the connection pool.
type Options struct {
	MaxConns int // PostgreSQL connections per process; 0 means 20
}

// OpenWith is Open with pool options. Connections to PostgreSQL name
// themselves "aikagi" (application_name, shown in pg_stat_activity) unless
// the URL names them otherwise.
func OpenWith(url string, opts Options) (*bun.DB, error) {
	bdb, err := open(url, opts)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := bdb.PingContext(ctx); err != nil {
		bdb.Close()
		return nil, describeConnError(url, err)
	}
	return bdb, nil
}

// describeConnError names the database that failed, without its password,
// and for the commonest TLS mismatch says which setting to change.
func describeConnError(dsn string, err error) error {
	if !IsPostgresURL(dsn) {
		return fmt.Errorf("db: cannot open the SQLite database %s: %w", strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite://"), "sqlite:"), err)
	}
	where := "the server in DATABASE_URL"
	if u, perr := neturl.Parse(dsn); perr == nil {
		where = u.Host + u.Path
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "SSL is not enabled on the server"):
		return fmt.Errorf("db: cannot reach PostgreSQL at %s: the server does not offer TLS; add sslmode=disable to DATABASE_URL for a server on a private network, or enable TLS on the server (%w)", where, err)
	case strings.Contains(msg, "certificate"), strings.Contains(msg, "x509"):
		return fmt.Errorf("db: cannot reach PostgreSQL at %s: its TLS certificate was not accepted; check sslmode in DATABASE_URL (%w)", where, err)
	}
	return fmt.Errorf("db: cannot reach PostgreSQL at %s: %w", where, err)
}

// IsPostgresURL reports whether a DATABASE_URL names PostgreSQL.
func IsPostgresURL(url string) bool {
	return strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://")
}

func open(url string, opts Options) (*bun.DB, error) {
	if IsPostgresURL(url) {
		conn := []pgdriver.Option{pgdriver.WithApplicationName("aikagi"), pgdriver.WithDSN(url)}
		sqldb := sql.OpenDB(pgdriver.NewConnector(conn...))
		n := opts.MaxConns
		if n <= 0 {
			n = 20
		}
		sqldb.SetMaxOpenConns(n)
		sqldb.SetMaxIdleConns(n)
		sqldb.SetConnMaxIdleTime(5 * time.Minute)
		return bun.NewDB(sqldb, pgdialect.New()), nil
	}
	path := strings.TrimPrefix(strings.TrimPrefix(url, "sqlite://"), "sqlite:")
	if path == "" {
		return nil, errors.New("db: empty SQLite path in DATABASE_URL")
	}
	// WAL lets readers run beside the one writer; immediate transactions take
	// the write lock up front so busy_timeout applies instead of a mid-
	// transaction SQLITE_BUSY.
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	sqldb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("db: open sqlite: %w", err)
	}
	sqldb.SetMaxOpenConns(4)
	return bun.NewDB(sqldb, sqlitedialect.New()), nil
}

// IsPostgres reports whether db talks to PostgreSQL.
func IsPostgres(db bun.IDB) bool {
	return db.Dialect().Name() == dialect.PG
}

// migrationLockKey names the PostgreSQL advisory lock that migrations take
// ("aikagi" in ASCII).
const migrationLockKey = 0x61696b616769

// Migrate applies the pending migrations of db's dialect and returns their
// names. Several instances may start at once on an empty or older
// database: on PostgreSQL an advisory lock around the whole migration,
// including the creation of the migrator's own tables, makes them take
// turns, and the later ones find nothing left to do.
func Migrate(ctx context.Context, db *bun.DB) (applied []string, err error) {
	// Nothing to apply is the common case at start, and needs no DDL: a
	// runtime role with only DML rights gets no further.
	if pending, err := PendingMigrations(ctx, db); err == nil && len(pending) == 0 {
		return nil, fillData(ctx, db)
	}
	if IsPostgres(db) {
		conn, err := db.Conn(ctx)
		if err != nil {
			return nil, fmt.Errorf("db: migrations: %w", err)
		}
		defer conn.Close()
		if err := advisoryLock(ctx, conn); err != nil {
			return nil, fmt.Errorf("db: lock migrations: %w", err)
		}
		defer func() {
			if _, uerr := conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", migrationLockKey); uerr != nil && err == nil {
				err = fmt.Errorf("db: unlock migrations: %w", uerr)
			}
		}()
	}
	if err := refuseLoginKeyCollisions(ctx, db); err != nil {
		return nil, err
	}
	if applied, err = migrateLocked(ctx, db); err != nil {
		return applied, err
	}
	return applied, fillData(ctx, db)
}

// fillData completes, in Go, what a migration added but SQL cannot
// compute: the accounts' search_text and login_key, the deadlines of mail
// queued before every mail had one and the salted hashes of old recovery
// codes.
// Each finds nothing to do once done, at the cost of one query.
func fillData(ctx context.Context, db *bun.DB) error {
	if _, err := FillSearchText(ctx, db, 500); err != nil {
		return err
	}
	if _, err := FillLoginKeys(ctx, db, 500); err != nil {
		return err
	}
	if _, err := WrapRecoveryCodes(ctx, db); err != nil {
		return err
	}
	return FillMailDeadlines(ctx, db)
}

// advisoryLock takes the migrations' advisory lock on conn, trying every
// 200 ms rather than waiting in pg_advisory_lock: a session waiting there
// holds a snapshot, and CREATE INDEX CONCURRENTLY in the session that
// migrates waits for every older snapshot to go, which would never happen.
func advisoryLock(ctx context.Context, conn bun.Conn) error {
	for {
		var locked bool
		if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock(?)", migrationLockKey).Scan(&locked); err != nil {
			return err
		}
		if locked {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func migrateLocked(ctx context.Context, db *bun.DB) (applied []string, err error) {
	m, err := migrator(db)
	if err != nil {
		return nil, err
	}
	if err := m.Init(ctx); err != nil {
		return nil, fmt.Errorf("db: init migrations: %w", err)
	}
	if err := lockMigrations(ctx, m); err != nil {
		return nil, err
	}
	defer func() {
		if uerr := m.Unlock(context.WithoutCancel(ctx)); uerr != nil && err == nil {
			err = fmt.Errorf("db: unlock migrations: %w", uerr)
		}
	}()
	// A migration that cannot get its lock within its lock_timeout gives
	// up rather than stall the app's writes queued behind it; it is tried
	// again a little later, when the reader in its way may be gone.
	for attempt := 1; ; attempt++ {
		group, err := m.Migrate(ctx)
		if group != nil {
			for _, mig := range group.Migrations {
				applied = append(applied, migrationName(mig))
			}
		}
		if err == nil {
			return applied, nil
		}
		if !isLockTimeout(err) || attempt == migrationLockTries {
			return applied, fmt.Errorf("db: migrate: %w", err)
		}
		select {
		case <-ctx.Done():
			return applied, ctx.Err()
		case <-time.After(time.Duration(attempt) * time.Second):
		}
	}
}

// migrationLockTries bounds the tries of a migration whose lock_timeout
// runs out, a second more apart each time: about a minute in all.
const migrationLockTries = 10

// isLockTimeout reports a statement PostgreSQL cancelled because it could
// not get a lock within lock_timeout (SQLSTATE 55P03).
func isLockTimeout(err error) bool {
	var pgErr pgdriver.Error
	return errors.As(err, &pgErr) && pgErr.Field('C') == "55P03"
}

func migrator(db *bun.DB) (*migrate.Migrator, error) {
	dir := "migrations/sqlite"
	if IsPostgres(db) {
		dir = "migrations/postgres"
	}
	sub, err := fs.Sub(migrationFiles, dir)
	if err != nil {
		return nil, fmt.Errorf("db: migrations: %w", err)
	}
	migrations := migrate.NewMigrations()
	if err := migrations.Discover(sub); err != nil {
		return nil, fmt.Errorf("db: discover migrations: %w", err)
	}
	return migrate.NewMigrator(db, migrations, migrate.WithMarkAppliedOnSuccess(true)), nil
}

// PendingMigrations lists the migrations this binary knows that the
// database has not applied: an instance should not take traffic then.
func PendingMigrations(ctx context.Context, db *bun.DB) ([]string, error) {
	m, err := migrator(db)
	if err != nil {
		return nil, err
	}
	ms, err := m.MigrationsWithStatus(ctx)
	if err != nil {
		return nil, fmt.Errorf("db: migration status: %w", err)
	}
	var pending []string
	for _, mig := range ms.Unapplied() {
		pending = append(pending, migrationName(mig))
	}
	return pending, nil
}

// migrationName is a migration as its file is named: 20261201000001_intake.
func migrationName(m migrate.Migration) string {
	if m.Comment == "" {
		return m.Name
	}
	return m.Name + "_" + m.Comment
}

// lockMigrations retries the migrator's table lock for a while, because a
// second process starting beside the first finds it held (SQLite; on
// PostgreSQL the advisory lock has already made them take turns).
func lockMigrations(ctx context.Context, m *migrate.Migrator) error {
	deadline := time.Now().Add(time.Minute)
	for {
		err := m.Lock(ctx)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("db: lock migrations: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Stamp returns t as the database stores it: UTC, whole seconds. Every time
// written or compared goes through it so SQLite's text comparison of
// timestamps stays correct.
func Stamp(t time.Time) time.Time {
	return t.UTC().Truncate(time.Second)
}

// Dialect names db's database, for logs.
func Dialect(db bun.IDB) string {
	if IsPostgres(db) {
		return "postgres"
	}
	return "sqlite"
}

// IsPermissionDenied reports a PostgreSQL refusal for want of a privilege
// (SQLSTATE 42501), such as a runtime role with DML rights only asked to
// change the schema.
func IsPermissionDenied(err error) bool {
	var pgErr pgdriver.Error
	return errors.As(err, &pgErr) && pgErr.Field('C') == "42501"
}
