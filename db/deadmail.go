package db

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
)

// DeadMails returns up to limit mails of the account that the worker gave
// up on, the latest first, without their payloads: the console offers
// each of them to be queued again.
func DeadMails(ctx context.Context, idb bun.IDB, accountID int64, limit int) ([]OutboxMail, error) {
	var rows []OutboxMail
	err := idb.NewSelect().Model(&rows).ExcludeColumn("payload").
		Where("account_id = ?", accountID).Where("status = ?", OutboxDead).
		OrderExpr("dead_at DESC, id DESC").Limit(limit).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("db: dead mails: %w", err)
	}
	return rows, nil
}
