package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// ErrLoginIDTaken is returned when an account with the same login ID, in
// any case, exists.
var ErrLoginIDTaken = errors.New("db: login ID already exists")

// LoginKey is the form login IDs are matched and kept unique in: NFKC,
// then Unicode case folding, so that 「TARO-01」, 「ＴＡＲＯ-01」 and
// 「taro-01」 name one account. The ID itself is kept as registered.
func LoginKey(loginID string) string {
	return cases.Fold().String(norm.NFKC.String(loginID))
}

// CreateAccount inserts a, filling its ID and times.
func CreateAccount(ctx context.Context, idb bun.IDB, a *Account, now time.Time) error {
	a.CreatedAt, a.UpdatedAt = Stamp(now), Stamp(now)
	a.LoginKey = LoginKey(a.LoginID)
	a.EmailKey = strings.ToLower(a.Email)
	a.SearchText = searchText(a.LoginID, a.Email, a.StoreName)
	if _, err := idb.NewInsert().Model(a).Returning("id").Exec(ctx); err != nil {
		if isUniqueViolation(err) {
			return ErrLoginIDTaken
		}
		return fmt.Errorf("db: create account: %w", err)
	}
	return nil
}

// ListAccounts returns every account ordered by login ID.
func ListAccounts(ctx context.Context, idb bun.IDB) ([]Account, error) {
	var accounts []Account
	if err := idb.NewSelect().Model(&accounts).Order("login_id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("db: list accounts: %w", err)
	}
	return accounts, nil
}

// FindAccountForReset returns the account whose login ID is loginID and
// whose e-mail is email, both compared without regard to case, or nil when
// there is none.
func FindAccountForReset(ctx context.Context, idb bun.IDB, loginID, email string) (*Account, error) {
	var a Account
	err := idb.NewSelect().Model(&a).
		Where("login_key = ?", LoginKey(loginID)).
		Where("email_key = ?", strings.ToLower(email)).
		Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("db: find account for reset: %w", err)
	}
	return &a, nil
}

// isUniqueViolation recognises both drivers' unique-constraint errors.
func isUniqueViolation(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint failed") || // SQLite
		strings.Contains(msg, "SQLSTATE=23505") // PostgreSQL (pgdriver)
}

// FindAccountByLoginID returns the account with that login ID, in any
// case, or nil.
func FindAccountByLoginID(ctx context.Context, idb bun.IDB, loginID string) (*Account, error) {
	return findAccount(ctx, idb, "login_key = ?", LoginKey(loginID))
}

// GetAccount returns the account with that ID, or nil.
func GetAccount(ctx context.Context, idb bun.IDB, id int64) (*Account, error) {
	return findAccount(ctx, idb, "id = ?", id)
}

func findAccount(ctx context.Context, idb bun.IDB, where string, arg any) (*Account, error) {
	var a Account
	err := idb.NewSelect().Model(&a).Where(where, arg).Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("db: find account: %w", err)
	}
	return &a, nil
}

// SetPassword stores a new password hash. changed says whether the merchant
// changed the password (a reset), rather than the hash being upgraded.
func SetPassword(ctx context.Context, idb bun.IDB, accountID int64, hash string, now time.Time, changed bool) error {
	q := idb.NewUpdate().Model((*Account)(nil)).
		Set("password_hash = ?", hash).
		Set("updated_at = ?", Stamp(now)).
		Where("id = ?", accountID)
	if changed {
		q = q.Set("password_changed_at = ?", Stamp(now))
	}
	if _, err := q.Exec(ctx); err != nil {
		return fmt.Errorf("db: set password: %w", err)
	}
	return nil
}

// SetEmail changes the account's registered address (and its matching key).
func SetEmail(ctx context.Context, idb bun.IDB, accountID int64, email string, now time.Time) error {
	_, err := idb.NewUpdate().Model((*Account)(nil)).
		Set("email = ?", email).
		Set("email_key = ?", strings.ToLower(email)).
		Set("updated_at = ?", Stamp(now)).
		Where("id = ?", accountID).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("db: set email: %w", err)
	}
	return refreshSearchText(ctx, idb, accountID)
}

