-- Step 3 of a self-service journey only records the request here; a worker
-- matches it against the accounts and deletes the row in the transaction
-- that writes the token, the outbox row and the audit event. The login ID
-- and address are sealed in payload, as the outbox's are.
--   journey: reset or reminder.
--   requested_at, ip, user_agent: the request's own, for the audit event.
--   due_ms: when a worker may take it, in Unix milliseconds (a whole
--     number, so that both databases compare it exactly): shortly after
--     the request, so that matching never overlaps its own response; later
--     after a failed attempt.
--   attempts, last_error: a row whose processing failed waits and is
--     tried again, a bounded number of times.
CREATE TABLE intake_requests (
    id              TEXT PRIMARY KEY,
    journey         TEXT NOT NULL,
    payload         BYTEA NOT NULL,
    lang            TEXT NOT NULL DEFAULT 'ja',
    ip              TEXT NOT NULL DEFAULT '',
    user_agent      TEXT NOT NULL DEFAULT '',
    requested_at    TIMESTAMPTZ NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    due_ms          BIGINT NOT NULL,
    last_error      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX intake_requests_due_idx ON intake_requests (due_ms);
