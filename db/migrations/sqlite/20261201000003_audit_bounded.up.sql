-- A bounded audit trail.
--   count: how many events the row stands for. Refusals by a rate limit are
--     aggregated, one row per limit, client and window, so a flood of 429s
--     cannot grow the trail by a row each; every other event counts 1.
--   agg_key: names the row that further events of the same kind add to
--     (NULL for a single event; NULLs never collide in a unique index).
ALTER TABLE audit_events ADD COLUMN count INTEGER NOT NULL DEFAULT 1;

--bun:split

ALTER TABLE audit_events ADD COLUMN agg_key TEXT;

--bun:split

CREATE UNIQUE INDEX audit_events_agg_key_idx ON audit_events (agg_key);

--bun:split

-- AUDIT_RETENTION's sweep deletes by age.
CREATE INDEX audit_events_at_idx ON audit_events (at);
