-- Fixed-window counters shared by every instance: one row per key (for
-- example "send:ip:192.0.2.1") and window start.
CREATE TABLE rate_counters (
    key          TEXT NOT NULL,
    window_start TIMESTAMPTZ NOT NULL,
    count        INTEGER NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (key, window_start)
);
CREATE INDEX rate_counters_expires_idx ON rate_counters (expires_at);