// FindAccountsByEmail returns every account registered with email (compared
// case-insensitively), oldest first.
func FindAccountsByEmail(ctx context.Context, idb bun.IDB, email string) ([]Account, error) {
	var accounts []Account
	err := idb.NewSelect().Model(&accounts).Where("email_key = ?", strings.ToLower(email)).Order("id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("db: find accounts by email: %w", err)
	}
	return accounts, nil
}

// LockAccount reads the account and, on PostgreSQL, locks its row until the
// transaction ends (SQLite's write transactions are serial already).
func LockAccount(ctx context.Context, tx bun.Tx, id int64) (*Account, error) {
	return lockByID[Account](ctx, tx, id, "account")
}

// lockByID reads the row of T with the id and, on PostgreSQL, locks it
// until the transaction ends; nil when there is none.
func lockByID[T any](ctx context.Context, tx bun.Tx, id int64, what string) (*T, error) {
	row := new(T)
	q := tx.NewSelect().Model(row).Where("id = ?", id)
	if IsPostgres(tx) {
		q = q.For("UPDATE")
	}
	err := q.Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("db: lock %s: %w", what, err)
	}
	return row, nil
}

// ExistingLoginIDs returns the accounts (their id and login ID as
// registered) that loginIDs name in any case, by LoginKey.
func ExistingLoginIDs(ctx context.Context, idb bun.IDB, loginIDs []string) (map[string]Account, error) {
	keys := make([]string, len(loginIDs))
	for i, id := range loginIDs {
		keys[i] = LoginKey(id)
	}
	found := map[string]Account{}
	for start := 0; start < len(keys); start += 500 {
		chunk := keys[start:min(start+500, len(keys))]
		var rows []Account
		if err := idb.NewSelect().Model(&rows).Column("id", "login_id", "login_key").Where("login_key IN (?)", bun.List(chunk)).Scan(ctx); err != nil {
			return nil, fmt.Errorf("db: existing login IDs: %w", err)
		}
		for _, r := range rows {
			found[r.LoginKey] = r
		}
	}
	return found, nil
}

// UpdateAccountDetails corrects an account's registered address, store
// name and locale; the password is left as it is.
func UpdateAccountDetails(ctx context.Context, idb bun.IDB, id int64, email, storeName, locale string, now time.Time) error {
	_, err := idb.NewUpdate().Model((*Account)(nil)).
		Set("email = ?", email).
		Set("email_key = ?", strings.ToLower(email)).
		Set("store_name = ?", storeName).
		Set("locale = ?", locale).
		Set("updated_at = ?", Stamp(now)).
		Where("id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("db: update account: %w", err)
	}
	return refreshSearchText(ctx, idb, id)
}

// SetAccountDisabled disables the account (at is its time) or, with a nil
// at, enables it again.
func SetAccountDisabled(ctx context.Context, idb bun.IDB, id int64, at *time.Time, now time.Time) error {
	var stamp *time.Time
	if at != nil {
		s := Stamp(*at)
		stamp = &s
	}
	_, err := idb.NewUpdate().Model((*Account)(nil)).
		Set("disabled_at = ?", stamp).
		Set("updated_at = ?", Stamp(now)).
		Where("id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("db: set account disabled: %w", err)
	}
	return nil
}

// DeleteAccount removes the account with its links and sessions; its mail
// and audit events stay, no longer linked to it.
func DeleteAccount(ctx context.Context, idb bun.IDB, id int64) error {
	if _, err := idb.NewDelete().Model((*Account)(nil)).Where("id = ?", id).Exec(ctx); err != nil {
		return fmt.Errorf("db: delete account: %w", err)
	}
	return nil
}

