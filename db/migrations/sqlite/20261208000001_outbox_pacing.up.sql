-- Paced, fair, batched mail: see the PostgreSQL migration of the same name.
ALTER TABLE outbox ADD COLUMN batch_id TEXT;

--bun:split

ALTER TABLE outbox ADD COLUMN batch_size INTEGER NOT NULL DEFAULT 0;

--bun:split

ALTER TABLE outbox ADD COLUMN alone BOOLEAN NOT NULL DEFAULT FALSE;

--bun:split

ALTER TABLE outbox ADD COLUMN is_repeat BOOLEAN NOT NULL DEFAULT FALSE;

--bun:split

ALTER TABLE outbox ADD COLUMN expired_at TIMESTAMP;

--bun:split

CREATE INDEX outbox_waiting_idx ON outbox (is_repeat, expires_at, created_at) WHERE status IN ('pending', 'sending');

--bun:split

CREATE INDEX outbox_batch_idx ON outbox (batch_id) WHERE batch_id IS NOT NULL;

--bun:split

CREATE INDEX outbox_expired_at_idx ON outbox (expired_at, id) WHERE expired_at IS NOT NULL;

--bun:split

-- The provider's pace, shared by every instance: the next free slot for a
-- request, in microseconds since 1970 (finer than the timestamps' seconds).
CREATE TABLE provider_pace (
    key       TEXT PRIMARY KEY,
    next_slot BIGINT NOT NULL
);
