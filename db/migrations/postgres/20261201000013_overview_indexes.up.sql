-- The console's overview counts by time range: audit events of a few kinds,
-- mail sent, delivered or bounced, and dead, and reset links used.
CREATE INDEX audit_events_kind_at_idx ON audit_events (kind, at);

--bun:split

CREATE INDEX outbox_sent_at_idx ON outbox (sent_at);

--bun:split

CREATE INDEX outbox_delivery_event_at_idx ON outbox (delivery_event_at);

--bun:split

-- Only dead mail has a dead_at (a requeue clears it): without the
-- condition, a newest-first walk of the index meets every live mail's NULL
-- first. With id, the needs-attention list's order is the index's own.
CREATE INDEX outbox_dead_at_idx ON outbox (dead_at, id) WHERE dead_at IS NOT NULL;

--bun:split

CREATE INDEX reset_tokens_used_at_idx ON reset_tokens (used_at);
