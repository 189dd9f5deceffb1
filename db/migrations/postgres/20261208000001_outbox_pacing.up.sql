-- Paced, fair, batched mail (docs/architecture.md, "The outbox").
--   batch_id: the Resend batch a row was claimed into; it names the set of
--     rows sent together and is that batch's idempotency key, so a retry
--     sends the very same batch. NULL for a row sent on its own.
--   batch_size: how many rows the batch had when it was claimed; a retry
--     that finds fewer (one expired) dissolves it.
--   alone: the row goes out only on its own (a batch was refused for the
--     content of one of its mails).
--   is_repeat: the recipient had mail queued within the window before this
--     one; waiting first mails go before repeats.
--   expired_at: when the worker gave the row up for passing its deadline
--     (expires_at, which every mail now has) before it could be sent.
--
-- The file runs on one connection, outside a transaction: a lock it cannot
-- get within lock_timeout fails the statement instead of queueing the
-- app's writes behind it (db.Migrate tries again), and the indexes are
-- built CONCURRENTLY, without blocking writes. Every statement may run
-- again.
SET lock_timeout = '2s';

--bun:split

ALTER TABLE outbox
    ADD COLUMN IF NOT EXISTS batch_id   TEXT,
    ADD COLUMN IF NOT EXISTS batch_size INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS alone      BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN IF NOT EXISTS is_repeat  BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN IF NOT EXISTS expired_at TIMESTAMPTZ;

--bun:split

-- The waiting queue in the order it is served: first mails, then repeats,
-- each by deadline.
CREATE INDEX CONCURRENTLY IF NOT EXISTS outbox_waiting_idx ON outbox (is_repeat, expires_at, created_at) WHERE status IN ('pending', 'sending');

--bun:split

CREATE INDEX CONCURRENTLY IF NOT EXISTS outbox_batch_idx ON outbox (batch_id) WHERE batch_id IS NOT NULL;

--bun:split

-- Expired mail, for the console's needs-attention list.
CREATE INDEX CONCURRENTLY IF NOT EXISTS outbox_expired_at_idx ON outbox (expired_at, id) WHERE expired_at IS NOT NULL;

--bun:split

-- The provider's pace, shared by every instance: the next free slot for a
-- request, in microseconds since 1970 (finer than the timestamps' seconds).
CREATE TABLE IF NOT EXISTS provider_pace (
    key       TEXT PRIMARY KEY,
    next_slot BIGINT NOT NULL
);

--bun:split

RESET lock_timeout;
