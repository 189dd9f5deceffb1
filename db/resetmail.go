package db

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// ResetMailLinkWorks reports whether the link in a reset mail queued at
// queued for the account could still be used at now. Only the token's hash
// is kept, so the mail's link is known by its time: it must be the one
// link made since (to the second the database keeps), unused, not revoked
// (a report, a new address, a disabled account) and not expired, with no
// password change since.
func ResetMailLinkWorks(ctx context.Context, idb bun.IDB, accountID int64, queued, now time.Time) (bool, error) {
	var links []ResetToken
	err := idb.NewSelect().Model(&links).
		Where("account_id = ?", accountID).Where("created_at >= ?", Stamp(queued)).
		Limit(2).Scan(ctx)
	if err != nil {
		return false, fmt.Errorf("db: reset links since: %w", err)
	}
	if len(links) != 1 || links[0].State(now) != TokenValid {
		return false, nil
	}
	superseded, err := ResetLinkSuperseded(ctx, idb, accountID, queued)
	return !superseded, err
}