// The migrations that create the accounts and that add accounts.login_key
// with its unique index.
const (
	accountsMigration = "20261125000001"
	loginKeyMigration = "20261208000005"
)

// refuseLoginKeyCollisions stops the login key's migration before it runs
// where existing accounts' login IDs differ only in case (or width): they
// cannot both be kept once IDs are matched without regard to case, and
// which one to keep is for an operator to decide.
func refuseLoginKeyCollisions(ctx context.Context, bdb *bun.DB) error {
	pending, err := PendingMigrations(ctx, bdb)
	isPending := func(migration string) bool {
		return slices.ContainsFunc(pending, func(name string) bool { return strings.HasPrefix(name, migration) })
	}
	if err != nil || !isPending(loginKeyMigration) || isPending(accountsMigration) {
		return nil // nothing to add, or a new database without accounts
	}
	groups, err := LoginIDsDifferingInCase(ctx, bdb)
	if err != nil || len(groups) == 0 {
		return err
	}
	return fmt.Errorf("db: migrate: login IDs are now matched without regard to case, "+
		"and these accounts' login IDs differ only in case:\n  %s\n"+
		"Delete or rename one account of each line with the version you run now (aikagi account delete LOGIN_ID --reason …, "+
		"or UPDATE accounts SET login_id = … WHERE id = …), then start this version again", strings.Join(groups, "\n  "))
}

// LoginIDsDifferingInCase lists the accounts whose login IDs share a
// LoginKey, one line per key: 「"TARO-01" (account 3), "taro-01" (account 7)」.
func LoginIDsDifferingInCase(ctx context.Context, idb bun.IDB) ([]string, error) {
	byKey := map[string][]Account{}
	var keys []string
	for after := int64(0); ; {
		var rows []Account
		if err := idb.NewSelect().Model(&rows).Column("id", "login_id").Where("id > ?", after).OrderExpr("id").Limit(1000).Scan(ctx); err != nil {
			return nil, fmt.Errorf("db: login IDs by key: %w", err)
		}
		for _, r := range rows {
			key := LoginKey(r.LoginID)
			if byKey[key] == nil {
				keys = append(keys, key)
			}
			byKey[key] = append(byKey[key], r)
		}
		if len(rows) < 1000 {
			break
		}
		after = rows[len(rows)-1].ID
	}
	var groups []string
	for _, key := range keys {
		if len(byKey[key]) < 2 {
			continue
		}
		var names []string
		for _, a := range byKey[key] {
			names = append(names, fmt.Sprintf("%q (account %d)", a.LoginID, a.ID))
		}
		groups = append(groups, strings.Join(names, ", "))
	}
	return groups, nil
}

// FillLoginKeys gives the accounts written before login_key existed
// theirs, batch at a time, and returns how many it filled. Migrate runs it.
func FillLoginKeys(ctx context.Context, idb bun.IDB, batch int) (int, error) {
	filled := 0
	for {
		var rows []Account
		if err := idb.NewSelect().Model(&rows).Column("id", "login_id").
			Where("login_key IS NULL").OrderExpr("id").Limit(batch).Scan(ctx); err != nil {
			return filled, fmt.Errorf("db: fill login keys: %w", err)
		}
		ids, keys := make([]int64, len(rows)), make([]string, len(rows))
		for i, a := range rows {
			ids[i], keys[i] = a.ID, LoginKey(a.LoginID)
		}
		if err := setTextByID(ctx, idb, "accounts", "login_key", ids, keys); err != nil {
			if isUniqueViolation(err) {
				return filled, fmt.Errorf("db: fill login keys: two login IDs differ only in case (accounts %d to %d); "+
					"delete or rename one of each pair: %w", ids[0], ids[len(ids)-1], err)
			}
			return filled, fmt.Errorf("db: fill login keys: %w", err)
		}
		filled += len(rows)
		if len(rows) < batch {
			return filled, nil
		}
	}
}
